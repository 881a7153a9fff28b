package firewall

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// lab is the traffic tests' world, in H:
//
//	I (nettest.Internet) 203.0.113.1, 2001:db8:1::1 -- wan0 203.0.113.2, 2001:db8:1::2
//	dk-a 10.88.1.1/24 fd00:88:1::1/64  -- c1 10.88.1.2 fd00:88:1::2, c1b 10.88.1.3
//	dk-b 10.88.2.1/24                  -- c2 10.88.2.2
//	dk-i 10.88.3.1/24 (internal)       -- c3 10.88.3.2
//
// Every container answers on TCP and UDP port 80 (see serve). I routes
// 10.88.0.0/16 back to H, so that without the table containers and I
// reach each other unNATed: the control for every "blocked" check.
type lab struct {
	inet            *nettest.Net
	c1, c1b, c2, c3 *container
}

const (
	inet6 = "2001:db8:1::1"
	host6 = "2001:db8:1::2"
)

func newLab(t *testing.T) *lab {
	t.Helper()
	l := &lab{inet: nettest.Internet(t)}
	sysctl(t, "net/ipv4/ip_forward", "1")
	sysctl(t, "net/ipv6/conf/all/forwarding", "1")
	wan0, err := netlink.LinkByName(nettest.HostLink)
	if err != nil {
		t.Fatal(err)
	}
	if err := setAddrs(&netlink.Handle{}, wan0, []string{host6 + "/64"}); err != nil {
		t.Fatal(err)
	}
	err = nettest.InNetNS(l.inet.NS, func() error {
		wan, err := netlink.LinkByName(nettest.InternetLink)
		if err != nil {
			return err
		}
		if err := setAddrs(&netlink.Handle{}, wan, []string{inet6 + "/64"}); err != nil {
			return err
		}
		return netlink.RouteAdd(&netlink.Route{LinkIndex: wan.Attrs().Index,
			Dst: &net.IPNet{IP: net.IP{10, 88, 0, 0}, Mask: net.CIDRMask(16, 32)}, Gw: net.IP(nettest.HostIP.AsSlice())})
	})
	if err != nil {
		t.Fatalf("internet: %v", err)
	}

	addBridge(t, "dk-a", "10.88.1.1/24", "fd00:88:1::1/64")
	addBridge(t, "dk-b", "10.88.2.1/24")
	addBridge(t, "dk-i", "10.88.3.1/24")
	// Someone else's job in dock (the bridge's owner); here, the test's.
	sysctl(t, "net/ipv4/conf/dk-a/route_localnet", "1")
	l.c1 = addContainer(t, "c1", "dk-a", "va1", []string{"10.88.1.2/24", "fd00:88:1::2/64"}, "10.88.1.1", "fd00:88:1::1")
	l.c1b = addContainer(t, "c1b", "dk-a", "va2", []string{"10.88.1.3/24"}, "10.88.1.1")
	l.c2 = addContainer(t, "c2", "dk-b", "vb1", []string{"10.88.2.2/24"}, "10.88.2.1")
	l.c3 = addContainer(t, "c3", "dk-i", "vi1", []string{"10.88.3.2/24"}, "10.88.3.1")
	for _, c := range []*container{l.c1, l.c1b, l.c2, l.c3} {
		serve(t, c.ns, c.name, 80)
	}
	return l
}

// networks are the lab's bridges as a Ruleset describes them.
func (l *lab) networks() []Network {
	return []Network{
		{Bridge: "dk-a", Subnets: pfx("10.88.1.0/24", "fd00:88:1::/64")},
		{Bridge: "dk-b", Subnets: pfx("10.88.2.0/24")},
		{Bridge: "dk-i", Subnets: pfx("10.88.3.0/24"), Internal: true},
	}
}

// wantAnswer checks that asking addr over network from ns (nil: H) gets
// the line want, or one starting with want when it ends in ":" (a peer
// address whose port is the client's).
func wantAnswer(t *testing.T, from string, ns *os.File, network, addr, want string) {
	t.Helper()
	got, err := ask(ns, network, addr)
	if err != nil || !(got == want || strings.HasSuffix(want, ":") && strings.HasPrefix(got, want)) {
		t.Errorf("from %s, %s %s answers %q, %v; want %q", from, network, addr, got, err, want)
	}
}

