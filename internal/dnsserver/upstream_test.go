package dnsserver

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// upstream is a fake DNS server on loopback, UDP and TCP on one port, that
// answers with what reply returns: any number of messages (stray ones
// first, to test that they are ignored), none to stay silent.
type upstream struct {
	addr    netip.AddrPort
	queries atomic.Int64 // received, both transports
	tcp     atomic.Int64 // received over TCP
}

func newUpstream(t testing.TB, reply func(req []byte, tcp bool) [][]byte) *upstream {
	t.Helper()
	return newUpstreamAt(t, "127.0.0.1:0", reply)
}

// newUpstreamAt is newUpstream on addr.
func newUpstreamAt(t testing.TB, addr string, reply func(req []byte, tcp bool) [][]byte) *upstream {
	t.Helper()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{addr: pc.LocalAddr().(*net.UDPAddr).AddrPort()}
	ln, err := net.Listen("tcp", u.addr.String())
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		pc.Close()
		ln.Close()
		wg.Wait()
	})
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			u.queries.Add(1)
			for _, m := range reply(append([]byte(nil), buf[:n]...), false) {
				pc.WriteTo(m, from)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(ioTimeout))
				req, err := readFrame(c)
				if err != nil {
					return
				}
				u.queries.Add(1)
				u.tcp.Add(1)
				for _, m := range reply(req, true) {
					c.Write(frame(nil, m))
				}
			}()
		}
	}()
	return u
}

// answerWith builds the reply to req with rcode and, for an A question, an
// A record of addr each (TTL 60).
func answerWith(req []byte, rcode dnsmessage.RCode, tc bool, addrs ...netip.Addr) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RCode: rcode, Truncated: tc, RecursionDesired: h.RecursionDesired, RecursionAvailable: true})
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	for _, a := range addrs {
		b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: a.As4()})
	}
	out, _ := b.Finish()
	return out
}

// silentUpstream is a bound UDP socket that never answers: an upstream
// that is down without saying so (no ICMP). recv reads what was sent to
// it, so that a test can see that it was tried.
type silentUpstream struct {
	addr netip.AddrPort
	pc   net.PacketConn
}

func newSilentUpstream(t testing.TB) *silentUpstream {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &silentUpstream{addr: pc.LocalAddr().(*net.UDPAddr).AddrPort(), pc: pc}
}

// recv returns the next query sent to the silent upstream.
func (s *silentUpstream) recv(t testing.TB) []byte {
	t.Helper()
	buf := make([]byte, 64<<10)
	s.pc.SetReadDeadline(time.Now().Add(ioTimeout))
	n, _, err := s.pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("silent upstream: no query: %v", err)
	}
	return buf[:n]
}
