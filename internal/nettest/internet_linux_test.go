package nettest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"
)

// outside is an address outside 203.0.113.0/24. The tests only look up
// routes to it; nothing is ever sent.
var outside = netip.MustParseAddrPort("8.8.8.8:53")

// TestInternetHasNoWayOut: from I, the route to anything beyond
// 203.0.113.0/24 is unreachable. A UDP connect only looks the route up.
func TestInternetHasNoWayOut(t *testing.T) {
	n := Internet(t)
	err := InNetNS(n.NS, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Connect(fd, &unix.SockaddrInet4{Addr: outside.Addr().As4(), Port: int(outside.Port())})
	})
	if !errors.Is(err, unix.ENETUNREACH) {
		t.Errorf("UDP connect to %v in the internet = %v, want ENETUNREACH", outside, err)
	}
	err = InNetNS(n.NS, func() error {
		_, err := netlink.RouteGet(outside.Addr().AsSlice())
		return err
	})
	if !errors.Is(err, unix.ENETUNREACH) {
		t.Errorf("RouteGet(%v) in the internet = %v, want ENETUNREACH", outside.Addr(), err)
	}
	// From H, the same lookup leads only into I.
	routes, err := netlink.RouteGet(outside.Addr().AsSlice())
	if err != nil || len(routes) != 1 || !routes[0].Gw.Equal(InternetIP.AsSlice()) {
		t.Errorf("RouteGet(%v) in the host = %v, %v; want via %v", outside.Addr(), routes, err, InternetIP)
	}
}

func TestTCPEchoSeesHost(t *testing.T) {
	Internet(t)
	c, err := net.DialTimeout("tcp", netip.AddrPortFrom(InternetIP, EchoPort).String(), DialTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	peer, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if want := c.LocalAddr().String() + "\n"; peer != want {
		t.Errorf("echo peer line = %q, want %q", peer, want)
	}
	if !strings.HasPrefix(peer, HostIP.String()+":") {
		t.Errorf("echo peer line = %q, want %v:port", peer, HostIP)
	}
	io.WriteString(c, "ping\n")
	if got, err := r.ReadString('\n'); got != "ping\n" {
		t.Errorf("echo = %q, %v; want %q", got, err, "ping\n")
	}
}

func TestUDPEcho(t *testing.T) {
	Internet(t)
	c, err := net.DialTimeout("udp", netip.AddrPortFrom(InternetIP, EchoPort).String(), DialTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 1500)
	// UDP may lose the first datagram while the neighbour entry resolves: a
	// few tries, each bounded.
	for try := range 3 {
		c.Write([]byte("ping"))
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Logf("try %d: %v", try, err)
			continue
		}
		if got, want := string(buf[:n]), c.LocalAddr().String()+"\nping"; got != want {
			t.Errorf("UDP echo = %q, want %q", got, want)
		}
		return
	}
	t.Fatal("no UDP echo")
}

func TestHTTP(t *testing.T) {
	Internet(t)
	// Proxy: nil: a proxy from the environment would send the request
	// elsewhere (it cannot leave H, but the test would lie).
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Get("http://" + InternetIP.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if err != nil || resp.StatusCode != http.StatusOK || string(b) != HTTPBody {
		t.Errorf("GET = %d %q, %v; want 200 %q", resp.StatusCode, b, err, HTTPBody)
	}
}

func TestDNS(t *testing.T) {
	Internet(t)
	for _, tc := range []struct {
		name  string
		qtype dnsmessage.Type
		rcode dnsmessage.RCode
		want  string // the answer, "" for none
	}{
		{"a.example.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, ExampleIPv4.String()},
		{"B.Example.Test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, ExampleIPv4.String()},
		{"a.example.test.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, ExampleIPv6.String()},
		{"a.example.test.", dnsmessage.TypeMX, dnsmessage.RCodeSuccess, ""},
		{"x.other.", dnsmessage.TypeA, dnsmessage.RCodeNameError, ""},
		{"example.test.", dnsmessage.TypeA, dnsmessage.RCodeNameError, ""},
	} {
		t.Run(tc.name+tc.qtype.String(), func(t *testing.T) {
			rcode, got, err := query(tc.name, tc.qtype)
			if err != nil {
				t.Fatal(err)
			}
			if rcode != tc.rcode || got != tc.want {
				t.Errorf("query(%s %v) = %v %q, want %v %q", tc.name, tc.qtype, rcode, got, tc.rcode, tc.want)
			}
		})
	}
	// The Go resolver reads H's fake /etc/resolv.conf and finds the server.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := &net.Resolver{PreferGo: true}
	addrs, err := r.LookupNetIP(ctx, "ip4", "web.example.test")
	if err != nil || len(addrs) != 1 || addrs[0] != ExampleIPv4 {
		t.Errorf("LookupNetIP(web.example.test) = %v, %v; want %v", addrs, err, ExampleIPv4)
	}
	_, err = r.LookupNetIP(ctx, "ip4", "x.other")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("LookupNetIP(x.other) = %v, want not found", err)
	}
}

// query asks the internet's DNS server directly and returns the rcode and
// the first answer's address.
func query(name string, qtype dnsmessage.Type) (dnsmessage.RCode, string, error) {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 0x1234, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: qtype, Class: dnsmessage.ClassINET})
	req, err := b.Finish()
	if err != nil {
		return 0, "", err
	}
	c, err := net.DialTimeout("udp", netip.AddrPortFrom(InternetIP, DNSPort).String(), DialTimeout)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	buf := make([]byte, 1500)
	var n int
	for range 3 { // UDP: a bounded number of tries
		c.Write(req)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if n, err = c.Read(buf); err == nil {
			break
		}
	}
	if err != nil {
		return 0, "", err
	}
	var p dnsmessage.Parser
	h, err := p.Start(buf[:n])
	if err != nil {
		return 0, "", err
	}
	if h.ID != 0x1234 || !h.Response {
		return 0, "", errors.New("not the response to the query")
	}
	if err := p.SkipAllQuestions(); err != nil {
		return 0, "", err
	}
	ans, err := p.AllAnswers()
	if err != nil || len(ans) == 0 {
		return h.RCode, "", err
	}
	switch r := ans[0].Body.(type) {
	case *dnsmessage.AResource:
		return h.RCode, netip.AddrFrom4(r.A).String(), nil
	case *dnsmessage.AAAAResource:
		return h.RCode, netip.AddrFrom16(r.AAAA).String(), nil
	}
	return h.RCode, ans[0].Body.GoString(), nil
}

// TestDialFrom dials from I to a listener in H: the listener sees I's
// address. Names are refused.
func TestDialFrom(t *testing.T) {
	n := Internet(t)
	ln, err := net.Listen("tcp", netip.AddrPortFrom(HostIP, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	ac := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		ac <- accepted{c, err}
	}()
	c, err := DialFrom(n.NS, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case a := <-ac:
		if a.err != nil {
			t.Fatal(a.err)
		}
		defer a.c.Close()
		if got := a.c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr(); got != InternetIP {
			t.Errorf("peer of DialFrom(internet) = %v, want %v", got, InternetIP)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no connection from the internet")
	}
	if _, err := DialFrom(n.NS, "tcp", "example.test:80"); err == nil {
		t.Error("DialFrom with a name = nil error, want a refusal")
	}
}