// brNetfilter is where br_netfilter, when loaded, has its per-namespace
// switches: bridged IPv4 and IPv6 traffic through the IP hooks.
var brNetfilter = []string{"net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables"}

// TestTraffic checks the table with real connections: NAT, published
// ports from everywhere, hairpin, isolation, internal networks, IPv6. With
// br_netfilter (Docker loads it) traffic within a bridge passes the IP
// hooks too, and some of it takes other paths: both ways are tested when
// the module is there (the test does not load it: modules are the
// machine's).
func TestTraffic(t *testing.T) {
	nettest.Require(t)
	for _, brnf := range []string{"0", "1"} {
		t.Run("br_netfilter="+brnf, func(t *testing.T) {
			if _, err := os.Stat("/proc/sys/" + brNetfilter[0]); err != nil {
				if brnf == "1" {
					t.Skip("br_netfilter is not loaded")
				}
			} else {
				for _, k := range brNetfilter {
					sysctl(t, k, brnf)
				}
			}
			testTraffic(t, newLab(t))
		})
	}
}

func testTraffic(t *testing.T, l *lab) {
	inet := l.inet.NS

	// Controls, without the table: these paths exist, so when they fail
	// below, the table is what blocks them.
	for _, c := range []struct {
		from    string
		ns      *os.File
		network string
		addr    string
		want    string
	}{
		{"c1", l.c1.ns, "tcp", "10.88.2.2:80", "c2 10.88.1.2:"},
		{"c2", l.c2.ns, "tcp", "10.88.1.2:80", "c1 10.88.2.2:"},
		{"c1", l.c1.ns, "tcp", "10.88.3.2:80", "c3 10.88.1.2:"},
		{"c3", l.c3.ns, "tcp", "203.0.113.1:7", "10.88.3.2:"},
		{"I", inet, "tcp", "10.88.3.2:80", "c3 203.0.113.1:"},
		// Unmasqueraded, c1 reaches I with its own address.
		{"c1", l.c1.ns, "tcp", "203.0.113.1:7", "10.88.1.2:"},
	} {
		wantAnswer(t, c.from+" (no table)", c.ns, c.network, c.addr, c.want)
	}
	if t.Failed() {
		t.Fatalf("the lab does not work without the table")
	}

	rs := &Ruleset{
		Networks: l.networks(),
		Ports: []Port{
			{Proto: "tcp", HostPort: 8080, Addr: l.c1.ip, Port: 80},
			{Proto: "udp", HostPort: 8080, Addr: l.c1.ip, Port: 80},
			{Proto: "tcp", HostIP: addr("127.0.0.1"), HostPort: 8081, Addr: l.c1.ip, Port: 80},
			{Proto: "tcp", HostPort: 8080, Addr: addr("fd00:88:1::2"), Port: 80},
		},
	}
	mustApply(t, rs)
	t.Cleanup(func() { Apply(nil) })

	t.Run("masquerade", func(t *testing.T) {
		wantAnswer(t, "c1", l.c1.ns, "tcp", "203.0.113.1:7", "203.0.113.2:")
		wantAnswer(t, "c1", l.c1.ns, "udp", "203.0.113.1:7", "203.0.113.2:")
		wantAnswer(t, "c2", l.c2.ns, "tcp", "203.0.113.1:7", "203.0.113.2:")
		wantAnswer(t, "c1", l.c1.ns, "tcp6", "["+inet6+"]:7", "["+host6+"]:")
	})
	t.Run("published from the internet", func(t *testing.T) {
		// The client's address reaches the container: DNAT only.
		wantAnswer(t, "I", inet, "tcp", "203.0.113.2:8080", "c1 203.0.113.1:")
		wantAnswer(t, "I", inet, "udp", "203.0.113.2:8080", "c1 203.0.113.1:")
		wantAnswer(t, "I", inet, "tcp6", "["+host6+"]:8080", "c1 ["+inet6+"]:")
		// 8081 is published on 127.0.0.1 only: H itself answers, with
		// nobody listening.
		if _, err := ask(inet, "tcp", "203.0.113.2:8081"); !errors.Is(err, unix.ECONNREFUSED) {
			t.Errorf("from I, 203.0.113.2:8081 (published on 127.0.0.1) = %v, want connection refused", err)
		}
	})
	t.Run("published from the host", func(t *testing.T) {
		// From 127.0.0.1 the container must answer the bridge: masqueraded.
		wantAnswer(t, "H", nil, "tcp", "127.0.0.1:8080", "c1 10.88.1.1:")
		wantAnswer(t, "H", nil, "udp", "127.0.0.1:8080", "c1 10.88.1.1:")
		wantAnswer(t, "H", nil, "tcp", "127.0.0.1:8081", "c1 10.88.1.1:")
		wantAnswer(t, "H", nil, "tcp", "203.0.113.2:8080", "c1 203.0.113.2:")
		wantAnswer(t, "H", nil, "tcp6", "[fd00:88:1::1]:8080", "c1 [fd00:88:1::1]:")
	})
	t.Run("hairpin", func(t *testing.T) {
		wantAnswer(t, "c1", l.c1.ns, "tcp", "203.0.113.2:8080", "c1 10.88.1.1:")
		wantAnswer(t, "c1", l.c1.ns, "udp", "203.0.113.2:8080", "c1 10.88.1.1:")
		wantAnswer(t, "c1b", l.c1b.ns, "tcp", "10.88.1.1:8080", "c1 10.88.1.1:")
	})
	t.Run("isolation", func(t *testing.T) {
		for _, c := range []struct {
			from string
			ns   *os.File
			addr string
		}{
			{"c1", l.c1.ns, "10.88.2.2:80"},
			{"c2", l.c2.ns, "10.88.1.2:80"},
			{"c1", l.c1.ns, "10.88.3.2:80"},
			{"c3", l.c3.ns, "203.0.113.1:7"},
			{"I", inet, "10.88.3.2:80"},
		} {
			if err := blocked(c.ns, c.addr); err != nil {
				t.Errorf("from %s: %v", c.from, err)
			}
		}
		// Same network, same bridge: not our business.
		wantAnswer(t, "c1", l.c1.ns, "tcp", "10.88.1.3:80", "c1b 10.88.1.2:")
	})
	t.Run("internal reaches the host", func(t *testing.T) {
		ln, err := net.Listen("tcp", "10.88.3.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := dial(l.c3.ns, "tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("from c3, the host at %v: %v", ln.Addr(), err)
		}
		c.Close()
	})
}

