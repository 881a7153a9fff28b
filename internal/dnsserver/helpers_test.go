package dnsserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// ioTimeout bounds every read and write of the tests: a guard against
// hangs, never the thing asserted.
const ioTimeout = 5 * time.Second

// testAsker is the container that the fake Names answers.
const testAsker = "c0ffee"

// fakeNames knows a fixed set of names, for testAsker only: any other
// asker sees none, which checks that the asker is passed through.
type fakeNames struct {
	names map[string][]netip.Addr // keys as Names receives them
	ptrs  map[netip.Addr]string
	ups   []netip.AddrPort
}

func (f *fakeNames) Lookup(asker, name string) ([]netip.Addr, bool) {
	if asker != testAsker {
		return nil, false
	}
	a, ok := f.names[name]
	return a, ok
}

func (f *fakeNames) Reverse(asker string, addr netip.Addr) (string, bool) {
	if asker != testAsker {
		return "", false
	}
	n, ok := f.ptrs[addr]
	return n, ok
}

func (f *fakeNames) Upstreams(string) []netip.AddrPort { return f.ups }

var (
	webV4 = netip.MustParseAddr("172.18.0.2")
	webV6 = netip.MustParseAddr("fd00:d0c::2")
	dbV4  = netip.MustParseAddr("172.18.0.3")
	v6V6  = netip.MustParseAddr("fd00:d0c::4")
)

// testNames: web (both families, also as alias "www" and short ID), db
// (IPv4 only), v6only (IPv6 only), many (100 addresses), and the reverse
// names of web's two addresses (one with and one without trailing dot) and
// of db's.
func testNames(ups ...netip.AddrPort) *fakeNames {
	many := make([]netip.Addr, 100)
	for i := range many {
		many[i] = netip.AddrFrom4([4]byte{10, 0, byte(i / 256), byte(i)})
	}
	return &fakeNames{
		names: map[string][]netip.Addr{
			"web":          {webV4, webV6},
			"www":          {webV4, webV6},
			"0123456789ab": {webV4, webV6},
			"db":           {dbV4},
			"v6only":       {v6V6},
			"many":         many,
			"svc.local":    {dbV4},
		},
		ptrs: map[netip.Addr]string{
			webV4: "web",
			webV6: "web.",
			dbV4:  "db.net1",
		},
		ups: ups,
	}
}

// newQuery builds a query for name (wire form, with its trailing dot),
// with an OPT record of size edns when that is not zero.
func newQuery(t testing.TB, id uint16, name string, qt dnsmessage.Type, edns int) []byte {
	t.Helper()
	msg, err := buildQuery(id, name, qt, edns)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// buildQuery is newQuery for goroutines other than the test's.
func buildQuery(id uint16, name string, qt dnsmessage.Type, edns int) ([]byte, error) {
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, err
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: n, Type: qt, Class: dnsmessage.ClassINET})
	if edns > 0 {
		b.StartAdditionals()
		var h dnsmessage.ResourceHeader
		h.SetEDNS0(edns, dnsmessage.RCodeSuccess, false)
		b.OPTResource(h, dnsmessage.OPTResource{})
	}
	msg, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("build query %s: %w", name, err)
	}
	return msg, nil
}

