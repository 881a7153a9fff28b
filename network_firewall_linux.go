package dock

import (
	"slices"
	"strings"

	"github.com/go-dock/dock/internal/firewall"
	"github.com/go-dock/dock/internal/netstate"
)

// The nftables table inet dock is a function of the network state: each
// change of the state changes the table by the difference (firewall.Update),
// and ReloadNetworks writes it whole.

// rulesetOf is the table the state asks for, in a stable order. An idle
// network (no endpoint, see settle) keeps its rules while its bridge
// lingers: a container that comes soon after (`run --rm` in a loop)
// then adds its ports to the maps in place, a batch of a few elements,
// instead of making the whole table again, and its end takes them out
// the same way instead of deleting the table.
func rulesetOf(st *netstate.State) *firewall.Ruleset {
	rs := &firewall.Ruleset{}
	for _, n := range st.Networks {
		if len(n.Endpoints) == 0 && n.Idle.IsZero() {
			continue
		}
		fn := firewall.Network{Bridge: n.Bridge, Internal: n.Internal}
		for _, s := range n.Subnets {
			fn.Subnets = append(fn.Subnets, s.Prefix)
		}
		rs.Networks = append(rs.Networks, fn)
		for _, id := range n.Containers() {
			rs.Ports = append(rs.Ports, endpointPorts(n.Endpoints[id])...)
		}
	}
	slices.SortFunc(rs.Networks, func(a, b firewall.Network) int { return strings.Compare(a.Bridge, b.Bridge) })
	return rs
}

// endpointPorts are the DNAT entries of an endpoint's published ports:
// a port on every address goes to each address family the container
// has; one on a given address, to the container's address of that
// family.
func endpointPorts(ep *netstate.Endpoint) []firewall.Port {
	var out []firewall.Port
	for _, p := range ep.Ports {
		for _, a := range ep.Addrs {
			host := p.HostIP.Unmap()
			if host.IsValid() && host.Is4() != a.Is4() {
				continue
			}
			out = append(out, firewall.Port{Proto: p.Proto, HostIP: host, HostPort: p.HostPort, Addr: a, Port: p.ContainerPort})
		}
	}
	return out
}