// TestRemoteLoopbackDropped: a container forges a packet to 127.0.0.1 and
// sends it to the host over the bridge, where route_localnet=1 lets it in;
// with the table, raw prerouting drops it.
func TestRemoteLoopbackDropped(t *testing.T) {
	nettest.Require(t)
	addBridge(t, "dk-a", "10.88.1.1/24")
	sysctl(t, "net/ipv4/conf/dk-a/route_localnet", "1")
	c1 := addContainer(t, "c1", "dk-a", "va1", []string{"10.88.1.2/24"}, "10.88.1.1")
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := uint16(pc.LocalAddr().(*net.UDPAddr).Port)
	br, err := netlink.LinkByName("dk-a")
	if err != nil {
		t.Fatal(err)
	}

	// received sends the forged packet up to tries times and reports
	// whether one arrived: the veth's carrier, and with it its queue, may
	// come up a moment after the link (linkwatch), dropping what is sent
	// before.
	received := func(payload string, tries int) error {
		var err error
		for range tries {
			if err := forgeUDP(c1.ns, br.Attrs().HardwareAddr, c1.ip, netip.AddrPortFrom(addr("127.0.0.1"), port), payload); err != nil {
				t.Fatalf("forge: %v", err)
			}
			if err = readPacket(pc, payload); err == nil {
				return nil
			}
		}
		return err
	}
	// The control: without the table the forged packet arrives.
	if err := received("no table", 5); err != nil {
		t.Fatalf("forged packet without the table: %v", err)
	}
	mustApply(t, &Ruleset{Networks: []Network{{Bridge: "dk-a", Subnets: pfx("10.88.1.0/24")}}})
	t.Cleanup(func() { Apply(nil) })
	if err := received("table", 2); err == nil {
		t.Errorf("forged packet to 127.0.0.1 from a container arrived despite the table")
	}
}
