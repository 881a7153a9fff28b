package ipam

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func prefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name  string
		pools []Pool
		taken []netip.Prefix
		want  string // "" for none
	}{
		{"empty host", DefaultPools, nil, "172.17.0.0/16"},
		{"default bridge taken", DefaultPools, prefixes("172.17.0.0/16"), "172.18.0.0/16"},
		{"route inside a candidate", DefaultPools, prefixes("172.17.0.0/16", "172.18.5.0/24"), "172.19.0.0/16"},
		{"host route", DefaultPools, prefixes("172.17.0.0/16", "172.18.0.0/16", "172.19.0.1/32"), "172.20.0.0/16"},
		{"route covering several", DefaultPools, prefixes("172.16.0.0/12"), "192.168.0.0/20"},
		{"/20s in order", DefaultPools, prefixes("172.16.0.0/12", "192.168.0.0/20", "192.168.17.0/24"), "192.168.32.0/20"},
		{"last /20", DefaultPools, prefixes("172.16.0.0/12", "192.168.0.0/17", "192.168.128.0/18", "192.168.192.0/19", "192.168.224.0/20"), "192.168.240.0/20"},
		{"all taken", DefaultPools, prefixes("172.16.0.0/12", "192.168.0.0/16"), ""},
		{"nameserver", DefaultPools, prefixes("172.17.0.0/16", "172.18.0.53/32"), "172.19.0.0/16"},
		{"ipv6 taken ignored for ipv4", DefaultPools, prefixes("fd00::/8"), "172.17.0.0/16"},
		{"bad pool skipped", []Pool{{netip.MustParsePrefix("10.0.0.0/16"), 8}, {netip.MustParsePrefix("10.1.0.0/16"), 24}}, prefixes("10.1.0.0/24"), "10.1.1.0/24"},
		{"ipv6 pool", []Pool{{netip.MustParsePrefix("fd00:1::/48"), 64}}, prefixes("fd00:1::/64"), "fd00:1:0:1::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Choose(tt.pools, tt.taken)
			if tt.want == "" {
				if ok {
					t.Errorf("Choose = %s, want none", got)
				}
				return
			}
			if !ok || got != netip.MustParsePrefix(tt.want) {
				t.Errorf("Choose = %s, %v, want %s", got, ok, tt.want)
			}
		})
	}
}

// TestDefaultPools: 15 /16s then 16 /20s, as Docker's.
func TestDefaultPools(t *testing.T) {
	var taken []netip.Prefix
	for {
		p, ok := Choose(DefaultPools, taken)
		if !ok {
			break
		}
		taken = append(taken, p)
	}
	if len(taken) != 31 || taken[0].String() != "172.17.0.0/16" || taken[14].String() != "172.31.0.0/16" ||
		taken[15].String() != "192.168.0.0/20" || taken[30].String() != "192.168.240.0/20" {
		t.Errorf("default pools give %v", taken)
	}
}

func TestULA(t *testing.T) {
	seed := []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xff}
	got, ok := ULA(seed, nil)
	if want := netip.MustParsePrefix("fd12:3456:789a::/64"); !ok || got != want {
		t.Errorf("ULA = %s, %v, want %s", got, ok, want)
	}
	got, ok = ULA(seed, prefixes("fd12:3456:789a::/64", "fd12:3456:789a:1::1/128"))
	if want := netip.MustParsePrefix("fd12:3456:789a:2::/64"); !ok || got != want {
		t.Errorf("ULA with taken = %s, %v, want %s", got, ok, want)
	}
	if _, ok := ULA(seed, prefixes("fd00::/8")); ok {
		t.Error("ULA found a subnet in a taken fd00::/8")
	}
	if _, ok := ULA(seed[:4], nil); ok {
		t.Error("ULA took a 4-byte seed")
	}
}

// The routes of a host with Docker: the default route, the LAN, docker0,
// a user network's bridge and a host route (little-endian kernel).
const routeLE = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
docker0	000011AC	00000000	0001	0	0	0	0000FFFF	0	0	0
br-1a2b3c4d5e6f	000012AC	00000000	0001	0	0	0	0000FFFF	0	0	0
tun0	0A0A0A0A	00000000	0005	0	0	0	FFFFFFFF	0	0	0
`

func TestParseRoutes(t *testing.T) {
	got, err := ParseRoutes(strings.NewReader(routeLE), binary.LittleEndian)
	want := prefixes("192.0.2.0/24", "172.17.0.0/16", "172.18.0.0/16", "10.10.10.10/32")
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseRoutes = %v, %v, want %v", got, err, want)
	}
	// The same table written by a big-endian kernel.
	be := "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n" +
		"eth0\tC0000200\t00000000\t0001\t0\t0\t0\tFFFFFF00\t0\t0\t0\n"
	got, err = ParseRoutes(strings.NewReader(be), binary.BigEndian)
	if want := prefixes("192.0.2.0/24"); err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseRoutes(big endian) = %v, %v, want %v", got, err, want)
	}
	for _, bad := range []string{"eth0 00000000\n", "eth0 zz000000 0 1 0 0 0 00FFFFFF 0 0 0\n", "eth0 000200C0 0 1 0 0 0 1FFFFFFFF 0 0 0\n"} {
		if got, err := ParseRoutes(strings.NewReader(bad), binary.LittleEndian); err == nil {
			t.Errorf("ParseRoutes(%q) = %v, want an error", bad, got)
		}
	}
	// A non-contiguous mask is no prefix: skipped.
	got, err = ParseRoutes(strings.NewReader("eth0 000200C0 0 1 0 0 0 00FF00FF 0 0 0\n"), binary.LittleEndian)
	if err != nil || len(got) != 0 {
		t.Errorf("ParseRoutes(non-contiguous mask) = %v, %v, want none", got, err)
	}
}

const ipv6Route = `fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0
20010db8000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000004 00000000 00000001     eth0
`

func TestParseIPv6Routes(t *testing.T) {
	got, err := ParseIPv6Routes(strings.NewReader(ipv6Route))
	want := prefixes("fd00::/64", "fe80::/64", "2001:db8::1/128")
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseIPv6Routes = %v, %v, want %v", got, err, want)
	}
	for _, bad := range []string{"fd00 40\n", "fd00 40 0 0 0 0 0 0 0 eth0\n", "fd000000000000000000000000000000 99 0 0 0 0 0 0 0 eth0\n"} {
		if got, err := ParseIPv6Routes(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseIPv6Routes(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseResolvConf(t *testing.T) {
	conf := "# generated\nsearch example.test\nnameserver 192.168.1.1\nnameserver  2001:db8::53\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:2\nnameserver\n"
	got, err := ParseResolvConf(strings.NewReader(conf))
	want := prefixes("192.168.1.1/32", "2001:db8::53/128", "fe80::1/128")
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseResolvConf = %v, %v, want %v", got, err, want)
	}
}

func TestLastAddr(t *testing.T) {
	for p, want := range map[string]string{"172.18.0.0/16": "172.18.255.255", "10.0.0.1/32": "10.0.0.1", "fd00::/64": "fd00::ffff:ffff:ffff:ffff", "0.0.0.0/0": "255.255.255.255"} {
		if got := LastAddr(netip.MustParsePrefix(p)); got.String() != want {
			t.Errorf("LastAddr(%s) = %s, want %s", p, got, want)
		}
	}
}
