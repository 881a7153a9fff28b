package firewall

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"

	"github.com/go-dock/dock/internal/ipam"
)

// The sets and maps of the table. The chains and rules never change; these
// elements are all that a Ruleset decides, so a range of 101 ports or 50
// networks costs elements, not rules.
const (
	setBridges  = "bridges"  // ifname: every dock bridge
	setInternal = "internal" // ifname: the bridges of internal networks
	// setSame holds "br" . "br" for every bridge: traffic that a bridge
	// sends back to itself (hairpin, or bridged traffic seen through
	// br_netfilter), which isolation must leave alone.
	setSame = "same-bridge" // ifname . ifname

	setMasq4 = "masq4" // ipv4_addr, intervals: subnets of non-internal networks
	setMasq6 = "masq6" // ipv6_addr, intervals
	// setOwn4 and setOwn6 pair each subnet with its own bridge: a source
	// in the subnet leaving through that bridge stays unmasqueraded,
	// unless it was DNATed (hairpin).
	setOwn4 = "subnet-bridge4" // ipv4_addr . ifname, intervals
	setOwn6 = "subnet-bridge6" // ipv6_addr . ifname, intervals

	// Published ports: ports on every local address of a family, and
	// ports on one host address. Both give the container's addr . port.
	mapPorts4     = "ports4"     // inet_proto . inet_service : ipv4_addr . inet_service
	mapPorts6     = "ports6"     // inet_proto . inet_service : ipv6_addr . inet_service
	mapHostPorts4 = "hostports4" // ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service
	mapHostPorts6 = "hostports6" // ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service
)

// The per-family names, indexed by family.
var (
	ownSet       = [2]string{setOwn4, setOwn6}
	portsMap     = [2]string{mapPorts4, mapPorts6}
	hostPortsMap = [2]string{mapHostPorts4, mapHostPorts6}
)

// ifNameSize is IFNAMSIZ: an interface name with its NUL, as the kernel
// loads meta iifname and oifname into registers.
const ifNameSize = 16

// element is one set or map element in the kernel's encoding: the key (a
// concatenation pads every field to 4 bytes), for intervals of a
// concatenation the inclusive end of the key, and a map's value.
type element struct {
	key, keyEnd, val []byte
	// intervalEnd marks the exclusive end of an interval in a set of one
	// field (the rbtree encoding: start, then end with this flag).
	intervalEnd bool
}

// plan is the content of every set and map of the table, by name.
type plan map[string][]element

// planFor validates rs and returns the elements that describe it.
func planFor(rs *Ruleset) (plan, error) {
	p := plan{}
	bridges := map[string]bool{}
	var all []netip.Prefix     // every subnet, to refuse overlaps
	var masq [2][]netip.Prefix // non-internal subnets by family (0: IPv4)
	for _, n := range rs.Networks {
		if err := checkBridge(n.Bridge); err != nil {
			return nil, err
		}
		if bridges[n.Bridge] {
			return nil, fmt.Errorf("firewall: bridge %s: named by two networks", n.Bridge)
		}
		bridges[n.Bridge] = true
		name := ifname(n.Bridge)
		p[setBridges] = append(p[setBridges], element{key: name})
		p[setSame] = append(p[setSame], element{key: cat(name, name)})
		if n.Internal {
			p[setInternal] = append(p[setInternal], element{key: name})
		}
		for _, s := range n.Subnets {
			if !s.IsValid() || s.Addr().Is4In6() || s.Addr().Zone() != "" {
				return nil, fmt.Errorf("firewall: bridge %s: bad subnet %v", n.Bridge, s)
			}
			s = s.Masked()
			for _, o := range all {
				if o.Overlaps(s) {
					return nil, fmt.Errorf("firewall: bridge %s: subnet %v overlaps %v", n.Bridge, s, o)
				}
			}
			all = append(all, s)
			first, last := s.Addr().AsSlice(), ipam.LastAddr(s).AsSlice()
			own := element{key: cat(first, name), keyEnd: cat(last, name)}
			fam := family(s.Addr())
			p[ownSet[fam]] = append(p[ownSet[fam]], own)
			if !n.Internal {
				masq[fam] = append(masq[fam], s)
			}
		}
	}
	p[setMasq4] = intervals(masq[0])
	p[setMasq6] = intervals(masq[1])
	if err := p.addPorts(rs.Ports); err != nil {
		return nil, err
	}
	for _, els := range p {
		slices.SortFunc(els, func(a, b element) int { return bytes.Compare(a.key, b.key) })
	}
	return p, nil
}

