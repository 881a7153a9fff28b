package dock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
)

// Connect and Disconnect change the networks a container is on (docker
// network connect and disconnect): its record of them, and when it runs,
// its namespace at once. The record is networks.json in the container's
// directory, which overrides the networks Create recorded (config.json
// never changes).

// ConnectOption configures Connect.
type ConnectOption func(*endpointConfig) error

// ConnectAliases gives the container more names on the network.
func ConnectAliases(names ...string) ConnectOption {
	return func(ep *endpointConfig) error {
		ep.Aliases = append(ep.Aliases, names...)
		return nil
	}
}

// ConnectIP asks for the container's address on the network (IPv4 or
// IPv6), on user-defined networks only.
func ConnectIP(ip string) ConnectOption {
	return func(ep *endpointConfig) error {
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" {
			return invalidf("invalid IP address %q", ip)
		}
		if a = a.Unmap(); a.Is4() {
			ep.IPv4 = a
		} else {
			ep.IPv6 = a
		}
		return nil
	}
}

// Connect joins the container to a bridge network, by name or ID. A
// running container gets its new interface at once; a stopped one at its
// next start. A container on none, host or another container's network
// cannot join one, as in Docker.
func (c *Container) Connect(ctx context.Context, network string, opts ...ConnectOption) error {
	err := c.e.locked(func() error {
		rec, err := c.record()
		if err != nil {
			return err
		}
		if modeOf(rec.Config.Network) != netBridge {
			return invalidf("container sharing network namespace with another container or host cannot be connected to any other network")
		}
		n, err := c.e.Network(ctx, network)
		if err != nil {
			return err
		}
		if n.Driver != "bridge" {
			return invalidf("container cannot be connected to network %s: only bridge networks can be joined", n.Name)
		}
		eps, err := c.networks(rec)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(eps, func(ep endpointConfig) bool { return ep.Network == n.ID }) {
			return fmt.Errorf("endpoint with name %s already exists in network %s: %w", rec.Name, n.Name, ErrExist)
		}
		ep := endpointConfig{Network: n.ID}
		for _, o := range opts {
			if err := o(&ep); err != nil {
				return err
			}
		}
		if err := checkEndpoint(n, &ep); err != nil {
			return err
		}
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		if st.Status == StatusRunning || st.Status == StatusPaused {
			if err := c.attachLive(rec, n, ep, st.Pid); err != nil {
				return err
			}
			// A stopped container's is recorded when it starts.
			defer c.e.emitNetwork(n, "connect", c.id)
		}
		return c.writeNetworks(append(eps, ep))
	})
	if err != nil {
		return fmt.Errorf("connect container %s to network %s: %w", c.id[:12], network, err)
	}
	return nil
}

// Disconnect takes the container off a network, at once when it runs.
func (c *Container) Disconnect(ctx context.Context, network string) error {
	err := c.e.locked(func() error {
		rec, err := c.record()
		if err != nil {
			return err
		}
		n, err := c.e.Network(ctx, network)
		if err != nil {
			return err
		}
		eps, err := c.networks(rec)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(eps, func(ep endpointConfig) bool { return ep.Network == n.ID })
		if i < 0 {
			return invalidf("container %s is not connected to network %s", c.id[:12], n.Name)
		}
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		if st.Status == StatusRunning || st.Status == StatusPaused {
			if err := detachLive(rec.ID, n.ID); err != nil {
				return err
			}
			defer c.e.emitNetwork(n, "disconnect", c.id)
		}
		return c.writeNetworks(slices.Delete(eps, i, i+1))
	})
	if err != nil {
		return fmt.Errorf("disconnect container %s from network %s: %w", c.id[:12], network, err)
	}
	return nil
}

// networks are the container's bridge networks: networks.json when
// Connect or Disconnect wrote one, else what Create recorded.
func (e *Engine) containerNetworks(rec *containerRecord) ([]endpointConfig, error) {
	return (&Container{e: e, id: rec.ID}).networks(rec)
}

func (c *Container) networks(rec *containerRecord) ([]endpointConfig, error) {
	data, err := c.readFile("networks.json")
	if errors.Is(err, fs.ErrNotExist) {
		return rec.Networks, nil
	}
	if err != nil {
		return nil, err
	}
	var eps []endpointConfig
	if err := json.Unmarshal(data, &eps); err != nil {
		return nil, fmt.Errorf("container %s networks: %w", rec.ID[:12], err)
	}
	return eps, nil
}

func (c *Container) writeNetworks(eps []endpointConfig) error {
	if eps == nil {
		eps = []endpointConfig{}
	}
	data, err := json.Marshal(eps)
	if err != nil {
		return err
	}
	return c.e.writeFileAtomic(c.dir("networks.json"), data, 0o600)
}
