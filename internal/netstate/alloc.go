package netstate

import (
	"fmt"
	"net/netip"
	"slices"
)

// ErrExhausted is the error of an allocation in a full range.
var ErrExhausted = fmt.Errorf("no available IP addresses")

// Allocate gives out an address of the subnet: want when it is valid (in
// the range, not the gateway, the subnet's own address or IPv4
// broadcast) and free, or else the first free one after the last given
// out, wrapping around. It records the choice as the subnet's last.
func (n *Network) Allocate(sub Subnet, want netip.Addr) (netip.Addr, error) {
	r := sub.Range
	if !r.IsValid() {
		r = sub.Prefix
	}
	taken := map[netip.Addr]bool{}
	for _, ep := range n.Endpoints {
		for _, a := range ep.Addrs {
			taken[a] = true
		}
	}
	if want.IsValid() {
		if !sub.Prefix.Contains(want) || !usable(sub, want) {
			return netip.Addr{}, fmt.Errorf("address %s is not usable in subnet %s", want, sub.Prefix)
		}
		if taken[want] {
			return netip.Addr{}, fmt.Errorf("address %s is already in use", want)
		}
		return want, nil
	}
	first := r.Masked().Addr()
	start := first
	if last := n.last(sub.Prefix); last.IsValid() && r.Contains(last) {
		start = last.Next()
	}
	// One pass over the range from start, wrapping around once. A /8
	// has 16M addresses: the walk is bounded by the taken ones plus the
	// few unusable ones, since every other address is a hit.
	a := start
	for wrapped := false; ; {
		if !a.IsValid() || !r.Contains(a) {
			if wrapped {
				break
			}
			a, wrapped = first, true
		}
		if wrapped && a == start {
			break
		}
		if !taken[a] && usable(sub, a) {
			n.setLast(sub.Prefix, a)
			return a, nil
		}
		a = a.Next()
	}
	return netip.Addr{}, fmt.Errorf("%w in network %s (%s)", ErrExhausted, n.Name, r)
}

// usable reports whether a may be a container's: not the gateway, not
// the subnet's own address, not IPv4 broadcast.
func usable(sub Subnet, a netip.Addr) bool {
	if a == sub.Gateway || a == sub.Prefix.Masked().Addr() {
		return false
	}
	if a.Is4() && sub.Prefix.Bits() < 31 && a == lastAddr(sub.Prefix) {
		return false
	}
	return true
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func (n *Network) last(p netip.Prefix) netip.Addr {
	for _, a := range n.Last {
		if p.Contains(a) {
			return a
		}
	}
	return netip.Addr{}
}

func (n *Network) setLast(p netip.Prefix, a netip.Addr) {
	n.Last = slices.DeleteFunc(n.Last, p.Contains)
	n.Last = append(n.Last, a)
}
