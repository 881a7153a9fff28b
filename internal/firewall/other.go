//go:build !linux

package firewall

import (
	"errors"
	"fmt"
)

// errUnsupported is every call's error: nftables is Linux's.
var errUnsupported = fmt.Errorf("firewall: nftables needs Linux: %w", errors.ErrUnsupported)

func applyImpl(nsfd int, p plan) error { return errUnsupported }

func containerDNSImpl(nsfd int, udpPort, tcpPort uint16) error { return errUnsupported }

func forgetUDPImpl(ports []Port) error { return errUnsupported }

func updateImpl(d diff) error { return errUnsupported }
