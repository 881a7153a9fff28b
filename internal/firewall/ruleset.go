package firewall

import "net/netip"

// Ruleset is everything the table inet dock holds: Apply makes the table
// describe exactly this. The zero Ruleset (or nil) means no table.
type Ruleset struct {
	Networks []Network
	Ports    []Port
}

// Network is one bridge network.
type Network struct {
	// Bridge is the bridge device, e.g. "dock0" or "br-0123456789ab": at
	// most 15 bytes, unique in the Ruleset.
	Bridge string
	// Subnets are the network's IPv4 and IPv6 subnets (host bits are
	// ignored). Subnets of all networks must not overlap.
	Subnets []netip.Prefix
	// Internal cuts the bridge off: nothing is forwarded into or out of
	// it, and its subnets are not masqueraded. Its containers still reach
	// each other and the host.
	Internal bool
}

// Port is one published port; a published range is one Port per port.
type Port struct {
	// Proto is "tcp" or "udp".
	Proto string
	// HostIP is the host address the port is published on. The zero Addr,
	// 0.0.0.0 and :: mean every local address of Addr's family; a specific
	// address must be of Addr's family (IPv4-mapped IPv6 counts as IPv4).
	HostIP netip.Addr
	// HostPort is the port on the host, not 0.
	HostPort uint16
	// Addr is the container's address.
	Addr netip.Addr
	// Port is the container's port, not 0.
	Port uint16
}

// empty reports whether rs describes no table at all.
func (rs *Ruleset) empty() bool {
	return rs == nil || len(rs.Networks) == 0 && len(rs.Ports) == 0
}

// hostIP returns the port's host address, unmapped, and whether it names
// one address (false: every address of the family).
func (p *Port) hostIP() (netip.Addr, bool) {
	a := p.HostIP.Unmap()
	return a, a.IsValid() && !a.IsUnspecified()
}
