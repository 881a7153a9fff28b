package dockerapi

import (
	"maps"

	"github.com/moby/moby/api/types/network"

	"github.com/go-dock/dock"
)

// Network is n as docker network ls (GET /networks) lists it.
func Network(n *dock.Network) network.Summary {
	s := network.Summary{Network: network.Network{
		Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local", Driver: n.Driver,
		EnableIPv6: n.EnableIPv6, Internal: n.Internal,
		IPAM:    network.IPAM{Driver: "default", Options: map[string]string{}, Config: []network.IPAMConfig{}},
		Options: nonNil(n.Options), Labels: nonNil(n.Labels),
	}}
	for _, c := range n.IPAM {
		s.IPAM.Config = append(s.IPAM.Config, network.IPAMConfig{Subnet: c.Subnet, IPRange: c.IPRange, Gateway: c.Gateway})
		if c.Subnet.Addr().Is4() {
			s.EnableIPv4 = true
		}
	}
	return s
}

// NetworkInspect is n as docker network inspect and GET /networks/{id}
// show it; its Containers are those of infos that run on it (Docker
// lists a container while it has an endpoint there, which is while it
// runs), by ID.
func NetworkInspect(n *dock.Network, infos []*dock.Info) *network.Inspect {
	out := &network.Inspect{Network: Network(n).Network, Containers: map[string]network.EndpointResource{}}
	for _, info := range infos {
		for _, ep := range info.Networks {
			if ep.NetworkID != n.ID || (!ep.IPv4.IsValid() && !ep.IPv6.IsValid()) {
				continue
			}
			out.Containers[info.ID] = network.EndpointResource{
				Name: info.Name, EndpointID: endpointID(n.ID, info.ID), MacAddress: macAddr(ep.MacAddress),
				IPv4Address: ep.IPv4, IPv6Address: ep.IPv6,
			}
		}
	}
	return out
}

// nonNil returns a copy of m, an empty map for nil (Docker shows {}).
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}
