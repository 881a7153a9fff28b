package main

import (
	"context"
	"errors"
	"net/netip"

	"github.com/go-dock/dock"
)

// networkConnect is docker network connect: at once on a running
// container, at its next start on a stopped one.
func networkConnect(ctx context.Context, c *cli, args []string) error {
	var aliases []string
	var ip, ip6 string
	fs := newFlagSet("network connect", true)
	fs.Strings(&aliases, "alias", "Add network-scoped alias for the container")
	fs.String(&ip, "ip", "IPv4 address (e.g., \"172.30.100.104\")")
	fs.String(&ip6, "ip6", "IPv6 address (e.g., \"2001:db8::33\")")
	args, err := fs.ParseArgs(args, 2, 2)
	if err != nil {
		return err
	}
	var opts []dock.ConnectOption
	if len(aliases) > 0 {
		opts = append(opts, dock.ConnectAliases(aliases...))
	}
	for _, a := range []struct {
		flag, value string
		v4          bool
	}{{"ip", ip, true}, {"ip6", ip6, false}} {
		if a.value == "" {
			continue
		}
		addr, err := netip.ParseAddr(a.value)
		if err != nil || addr.Is4() != a.v4 || addr.Is4In6() || addr.Zone() != "" {
			family := "IPv4"
			if !a.v4 {
				family = "IPv6"
			}
			return fs.errorf("invalid %s address: %s", family, a.value)
		}
		opts = append(opts, dock.ConnectIP(a.value))
	}
	return onNetworkContainer(ctx, c, args[0], args[1], func(ct *dock.Container) error {
		return ct.Connect(ctx, args[0], opts...)
	})
}

// networkDisconnect is docker network disconnect. -f is accepted and
// changes nothing: dock keeps no endpoint that could outlive its
// container for it to force away.
func networkDisconnect(ctx context.Context, c *cli, args []string) error {
	var force bool
	fs := newFlagSet("network disconnect", true)
	fs.Bool(&force, "f,force", "Force the container to disconnect from a network")
	args, err := fs.ParseArgs(args, 2, 2)
	if err != nil {
		return err
	}
	return onNetworkContainer(ctx, c, args[0], args[1], func(ct *dock.Container) error {
		return ct.Disconnect(ctx, args[0])
	})
}

// onNetworkContainer runs fn on the container ctRef once the network
// netRef is known to exist (docker's order of errors).
func onNetworkContainer(ctx context.Context, c *cli, netRef, ctRef string, fn func(*dock.Container) error) error {
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	if err := findNetwork(ctx, e, netRef); err != nil {
		return err
	}
	ct, err := e.Container(ctRef)
	if err != nil {
		return err
	}
	return fn(ct)
}

// findNetwork checks that a network reference (name, ID or ID prefix)
// names a network, with docker's error for one not found.
func findNetwork(ctx context.Context, e *dock.Engine, ref string) error {
	_, err := e.Network(ctx, ref)
	if errors.Is(err, dock.ErrNotFound) {
		return errNoSuchNetwork(ref)
	}
	return err
}
