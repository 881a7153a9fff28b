package dnsserver

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

var outsideIP = netip.MustParseAddr("198.51.100.9")

// okUpstream answers every A question with outsideIP.
func okUpstream(t *testing.T) *upstream {
	return newUpstream(t, func(req []byte, _ bool) [][]byte {
		return [][]byte{answerWith(req, dnsmessage.RCodeSuccess, false, outsideIP)}
	})
}

// TestForward: a name that Names does not know goes to the upstream, over
// UDP for a UDP asker and a TCP asker alike, and comes back with the
// asker's ID.
func TestForward(t *testing.T) {
	checkGoroutines(t)
	up := okUpstream(t)
	udp, tcp := serve(t, &Server{Names: testNames(up.addr)}, testAsker)
	want := []string{"A " + outsideIP.String()}
	for i, proto := range []string{"udp", "tcp"} {
		id := uint16(0xbe00 + i)
		q := newQuery(t, id, "Outside.Example.", dnsmessage.TypeA, 0)
		var resp []byte
		if proto == "udp" {
			resp = askUDP(t, udp, q)
		} else {
			resp = askTCP(t, tcp, q)
		}
		if got := parseReply(t, resp, 0); got.id != id || got.rcode != dnsmessage.RCodeSuccess || !slices.Equal(got.answer, want) {
			t.Errorf("%s: forwarded query = %+v, want ID %#x, NOERROR, %q", proto, got, id, want)
		}
	}
	if n, n2 := up.queries.Load(), up.tcp.Load(); n != 2 || n2 != 0 {
		t.Errorf("upstream got %d queries, %d over TCP; want 2, 0", n, n2)
	}
}

// TestForwardTruncated: a truncated UDP reply goes back as it is to a UDP
// asker (who retries over TCP); for a TCP asker, the query is asked again
// over TCP and the whole reply comes back.
func TestForwardTruncated(t *testing.T) {
	up := newUpstream(t, func(req []byte, tcp bool) [][]byte {
		if !tcp {
			return [][]byte{answerWith(req, dnsmessage.RCodeSuccess, true)}
		}
		return [][]byte{answerWith(req, dnsmessage.RCodeSuccess, false, outsideIP)}
	})
	udp, tcp := serve(t, &Server{Names: testNames(up.addr)}, testAsker)
	got := parseReply(t, askUDP(t, udp, newQuery(t, 1, "big.example.", dnsmessage.TypeA, 0)), 0)
	if !got.tc || got.id != 1 || len(got.answer) != 0 {
		t.Errorf("over UDP = %+v, want the truncated reply with ID 1", got)
	}
	got = parseReply(t, askTCP(t, tcp, newQuery(t, 2, "big.example.", dnsmessage.TypeA, 0)), 0)
	if got.tc || got.id != 2 || !slices.Equal(got.answer, []string{"A " + outsideIP.String()}) {
		t.Errorf("over TCP = %+v, want the whole reply with ID 2", got)
	}
	if n, n2 := up.queries.Load(), up.tcp.Load(); n != 3 || n2 != 1 {
		t.Errorf("upstream got %d queries, %d over TCP; want 3, 1", n, n2)
	}
}

// TestForwardIgnoresForgeries: datagrams with another ID, another
// question, or no QR bit are ignored; the real reply that follows them is
// the one the asker gets.
func TestForwardIgnoresForgeries(t *testing.T) {
	up := newUpstream(t, func(req []byte, _ bool) [][]byte {
		wrongID := answerWith(req, dnsmessage.RCodeSuccess, false, netip.MustParseAddr("192.0.2.66"))
		binary.BigEndian.PutUint16(wrongID, binary.BigEndian.Uint16(req)+1)
		other := append([]byte(nil), req...)
		other[len(other)-5] = 'X' // a letter of the name's last label
		wrongQ := answerWith(other, dnsmessage.RCodeSuccess, false, netip.MustParseAddr("192.0.2.67"))
		notReply := answerWith(req, dnsmessage.RCodeSuccess, false, netip.MustParseAddr("192.0.2.68"))
		notReply[2] &^= 0x80
		return [][]byte{wrongID, wrongQ, notReply, []byte("junk"),
			answerWith(req, dnsmessage.RCodeSuccess, false, outsideIP)}
	})
	udp, _ := serve(t, &Server{Names: testNames(up.addr)}, testAsker)
	got := parseReply(t, askUDP(t, udp, newQuery(t, 5, "x.example.", dnsmessage.TypeA, 0)), 0)
	if !slices.Equal(got.answer, []string{"A " + outsideIP.String()}) || got.id != 5 {
		t.Errorf("reply = %+v, want the genuine one (%v) with ID 5", got, outsideIP)
	}
}

