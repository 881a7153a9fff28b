package dnsserver

import (
	"net/netip"
	"strings"
)

// parseReverse returns the address that a reverse name stands for: four
// decimal labels under in-addr.arpa, in their canonical form (no leading
// zeros), or 32 hexadecimal nibbles under ip6.arpa. name is in lower case
// without the trailing dot (see lowerName). Partial names (a zone, not an
// address) and anything else give ok=false: the query is forwarded.
func parseReverse(name string) (addr netip.Addr, ok bool) {
	if rest, found := strings.CutSuffix(name, ".in-addr.arpa"); found {
		return parseReverse4(rest)
	}
	if rest, found := strings.CutSuffix(name, ".ip6.arpa"); found {
		return parseReverse6(rest)
	}
	return netip.Addr{}, false
}

// parseReverse4 reads "d.c.b.a" as the address a.b.c.d.
func parseReverse4(s string) (netip.Addr, bool) {
	var a [4]byte
	for i := 3; i >= 0; i-- {
		label := s
		if i > 0 {
			var found bool
			if label, s, found = strings.Cut(s, "."); !found {
				return netip.Addr{}, false
			}
		}
		if len(label) == 0 || len(label) > 3 || (len(label) > 1 && label[0] == '0') {
			return netip.Addr{}, false
		}
		n := 0
		for _, c := range []byte(label) {
			if c < '0' || c > '9' {
				return netip.Addr{}, false
			}
			n = n*10 + int(c-'0')
		}
		if n > 255 {
			return netip.Addr{}, false
		}
		a[i] = byte(n)
	}
	return netip.AddrFrom4(a), true
}

// parseReverse6 reads 32 one-nibble labels, least significant first.
func parseReverse6(s string) (netip.Addr, bool) {
	if len(s) != 32*2-1 {
		return netip.Addr{}, false
	}
	var a [16]byte
	for i := range 32 {
		if i > 0 && s[2*i-1] != '.' {
			return netip.Addr{}, false
		}
		v, ok := nibble(s[2*i])
		if !ok {
			return netip.Addr{}, false
		}
		// Label i is nibble 31-i: byte (31-i)/2, high half when even.
		if pos := 31 - i; pos%2 == 0 {
			a[pos/2] |= v << 4
		} else {
			a[pos/2] |= v
		}
	}
	return netip.AddrFrom16(a), true
}

// nibble is the value of a lower-case hexadecimal digit.
func nibble(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
