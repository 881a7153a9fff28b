package firewall

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func pfx(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// decode renders an element of the set name readably (nft's notation), so
// that the expected plans below are written by hand, not computed.
func decode(name string, e element) string {
	ip := func(b []byte) string { a, _ := netip.AddrFromSlice(b); return a.String() }
	str := func(b []byte) string { return fmt.Sprintf("%q", strings.TrimRight(string(b), "\x00")) }
	port := func(b []byte) string { return fmt.Sprint(binary.BigEndian.Uint16(b)) }
	proto := map[byte]string{6: "tcp", 17: "udp"}
	switch name {
	case setBridges, setInternal:
		return str(e.key)
	case setSame:
		return str(e.key[:16]) + " . " + str(e.key[16:])
	case setMasq4, setMasq6:
		if e.intervalEnd {
			return "end " + ip(e.key)
		}
		return ip(e.key)
	case setOwn4, setOwn6:
		n := len(e.key) - ifNameSize
		return ip(e.key[:n]) + "-" + ip(e.keyEnd[:n]) + " . " + str(e.key[n:])
	}
	n := len(e.val) - 4 // value: address . port
	val := ip(e.val[:n]) + " . " + port(e.val[n:])
	k := e.key
	var host string
	if name == mapHostPorts4 || name == mapHostPorts6 {
		host, k = ip(k[:len(k)-8])+" . ", k[len(k)-8:]
	}
	return host + proto[k[0]] + " . " + port(k[4:6]) + " : " + val
}

func render(p plan) []string {
	var out []string
	for _, name := range p.sortedNames() {
		for _, e := range p[name] {
			out = append(out, name+" "+decode(name, e))
		}
	}
	return out
}

func TestPlanFor(t *testing.T) {
	rs := &Ruleset{
		Networks: []Network{
			{Bridge: "dock0", Subnets: pfx("172.17.0.0/16", "fd00:17::/64")},
			// 172.18/16 touches 172.17/16: one interval in masq4.
			{Bridge: "br-a", Subnets: pfx("172.18.0.9/16")},
			{Bridge: "br-i", Subnets: pfx("10.9.0.0/24"), Internal: true},
		},
		Ports: []Port{
			{Proto: "tcp", HostPort: 8080, Addr: addr("172.17.0.2"), Port: 80},
			{Proto: "tcp", HostPort: 8080, Addr: addr("172.17.0.2"), Port: 80}, // a duplicate
			{Proto: "udp", HostIP: addr("0.0.0.0"), HostPort: 53, Addr: addr("172.18.0.3"), Port: 5353},
			{Proto: "tcp", HostIP: addr("127.0.0.1"), HostPort: 8081, Addr: addr("172.18.0.2"), Port: 81},
			{Proto: "tcp", HostIP: addr("::ffff:10.0.0.1"), HostPort: 8082, Addr: addr("172.18.0.2"), Port: 82},
			{Proto: "tcp", HostIP: addr("::"), HostPort: 8080, Addr: addr("fd00:17::2"), Port: 80},
			{Proto: "udp", HostIP: addr("2001:db8::1"), HostPort: 9, Addr: addr("fd00:17::2"), Port: 9},
		},
	}
	p, err := planFor(rs)
	if err != nil {
		t.Fatalf("planFor = %v", err)
	}
	want := []string{
		`bridges "br-a"`,
		`bridges "br-i"`,
		`bridges "dock0"`,
		`hostports4 10.0.0.1 . tcp . 8082 : 172.18.0.2 . 82`,
		`hostports4 127.0.0.1 . tcp . 8081 : 172.18.0.2 . 81`,
		`hostports6 2001:db8::1 . udp . 9 : fd00:17::2 . 9`,
		`internal "br-i"`,
		`masq4 172.17.0.0`,
		`masq4 end 172.19.0.0`,
		`masq6 fd00:17::`,
		`masq6 end fd00:17:0:1::`,
		`ports4 tcp . 8080 : 172.17.0.2 . 80`,
		`ports4 udp . 53 : 172.18.0.3 . 5353`,
		`ports6 tcp . 8080 : fd00:17::2 . 80`,
		`same-bridge "br-a" . "br-a"`,
		`same-bridge "br-i" . "br-i"`,
		`same-bridge "dock0" . "dock0"`,
		`subnet-bridge4 10.9.0.0-10.9.0.255 . "br-i"`,
		`subnet-bridge4 172.17.0.0-172.17.255.255 . "dock0"`,
		`subnet-bridge4 172.18.0.0-172.18.255.255 . "br-a"`,
		`subnet-bridge6 fd00:17::-fd00:17::ffff:ffff:ffff:ffff . "dock0"`,
	}
	if got := render(p); !slices.Equal(got, want) {
		t.Errorf("planFor =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPlanForEncoding pins the bytes of one element of each kind: the
// layout the rules' registers expect (fields padded to 4 bytes).
func TestPlanForEncoding(t *testing.T) {
	p, err := planFor(&Ruleset{
		Networks: []Network{{Bridge: "b", Subnets: pfx("10.0.0.0/8")}},
		Ports:    []Port{{Proto: "udp", HostIP: addr("10.0.0.1"), HostPort: 0x1234, Addr: addr("10.1.2.3"), Port: 0x5678}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := p[mapHostPorts4][0]
	if want := []byte{10, 0, 0, 1, 17, 0, 0, 0, 0x12, 0x34, 0, 0}; !slices.Equal(e.key, want) {
		t.Errorf("hostports4 key = %v, want %v", e.key, want)
	}
	if want := []byte{10, 1, 2, 3, 0x56, 0x78, 0, 0}; !slices.Equal(e.val, want) {
		t.Errorf("hostports4 value = %v, want %v", e.val, want)
	}
	own := p[setOwn4][0]
	if want := append([]byte{10, 0, 0, 0, 'b'}, make([]byte, 15)...); !slices.Equal(own.key, want) {
		t.Errorf("subnet-bridge4 key = %v, want %v", own.key, want)
	}
	if want := append([]byte{10, 255, 255, 255, 'b'}, make([]byte, 15)...); !slices.Equal(own.keyEnd, want) {
		t.Errorf("subnet-bridge4 key end = %v, want %v", own.keyEnd, want)
	}
}

func TestPlanForIntervals(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{"10.0.0.0/24"}, []string{"10.0.0.0", "end 10.0.1.0"}},
		// Adjacent runs merge, in any order; a gap keeps them apart.
		{[]string{"10.0.1.0/24", "10.0.0.0/24", "10.0.3.0/24"}, []string{"10.0.0.0", "end 10.0.2.0", "10.0.3.0", "end 10.0.4.0"}},
		// The last address of the family has no address after it.
		{[]string{"255.255.255.0/24"}, []string{"255.255.255.0"}},
		{[]string{"0.0.0.0/0"}, []string{"0.0.0.0"}},
	} {
		var got []string
		for _, e := range intervals(pfx(tc.in...)) {
			got = append(got, decode(setMasq4, e))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("intervals(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestPlanForRefuses(t *testing.T) {
	net1 := Network{Bridge: "br-a", Subnets: pfx("10.0.0.0/24")}
	c := addr("10.0.0.2")
	for _, tc := range []struct {
		name string
		rs   Ruleset
		want string
	}{
		{"empty bridge", Ruleset{Networks: []Network{{}}}, "bridge name"},
		{"long bridge", Ruleset{Networks: []Network{{Bridge: "br-0123456789abc"}}}, "want 1 to 15 bytes"},
		{"slash in bridge", Ruleset{Networks: []Network{{Bridge: "a/b"}}}, "bad character"},
		{"same bridge twice", Ruleset{Networks: []Network{net1, {Bridge: "br-a"}}}, "named by two networks"},
		{"overlap", Ruleset{Networks: []Network{net1, {Bridge: "br-b", Subnets: pfx("10.0.0.128/25")}}}, "overlaps"},
		{"bad subnet", Ruleset{Networks: []Network{{Bridge: "br-b", Subnets: []netip.Prefix{{}}}}}, "bad subnet"},
		{"mapped subnet", Ruleset{Networks: []Network{{Bridge: "br-b", Subnets: pfx("::ffff:10.0.0.0/120")}}}, "bad subnet"},
		{"sctp", Ruleset{Ports: []Port{{Proto: "sctp", HostPort: 1, Addr: c, Port: 1}}}, "want tcp or udp"},
		{"host port 0", Ruleset{Ports: []Port{{Proto: "tcp", Addr: c, Port: 1}}}, "port 0"},
		{"port 0", Ruleset{Ports: []Port{{Proto: "tcp", HostPort: 1, Addr: c}}}, "port 0"},
		{"no address", Ruleset{Ports: []Port{{Proto: "tcp", HostPort: 1, Port: 1}}}, "bad container address"},
		{"v6 host, v4 container", Ruleset{Ports: []Port{{Proto: "tcp", HostIP: addr("::1"), HostPort: 1, Addr: c, Port: 1}}}, "different families"},
		{"v4 any, v6 container", Ruleset{Ports: []Port{{Proto: "tcp", HostIP: addr("0.0.0.0"), HostPort: 1, Addr: addr("fd00::2"), Port: 1}}}, "different families"},
		{"conflict", Ruleset{Ports: []Port{
			{Proto: "tcp", HostPort: 1, Addr: c, Port: 1},
			{Proto: "tcp", HostPort: 1, Addr: c, Port: 2},
		}}, "already published"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planFor(&tc.rs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("planFor = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestPortString(t *testing.T) {
	for _, tc := range []struct {
		p    Port
		want string
	}{
		{Port{Proto: "tcp", HostPort: 8080, Addr: addr("10.0.0.2"), Port: 80}, "*:8080->10.0.0.2:80/tcp"},
		{Port{Proto: "udp", HostIP: addr("::1"), HostPort: 53, Addr: addr("fd00::2"), Port: 53}, "[::1]:53->[fd00::2]:53/udp"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("Port.String() = %q, want %q", got, tc.want)
		}
	}
}

// TestChunks: big maps are split so that no message's element list
// outgrows its 16-bit attribute length; nothing is lost or reordered.
func TestChunks(t *testing.T) {
	var ports []Port
	for i := range 5000 {
		ports = append(ports, Port{Proto: "tcp", HostIP: addr("2001:db8::1"), HostPort: uint16(1 + i), Addr: addr("fd00::2"), Port: 80})
	}
	p, err := planFor(&Ruleset{Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	els := p[mapHostPorts6]
	cs := chunks(els)
	if len(cs) < 2 {
		t.Errorf("chunks(5000 IPv6 elements) = %d chunks, want several", len(cs))
	}
	var joined []element
	for _, c := range cs {
		size := 0
		for _, e := range c {
			size += elemSize(e)
		}
		if size > maxElemBytes {
			t.Errorf("chunk of %d elements = %d bytes, want <= %d", len(c), size, maxElemBytes)
		}
		joined = append(joined, c...)
	}
	if !slices.EqualFunc(joined, els, func(a, b element) bool { return slices.Equal(a.key, b.key) }) {
		t.Errorf("chunks lost or reordered elements")
	}
	if got := chunks(nil); len(got) != 0 {
		t.Errorf("chunks(nil) = %v, want none", got)
	}
}
