// Package ipam chooses the subnets of networks as Docker's default IPAM
// does, and reads what the host already uses: its routes
// (/proc/net/route, /proc/net/ipv6_route) and the nameservers of its
// resolv.conf. It is pure: the callers read the files and pass their text.
package ipam

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

// Pool is a range of addresses that Choose splits into subnets of Size
// bits: Docker's default-address-pools entries (base, size).
type Pool struct {
	Base netip.Prefix
	Size int
}

// DefaultPools are Docker's local-scope default address pools
// (libnetwork/ipamutils): 172.17.0.0/16 to 172.31.0.0/16 as /16s, then
// 192.168.0.0/16 as sixteen /20s. Docker's default bridge takes the
// first; user networks the first that is free.
var DefaultPools = []Pool{
	{netip.MustParsePrefix("172.17.0.0/16"), 16},
	{netip.MustParsePrefix("172.18.0.0/16"), 16},
	{netip.MustParsePrefix("172.19.0.0/16"), 16},
	{netip.MustParsePrefix("172.20.0.0/14"), 16},
	{netip.MustParsePrefix("172.24.0.0/14"), 16},
	{netip.MustParsePrefix("172.28.0.0/14"), 16},
	{netip.MustParsePrefix("192.168.0.0/16"), 20},
}

// Choose returns the first subnet of the pools, in order, that overlaps
// none of taken; false when every one does. A pool whose Size is shorter
// than its base, or longer than an address, is skipped; at most 65536
// subnets of each pool are tried.
func Choose(pools []Pool, taken []netip.Prefix) (netip.Prefix, bool) {
	for _, p := range pools {
		base := p.Base.Masked()
		if !base.IsValid() || p.Size < base.Bits() || p.Size > base.Addr().BitLen() {
			continue
		}
		sub := netip.PrefixFrom(base.Addr(), p.Size)
		for range 1 << 16 {
			if !overlapsAny(sub, taken) {
				return sub, true
			}
			next := LastAddr(sub).Next()
			if !next.IsValid() || !base.Contains(next) {
				break
			}
			sub = netip.PrefixFrom(next, p.Size)
		}
	}
	return netip.Prefix{}, false
}

// LastAddr returns the last address of p (its broadcast address for IPv4).
func LastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func overlapsAny(p netip.Prefix, taken []netip.Prefix) bool {
	for _, t := range taken {
		if t.IsValid() && p.Overlaps(t) {
			return true
		}
	}
	return false
}

// ULA returns a unique local IPv6 /64 (RFC 4193) whose 40-bit global ID
// is the first 5 bytes of seed (a random network ID) and whose subnet ID
// is the first from 0 that overlaps none of taken.
func ULA(seed []byte, taken []netip.Prefix) (netip.Prefix, bool) {
	if len(seed) < 5 {
		return netip.Prefix{}, false
	}
	var a [16]byte
	a[0] = 0xfd
	copy(a[1:6], seed[:5])
	for sub := 0; sub < 1<<16; sub++ {
		binary.BigEndian.PutUint16(a[6:8], uint16(sub))
		p := netip.PrefixFrom(netip.AddrFrom16(a), 64)
		if !overlapsAny(p, taken) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// ParseRoutes reads the IPv4 routes of /proc/net/route and returns their
// destinations, default routes left out (they overlap everything, and
// Docker ignores them too). The kernel writes each address as the 32-bit
// value of its network-order bytes in host order, so order is the host's
// byte order (binary.NativeEndian for the running kernel's file).
func ParseRoutes(r io.Reader, order binary.ByteOrder) ([]netip.Prefix, error) {
	var out []netip.Prefix
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if line == 1 && len(f) > 0 && f[0] == "Iface" {
			continue
		}
		if len(f) == 0 {
			continue
		}
		if len(f) < 8 {
			return nil, fmt.Errorf("route line %d: %d fields, want 11", line, len(f))
		}
		dst, err1 := hexAddr4(f[1], order)
		mask, err2 := hexAddr4(f[7], order)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("route line %d: malformed destination %q or mask %q", line, f[1], f[7])
		}
		m := binary.BigEndian.Uint32(mask[:])
		ones := bits.LeadingZeros32(^m)
		if ones == 0 || m<<ones != 0 {
			continue // the default route, or a mask that is not a prefix
		}
		out = append(out, netip.PrefixFrom(netip.AddrFrom4(dst), ones).Masked())
	}
	return out, sc.Err()
}

func hexAddr4(s string, order binary.ByteOrder) ([4]byte, error) {
	var a [4]byte
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return a, err
	}
	order.PutUint32(a[:], uint32(v))
	return a, nil
}

// ParseIPv6Routes reads the IPv6 routes of /proc/net/ipv6_route and
// returns their destinations, default routes and multicast (ff00::/8)
// left out.
func ParseIPv6Routes(r io.Reader) ([]netip.Prefix, error) {
	var out []netip.Prefix
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("ipv6 route line %d: %d fields, want 10", line, len(f))
		}
		b, err := hex.DecodeString(f[0])
		plen, err2 := strconv.ParseUint(f[1], 16, 8)
		if err != nil || err2 != nil || len(b) != 16 || plen > 128 {
			return nil, fmt.Errorf("ipv6 route line %d: malformed destination %q/%q", line, f[0], f[1])
		}
		a := netip.AddrFrom16([16]byte(b))
		if plen == 0 || a.IsMulticast() {
			continue
		}
		out = append(out, netip.PrefixFrom(a, int(plen)).Masked())
	}
	return out, sc.Err()
}

// ParseResolvConf returns the nameservers of a resolv.conf, as
// single-address prefixes (/32, /128); zone suffixes ("fe80::1%eth0") are
// dropped and lines that are not addresses skipped, as the resolver does.
func ParseResolvConf(r io.Reader) ([]netip.Prefix, error) {
	var out []netip.Prefix
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil {
			continue
		}
		a = a.WithZone("").Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, sc.Err()
}
