package firewall

import (
	"strings"
	"testing"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// conntrackTo counts H's conntrack entries of protocol proto whose original
// destination port is port.
func conntrackTo(t *testing.T, proto uint8, port uint16) int {
	t.Helper()
	flows, err := netlink.ConntrackTableList(netlink.ConntrackTable, unix.AF_INET)
	if err != nil {
		t.Fatalf("conntrack: %v", err)
	}
	n := 0
	for _, f := range flows {
		if f.Forward.Protocol == proto && f.Forward.DstPort == port {
			n++
		}
	}
	return n
}

// TestForgetUDP: a UDP client that keeps its socket still reaches the old
// container after the port moves (the conntrack entry outlives the map
// element); ForgetUDP deletes that entry, and only UDP ones, and the next
// datagram reaches the new container.
func TestForgetUDP(t *testing.T) {
	l := newLab(t)
	to := func(c *container) *Ruleset {
		return &Ruleset{Networks: l.networks(), Ports: []Port{
			{Proto: "udp", HostPort: 8080, Addr: c.ip, Port: 80},
			{Proto: "tcp", HostPort: 8080, Addr: c.ip, Port: 80},
		}}
	}
	mustApply(t, to(l.c1))
	t.Cleanup(func() { Apply(nil) })

	client, err := nettest.DialFrom(l.inet.NS, "udp", "203.0.113.2:8080")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if got, err := askOn(client); !strings.HasPrefix(got, "c1 ") {
		t.Fatalf("UDP 203.0.113.2:8080 answers %q, %v; want c1", got, err)
	}
	if got, err := ask(l.inet.NS, "tcp", "203.0.113.2:8080"); !strings.HasPrefix(got, "c1 ") {
		t.Fatalf("TCP 203.0.113.2:8080 answers %q, %v; want c1", got, err)
	}

	rs := to(l.c1b)
	mustApply(t, rs)
	if got, err := askOn(client); !strings.HasPrefix(got, "c1 ") {
		t.Errorf("before ForgetUDP, UDP answers %q, %v; want still c1 (the stale entry)", got, err)
	}
	if err := ForgetUDP(rs.Ports); err != nil {
		t.Fatalf("ForgetUDP = %v", err)
	}
	if n := conntrackTo(t, unix.IPPROTO_UDP, 8080); n != 0 {
		t.Errorf("UDP conntrack entries to 8080 after ForgetUDP = %d, want 0", n)
	}
	if n := conntrackTo(t, unix.IPPROTO_TCP, 8080); n == 0 {
		t.Errorf("TCP conntrack entries to 8080 after ForgetUDP = 0, want the TCP connection's still")
	}
	if got, err := askOn(client); !strings.HasPrefix(got, "c1b ") {
		t.Errorf("after ForgetUDP, UDP answers %q, %v; want c1b", got, err)
	}

	// A port on one host address forgets only that address's entries.
	if err := ForgetUDP([]Port{{Proto: "udp", HostIP: addr("127.0.0.1"), HostPort: 8080, Addr: l.c1b.ip, Port: 80}}); err != nil {
		t.Fatalf("ForgetUDP(127.0.0.1:8080) = %v", err)
	}
	if n := conntrackTo(t, unix.IPPROTO_UDP, 8080); n != 1 {
		t.Errorf("UDP entries to 8080 after forgetting 127.0.0.1:8080 = %d, want 1 (203.0.113.2's)", n)
	}
	if err := ForgetUDP(nil); err != nil {
		t.Errorf("ForgetUDP(nil) = %v", err)
	}
}
