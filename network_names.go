package dock

import (
	"net/netip"
	"strings"

	"github.com/go-dock/dock/internal/netstate"
)

// netNames answers the network name server's questions (it is its
// dnsserver.Names) from a snapshot of the network state: a container sees
// the containers of its user-defined networks by name, network alias,
// short ID and name.network, as in Docker.
type netNames struct {
	st *netstate.State
	// upstreams are the host's name servers, for containers without
	// their own (Config.DNS).
	upstreams []netip.AddrPort
}

// askerNetworks are the user-defined networks the container is on.
func (n *netNames) askerNetworks(asker string) []*netstate.Network {
	var out []*netstate.Network
	for _, net := range n.st.Networks {
		if net.Names && net.Endpoints[asker] != nil {
			out = append(out, net)
		}
	}
	return out
}

// Lookup is dnsserver.Names.Lookup.
func (n *netNames) Lookup(asker, name string) ([]netip.Addr, bool) {
	var addrs []netip.Addr
	found := false
	for _, net := range n.askerNetworks(asker) {
		short := name
		if s, ok := strings.CutSuffix(name, "."+strings.ToLower(net.Name)); ok {
			short = s // name.network
		}
		for id, ep := range net.Endpoints {
			if !epHasName(id, ep, short) {
				continue
			}
			found = true
			addrs = append(addrs, ep.Addrs...)
		}
	}
	return addrs, found
}

// epHasName reports whether the endpoint answers to name: its container's
// name, an alias, or its short ID.
func epHasName(id string, ep *netstate.Endpoint, name string) bool {
	if ep.Name != "" && strings.EqualFold(ep.Name, name) || len(name) == 12 && id[:12] == name {
		return true
	}
	for _, a := range ep.Aliases {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

// Reverse is dnsserver.Names.Reverse: name.network.
func (n *netNames) Reverse(asker string, addr netip.Addr) (string, bool) {
	for _, net := range n.askerNetworks(asker) {
		for id, ep := range net.Endpoints {
			for _, a := range ep.Addrs {
				if a == addr {
					name := ep.Name
					if name == "" {
						name = id[:12]
					}
					return name + "." + net.Name, true
				}
			}
		}
	}
	return "", false
}

// Upstreams is dnsserver.Names.Upstreams: the container's own servers,
// else the host's; none on an internal network (nothing leaves it).
func (n *netNames) Upstreams(asker string) []netip.AddrPort {
	nets := n.askerNetworks(asker)
	for _, net := range nets {
		if net.Internal {
			return nil
		}
	}
	for _, net := range nets {
		if ep := net.Endpoints[asker]; len(ep.Upstreams) > 0 {
			return ep.Upstreams
		}
	}
	return n.upstreams
}
