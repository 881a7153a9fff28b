//go:build !linux

package dock

import "fmt"

func (c *Container) attachLive(*containerRecord, *Network, endpointConfig, int) error {
	return fmt.Errorf("networks: %w", ErrUnsupported)
}

func detachLive(container, network string) error { return fmt.Errorf("networks: %w", ErrUnsupported) }

func reloadNetworks() error { return fmt.Errorf("networks: %w", ErrUnsupported) }

func takeDownNetwork(id string) error { return nil }
