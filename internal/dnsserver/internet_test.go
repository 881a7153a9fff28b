package dnsserver

import (
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/vishvananda/netlink"
	"golang.org/x/net/dns/dnsmessage"
)

var internetDNS = netip.AddrPortFrom(nettest.InternetIP, nettest.DNSPort)

// TestForwardInternet: names under example.test go to the fake internet's
// server and come back, over UDP and TCP, A and AAAA; other names get its
// NXDOMAIN.
func TestForwardInternet(t *testing.T) {
	nettest.Internet(t)
	checkGoroutines(t)
	udp, tcp := serve(t, &Server{Names: testNames(internetDNS)}, testAsker)
	for _, tc := range []struct {
		name  string
		qtype dnsmessage.Type
		rcode dnsmessage.RCode
		want  []string
	}{
		{"x.example.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []string{"A " + nettest.ExampleIPv4.String()}},
		{"X.Example.Test.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, []string{"AAAA " + nettest.ExampleIPv6.String()}},
		{"x.nowhere.", dnsmessage.TypeA, dnsmessage.RCodeNameError, nil},
		{"web.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []string{"A " + webV4.String()}}, // still local
	} {
		for _, proto := range []string{"udp", "tcp"} {
			q := newQuery(t, 0x4242, tc.name, tc.qtype, 0)
			var resp []byte
			if proto == "udp" {
				resp = askUDP(t, udp, q)
			} else {
				resp = askTCP(t, tcp, q)
			}
			if got := parseReply(t, resp, 0); got.id != 0x4242 || got.rcode != tc.rcode || !slices.Equal(got.answer, tc.want) {
				t.Errorf("%s %s %v = %+v, want %v %q", proto, tc.name, tc.qtype, got, tc.rcode, tc.want)
			}
		}
	}
}

// TestForwardInternetFallback: the first upstream is an address in the
// internet's subnet where nothing lives (no answer, not even ICMP in
// time); the second is the internet's server. Each query costs about one
// Timeout (logged).
func TestForwardInternetFallback(t *testing.T) {
	nettest.Internet(t)
	checkGoroutines(t)
	nobody := netip.MustParseAddrPort("203.0.113.99:53")
	timeout := 500 * time.Millisecond
	udp, tcp := serve(t, &Server{Names: testNames(nobody, internetDNS), Timeout: timeout}, testAsker)
	want := []string{"A " + nettest.ExampleIPv4.String()}
	for _, proto := range []string{"udp", "tcp"} {
		q := newQuery(t, 9, "y.example.test.", dnsmessage.TypeA, 0)
		start := time.Now()
		var resp []byte
		if proto == "udp" {
			resp = askUDP(t, udp, q)
		} else {
			resp = askTCP(t, tcp, q)
		}
		t.Logf("%s: answered after %v with Timeout %v", proto, time.Since(start), timeout)
		if got := parseReply(t, resp, 0); got.rcode != dnsmessage.RCodeSuccess || !slices.Equal(got.answer, want) {
			t.Errorf("%s: y.example.test = %+v, want %q", proto, got, want)
		}
	}
}

// TestServeInContainerNetNS plays the engine: the serving sockets are on
// 127.0.0.11 in a new network namespace C, the upstream is on the host's
// loopback (127.0.0.53, as systemd-resolved). A client in C gets local and
// forwarded answers: forwarding happens from the server's namespace, where
// 127.0.0.53 exists, not from C, where it does not.
func TestServeInContainerNetNS(t *testing.T) {
	nettest.Require(t)
	checkGoroutines(t)
	up := newUpstreamAt(t, "127.0.0.53:53", func(req []byte, _ bool) [][]byte {
		return [][]byte{answerWith(req, dnsmessage.RCodeSuccess, false, outsideIP)}
	})
	ns := newNetNS(t)
	var pc net.PacketConn
	var ln net.Listener
	err := nettest.InNetNS(ns, func() error {
		h, err := netlink.NewHandle()
		if err != nil {
			return err
		}
		defer h.Close()
		lo, err := h.LinkByName("lo")
		if err != nil {
			return err
		}
		if err := h.LinkSetUp(lo); err != nil {
			return err
		}
		if pc, err = net.ListenPacket("udp", "127.0.0.11:0"); err != nil {
			return err
		}
		ln, err = net.Listen("tcp", "127.0.0.11:0")
		return err
	})
	if err != nil {
		t.Fatalf("sockets in the container namespace: %v", err)
	}
	srv := &Server{Names: testNames(up.addr)}
	udpDone, tcpDone := make(chan error, 1), make(chan error, 1)
	go func() { udpDone <- srv.ServeUDP(pc, testAsker) }()
	go func() { tcpDone <- srv.ServeTCP(ln, testAsker) }()
	defer func() {
		pc.Close()
		ln.Close()
		if err := waitReturn(t, "ServeUDP", udpDone); err != nil {
			t.Error(err)
		}
		if err := waitReturn(t, "ServeTCP", tcpDone); err != nil {
			t.Error(err)
		}
	}()

	// In the host, 127.0.0.11 has nothing: the sockets are C's.
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatalf("the listener %v answers in the host namespace too", ln.Addr())
	}
	for _, tc := range []struct{ name, want string }{
		{"web.", "A " + webV4.String()},
		{"far.example.", "A " + outsideIP.String()},
	} {
		for _, proto := range []string{"udp", "tcp"} {
			addr := pc.LocalAddr().String()
			if proto == "tcp" {
				addr = ln.Addr().String()
			}
			resp, err := askFrom(ns, proto, addr, newQuery(t, 77, tc.name, dnsmessage.TypeA, 0))
			if err != nil {
				t.Fatalf("%s from the container: %v", proto, err)
			}
			if got := parseReply(t, resp, 0); got.id != 77 || !slices.Equal(got.answer, []string{tc.want}) {
				t.Errorf("%s %s from the container = %+v, want %q", proto, tc.name, got, tc.want)
			}
		}
	}
	if n := up.queries.Load(); n != 2 {
		t.Errorf("the host loopback upstream got %d queries, want 2", n)
	}
}

// askFrom sends msg from a socket in ns and returns the reply.
func askFrom(ns *os.File, network, addr string, msg []byte) ([]byte, error) {
	c, err := nettest.DialFrom(ns, network, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	if network == "tcp" {
		if _, err := c.Write(frame(nil, msg)); err != nil {
			return nil, err
		}
		return readFrame(c)
	}
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	buf := make([]byte, 64<<10)
	n, err := c.Read(buf)
	return buf[:n], err
}

// newNetNS creates a network namespace, closed at the end of the test. The
// thread that made it stays locked, so Go ends it rather than reuse it.
func newNetNS(t *testing.T) *os.File {
	t.Helper()
	return nettest.NewNetNS(t)
}
