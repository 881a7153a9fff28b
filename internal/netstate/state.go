// Package netstate is the per-boot, host-wide runtime state of dock's
// networks: which containers are attached to which bridge, with what
// addresses, names and published ports. It lives on tmpfs (/run/dock/net)
// so that a reboot forgets it with the kernel objects it describes, and
// one flock serialises every change across all engines and roots on the
// host (research/networking.md §1). The bridges, the nftables table and
// the name server are derived from it.
package netstate

import (
	"net/netip"
	"slices"
	"time"
)

// State is everything attached now, on this host.
type State struct {
	// Boot is the kernel's boot ID when the state was written: state
	// from another boot describes nothing that still exists.
	Boot string `json:"boot"`
	// Networks are the networks whose bridges are up, by ID: with
	// endpoints, or idle for a moment.
	Networks map[string]*Network `json:"networks,omitempty"`
	// Sysctls are the host's values that dock changed, as they were
	// before, to be put back when the last bridge goes.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// Collector and CollectorStart name the process that takes idle
	// networks down (one per host).
	Collector      int    `json:"collector,omitempty"`
	CollectorStart uint64 `json:"collectorStart,omitempty"`
}

// Network is a network whose bridge is up.
type Network struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Bridge string `json:"bridge"`
	// Subnets are the network's, at most one per family.
	Subnets  []Subnet `json:"subnets"`
	Internal bool     `json:"internal,omitempty"`
	// Names: containers resolve each other by name (user-defined
	// networks; the default bridge has none, as Docker's).
	Names bool `json:"names,omitempty"`
	// Last are the addresses last given out, per family: the next
	// allocation starts after them (round-robin, so that a released
	// address, whose old veth may still be dying, is not reused at once).
	Last []netip.Addr `json:"last,omitempty"`
	// Endpoints are the attached containers, by container ID.
	Endpoints map[string]*Endpoint `json:"endpoints,omitempty"`
	// Idle is when the network lost its last endpoint: it stays up a
	// moment, for the next container, then goes.
	Idle time.Time `json:"idle,omitzero"`
}

// Subnet is a subnet of a network.
type Subnet struct {
	Prefix  netip.Prefix `json:"prefix"`
	Gateway netip.Addr   `json:"gateway"`
	// Range is where containers' addresses come from (the whole
	// subnet when zero).
	Range netip.Prefix `json:"range,omitzero"`
}

// Endpoint is a container's attachment to a network.
type Endpoint struct {
	Container string `json:"container"`
	// Name is the container's name, and Aliases its other names on
	// this network (docker run --network-alias).
	Name    string   `json:"name,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
	// Addrs are the container's addresses, one per subnet.
	Addrs []netip.Addr `json:"addrs"`
	MAC   string       `json:"mac,omitempty"`
	// Veth is the host's end of the container's link.
	Veth  string `json:"veth,omitempty"`
	Ports []Port `json:"ports,omitempty"`
	// Upstreams are the name servers the container's other names go to
	// (its --dns, else the host's).
	Upstreams []netip.AddrPort `json:"upstreams,omitempty"`
	// Owner and OwnerStart name the process whose life the endpoint
	// lasts: the engine's while it sets the container up, then the
	// container's init. An endpoint whose owner is gone is dropped.
	Owner      int    `json:"owner"`
	OwnerStart uint64 `json:"ownerStart"`
}

// Port is a published port, its host port chosen.
type Port struct {
	Proto         string     `json:"proto"`
	HostIP        netip.Addr `json:"hostIP,omitzero"`
	HostPort      uint16     `json:"hostPort"`
	ContainerPort uint16     `json:"containerPort"`
}

// Endpoint returns the container's endpoint on the network, or nil.
func (n *Network) Endpoint(container string) *Endpoint { return n.Endpoints[container] }

// Containers are the IDs of the containers attached to the network,
// sorted.
func (n *Network) Containers() []string {
	ids := make([]string, 0, len(n.Endpoints))
	for id := range n.Endpoints {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Endpoints returns the container's endpoints, by network ID.
func (st *State) Endpoints(container string) map[string]*Endpoint {
	out := map[string]*Endpoint{}
	for id, n := range st.Networks {
		if ep := n.Endpoints[container]; ep != nil {
			out[id] = ep
		}
	}
	return out
}

// DropDead removes the endpoints whose owner has gone (alive says which
// live) and returns the IDs of their containers.
func (st *State) DropDead(alive func(pid int, start uint64) bool) []string {
	var gone []string
	for _, n := range st.Networks {
		for id, ep := range n.Endpoints {
			if !alive(ep.Owner, ep.OwnerStart) {
				delete(n.Endpoints, id)
				gone = append(gone, id)
			}
		}
	}
	slices.Sort(gone)
	return slices.Compact(gone)
}