// TestForwardFallback: upstreams that are silent, refuse the port, or
// answer SERVFAIL or REFUSED are passed over for the next one. A silent one
// costs one Timeout (logged, not asserted).
func TestForwardFallback(t *testing.T) {
	checkGoroutines(t)
	silent := newSilentUpstream(t)
	closed := newSilentUpstream(t)
	closed.pc.Close() // ICMP port unreachable: fails at once
	servfail := newUpstream(t, func(req []byte, _ bool) [][]byte {
		return [][]byte{answerWith(req, dnsmessage.RCodeServerFailure, false)}
	})
	refused := newUpstream(t, func(req []byte, _ bool) [][]byte {
		return [][]byte{answerWith(req, dnsmessage.RCodeRefused, false)}
	})
	good := okUpstream(t)
	timeout := 300 * time.Millisecond
	udp, tcp := serve(t, &Server{Names: testNames(silent.addr, closed.addr, servfail.addr, refused.addr, good.addr), Timeout: timeout}, testAsker)
	for _, proto := range []string{"udp", "tcp"} {
		q := newQuery(t, 8, "x.example.", dnsmessage.TypeA, 0)
		start := time.Now()
		var resp []byte
		if proto == "udp" {
			resp = askUDP(t, udp, q)
		} else {
			resp = askTCP(t, tcp, q)
		}
		t.Logf("%s: answered after %v (Timeout %v)", proto, time.Since(start), timeout)
		if got := parseReply(t, resp, 0); got.rcode != dnsmessage.RCodeSuccess || !slices.Equal(got.answer, []string{"A " + outsideIP.String()}) {
			t.Errorf("%s: reply = %+v, want the last upstream's", proto, got)
		}
		// The silent upstream was asked first, with another ID.
		sent := silent.recv(t)
		if len(sent) != len(q) || string(sent[2:]) != string(q[2:]) {
			t.Errorf("%s: the silent upstream got %x, want the query %x but for its ID", proto, sent, q)
		}
	}
	if servfail.queries.Load() != 2 || refused.queries.Load() != 2 || good.queries.Load() != 2 {
		t.Errorf("queries: SERVFAIL upstream %d, REFUSED one %d, good one %d; want 2 each",
			servfail.queries.Load(), refused.queries.Load(), good.queries.Load())
	}
}

// TestForwardFailures: without upstreams the asker gets REFUSED (an
// internal network); when every upstream fails, SERVFAIL, or the last
// upstream's own error reply.
func TestForwardFailures(t *testing.T) {
	silent := newSilentUpstream(t)
	refused := newUpstream(t, func(req []byte, _ bool) [][]byte {
		return [][]byte{answerWith(req, dnsmessage.RCodeRefused, false)}
	})
	for _, tc := range []struct {
		name string
		ups  []netip.AddrPort
		want dnsmessage.RCode
	}{
		{"none", nil, dnsmessage.RCodeRefused},
		{"silent", []netip.AddrPort{silent.addr}, dnsmessage.RCodeServerFailure},
		{"refused", []netip.AddrPort{silent.addr, refused.addr}, dnsmessage.RCodeRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			udp, tcp := serve(t, &Server{Names: testNames(tc.ups...), Timeout: 100 * time.Millisecond}, testAsker)
			q := newQuery(t, 11, "x.example.", dnsmessage.TypeA, 1232)
			for _, resp := range [][]byte{askUDP(t, udp, q), askTCP(t, tcp, q)} {
				got := parseReply(t, resp, 0)
				if got.rcode != tc.want || got.id != 11 || len(got.answer) != 0 {
					t.Errorf("reply = %+v, want %v with ID 11", got, tc.want)
				}
				var m dnsmessage.Message
				if m.Unpack(resp) != nil || len(m.Questions) != 1 || m.Questions[0].Name.String() != "x.example." {
					t.Errorf("reply questions = %v, want x.example.", m.Questions)
				}
			}
		})
	}
}

// TestForwardLimit: with MaxForwards running, the next query that needs
// an upstream gets SERVFAIL at once, and local names are still answered.
func TestForwardLimit(t *testing.T) {
	checkGoroutines(t)
	silent := newSilentUpstream(t)
	udp, _ := serve(t, &Server{Names: testNames(silent.addr), MaxForwards: 2, Timeout: 2 * time.Second}, testAsker)
	// Two forwards wait on the silent upstream; reading them there proves
	// that both are in flight.
	type outcome struct {
		msg []byte
		err error
	}
	done := make(chan outcome, 2)
	for i := range 2 {
		q := newQuery(t, uint16(100+i), "slow.example.", dnsmessage.TypeA, 0)
		go func() {
			r, err := tryUDP(udp, q)
			done <- outcome{r, err}
		}()
	}
	silent.recv(t)
	silent.recv(t)
	got := parseReply(t, askUDP(t, udp, newQuery(t, 102, "third.example.", dnsmessage.TypeA, 0)), 0)
	if got.rcode != dnsmessage.RCodeServerFailure || got.id != 102 {
		t.Errorf("third forward = %+v, want SERVFAIL", got)
	}
	got = parseReply(t, askUDP(t, udp, newQuery(t, 103, "web.", dnsmessage.TypeA, 0)), 0)
	if got.rcode != dnsmessage.RCodeSuccess || len(got.answer) != 1 {
		t.Errorf("local name while forwards are full = %+v, want its answer", got)
	}
	for range 2 {
		r := <-done
		if r.err != nil {
			t.Errorf("a forward to the silent upstream: %v", r.err)
		} else if got := parseReply(t, r.msg, 0); got.rcode != dnsmessage.RCodeServerFailure {
			t.Errorf("a forward to the silent upstream = %+v, want SERVFAIL", got)
		}
	}
}