// addPorts adds the published ports to the maps. The same port twice is
// one element; one host address and port leading to two places is an
// error, as the kernel would refuse it.
func (p plan) addPorts(ports []Port) error {
	type target struct {
		set string
		key string
	}
	seen := map[target][]byte{}
	for i := range ports {
		pt := &ports[i]
		proto, err := protoNumber(pt.Proto)
		if err != nil {
			return err
		}
		if pt.HostPort == 0 || pt.Port == 0 {
			return fmt.Errorf("firewall: port %s: port 0", pt)
		}
		addr := pt.Addr.Unmap()
		if !addr.IsValid() || addr.IsUnspecified() || addr.Zone() != "" {
			return fmt.Errorf("firewall: port %s: bad container address", pt)
		}
		fam := family(addr)
		key := cat([]byte{proto}, be16(pt.HostPort))
		set := portsMap[fam]
		host, one := pt.hostIP()
		if host.IsValid() && family(host) != fam {
			// Only a proxy could do this (Docker's does); DNAT cannot.
			return fmt.Errorf("firewall: port %s: host address and container address of different families", pt)
		}
		if one {
			if host.Zone() != "" {
				return fmt.Errorf("firewall: port %s: host address with a zone", pt)
			}
			key = cat(host.AsSlice(), key)
			set = hostPortsMap[fam]
		}
		val := cat(addr.AsSlice(), be16(pt.Port))
		t := target{set, string(key)}
		if old, ok := seen[t]; ok {
			if !bytes.Equal(old, val) {
				return fmt.Errorf("firewall: port %s: host port already published to another address", pt)
			}
			continue
		}
		seen[t] = val
		p[set] = append(p[set], element{key: key, val: val})
	}
	return nil
}

// String is the port as Docker lists it, with the container's address:
// "127.0.0.1:8080->172.17.0.2:80/tcp", "*:8080->..." for every address.
func (p *Port) String() string {
	host := fmt.Sprintf("*:%d", p.HostPort)
	if p.HostIP.IsValid() {
		host = netip.AddrPortFrom(p.HostIP, p.HostPort).String()
	}
	return fmt.Sprintf("%s->%s/%s", host, netip.AddrPortFrom(p.Addr, p.Port), p.Proto)
}

// checkBridge refuses names the kernel cannot have: empty, longer than 15
// bytes, or with a NUL, a slash or white space.
func checkBridge(name string) error {
	if name == "" || len(name) >= ifNameSize {
		return fmt.Errorf("firewall: bridge name %q: want 1 to %d bytes", name, ifNameSize-1)
	}
	for _, c := range []byte(name) {
		if c == 0 || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == ':' {
			return fmt.Errorf("firewall: bridge name %q: bad character %q", name, c)
		}
	}
	return nil
}

func protoNumber(proto string) (byte, error) {
	switch proto {
	case "tcp":
		return 6, nil // IPPROTO_TCP
	case "udp":
		return 17, nil // IPPROTO_UDP
	}
	return 0, fmt.Errorf("firewall: protocol %q: want tcp or udp", proto)
}

// family is 0 for IPv4 and 1 for IPv6: the index of the per-family sets.
func family(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// intervals returns the elements of an interval set of one field holding
// the prefixes: each run of adjacent prefixes is merged (the kernel refuses
// an interval that starts where another ends) and becomes its first address
// and, flagged, the address after its last (none after the last address
// of the family).
func intervals(prefixes []netip.Prefix) []element {
	slices.SortFunc(prefixes, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	var out []element
	for i := 0; i < len(prefixes); {
		first, last := prefixes[i].Addr(), ipam.LastAddr(prefixes[i])
		for i++; i < len(prefixes) && last.Next() == prefixes[i].Addr(); i++ {
			last = ipam.LastAddr(prefixes[i])
		}
		out = append(out, element{key: first.AsSlice()})
		if end := last.Next(); end.IsValid() {
			out = append(out, element{key: end.AsSlice(), intervalEnd: true})
		}
	}
	return out
}

// cat concatenates fields as a register concatenation does: each padded
// with zeros to a multiple of 4 bytes.
func cat(fields ...[]byte) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	return b
}

// ifname is an interface name as meta iifname loads it: NUL-padded to
// IFNAMSIZ.
func ifname(name string) []byte {
	b := make([]byte, ifNameSize)
	copy(b, name)
	return b
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// sortedNames returns the keys of p in order, for deterministic batches.
func (p plan) sortedNames() []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	slices.SortFunc(names, cmp.Compare)
	return names
}

// maxElemBytes bounds the encoded elements of one NEWSETELEM message. The
// elements travel in one netlink attribute, whose length is 16 bits: a
// longer list cannot be expressed at all (google/nftables v0.3.0 does not
// split it), so a large map takes several messages of one batch.
const maxElemBytes = 48 << 10

// chunks splits els into runs whose encoding fits maxElemBytes.
func chunks(els []element) [][]element {
	var out [][]element
	for len(els) > 0 {
		n, size := 0, 0
		for n < len(els) && (n == 0 || size+elemSize(els[n]) <= maxElemBytes) {
			size += elemSize(els[n])
			n++
		}
		out = append(out, els[:n])
		els = els[n:]
	}
	return out
}

// elemSize is an element's netlink encoding: its nest, and per part a
// 4-byte attribute header and a nested 4-byte NFTA_DATA_VALUE header
// around the padded bytes, plus the flags of an interval end.
func elemSize(e element) int {
	part := func(n int) int {
		if n == 0 {
			return 0
		}
		return 8 + (n+3)&^3
	}
	size := 4 + part(len(e.key)) + part(len(e.keyEnd)) + part(len(e.val))
	if e.intervalEnd {
		size += 8
	}
	return size
}