// serve starts srv on fresh loopback sockets and returns their addresses;
// the cleanup closes them and fails the test unless both Serve calls
// return nil.
func serve(t testing.TB, srv *Server, asker string) (udp, tcp string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	udpDone := make(chan error, 1)
	tcpDone := make(chan error, 1)
	go func() { udpDone <- srv.ServeUDP(pc, asker) }()
	go func() { tcpDone <- srv.ServeTCP(ln, asker) }()
	t.Cleanup(func() {
		pc.Close()
		ln.Close()
		for _, c := range []struct {
			name string
			done chan error
		}{{"ServeUDP", udpDone}, {"ServeTCP", tcpDone}} {
			select {
			case err := <-c.done:
				if err != nil {
					t.Errorf("%s after close = %v, want nil", c.name, err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("%s did not return after its socket was closed", c.name)
			}
		}
	})
	return pc.LocalAddr().String(), ln.Addr().String()
}

// askUDP sends msg to addr from a new socket and returns the first reply,
// resending on a timeout a few times (a datagram may be lost).
func askUDP(t testing.TB, addr string, msg []byte) []byte {
	t.Helper()
	resp, err := tryUDP(addr, msg)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// tryUDP is askUDP for goroutines other than the test's.
func tryUDP(addr string, msg []byte) ([]byte, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	for range 3 {
		if _, err := c.Write(msg); err != nil {
			return nil, err
		}
		c.SetReadDeadline(time.Now().Add(ioTimeout))
		n, err := c.Read(buf)
		if err == nil {
			return buf[:n], nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no reply from %s over UDP", addr)
}

// askTCP sends msg over a new TCP connection and returns the reply.
func askTCP(t testing.TB, addr string, msg []byte) []byte {
	t.Helper()
	resp, err := tryTCP(addr, msg)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// tryTCP is askTCP for goroutines other than the test's.
func tryTCP(addr string, msg []byte) ([]byte, error) {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.Write(frame(nil, msg)); err != nil {
		return nil, err
	}
	resp, err := readFrame(c)
	if err != nil {
		return nil, fmt.Errorf("ask %s over TCP: %w", addr, err)
	}
	return resp, nil
}

// readFrame reads one length-prefixed message.
func readFrame(r io.Reader) ([]byte, error) {
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint16(l[:]))
	_, err := io.ReadFull(r, b)
	return b, err
}

// result is a reply in the form the tests compare.
type result struct {
	id     uint16
	rcode  dnsmessage.RCode
	tc     bool
	answer []string // "A 1.2.3.4", "AAAA ...", "PTR name." with TTL checked
	edns   bool
}

// parseReply unpacks a reply, checking that every answer has TTL ttl
// (when ttl is not zero) and the question's name as it was asked.
func parseReply(t testing.TB, b []byte, wantTTL uint32) result {
	t.Helper()
	var m dnsmessage.Message
	if err := m.Unpack(b); err != nil {
		t.Fatalf("unpack reply %x: %v", b, err)
	}
	if !m.Response {
		t.Errorf("reply without the QR bit: %+v", m.Header)
	}
	r := result{id: m.ID, rcode: m.RCode, tc: m.Truncated}
	for _, a := range m.Answers {
		if wantTTL != 0 && a.Header.TTL != wantTTL {
			t.Errorf("answer %v TTL = %d, want %d", a.Header.Name, a.Header.TTL, wantTTL)
		}
		if len(m.Questions) == 1 && a.Header.Name != m.Questions[0].Name {
			t.Errorf("answer name = %v, want the question's %v", a.Header.Name, m.Questions[0].Name)
		}
		switch body := a.Body.(type) {
		case *dnsmessage.AResource:
			r.answer = append(r.answer, "A "+netip.AddrFrom4(body.A).String())
		case *dnsmessage.AAAAResource:
			r.answer = append(r.answer, "AAAA "+netip.AddrFrom16(body.AAAA).String())
		case *dnsmessage.PTRResource:
			r.answer = append(r.answer, "PTR "+body.PTR.String())
		default:
			r.answer = append(r.answer, a.Header.Type.String())
		}
	}
	for _, a := range m.Additionals {
		if a.Header.Type == dnsmessage.TypeOPT {
			r.edns = true
		}
	}
	return r
}

// checkGoroutines fails the test if, once it is over, more goroutines run
// than before it started; it waits a bounded while for them to end.
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		var now int
		for range 100 {
			if now = runtime.NumGoroutine(); now <= before {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", before, now, buf[:runtime.Stack(buf, true)])
	})
}
