package dnsserver

import (
	"slices"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// TestLocalAnswers asks over UDP and TCP for names that Names knows, in
// every case form: the addresses of the asked family, TTL 600, NOERROR
// without answers for a family or type the name lacks.
func TestLocalAnswers(t *testing.T) {
	checkGoroutines(t)
	// The upstream fails every query that reaches it: a local answer must
	// never come from there.
	up := newUpstream(t, func(req []byte, _ bool) [][]byte {
		return [][]byte{answerWith(req, dnsmessage.RCodeNameError, false)}
	})
	udp, tcp := serve(t, &Server{Names: testNames(up.addr)}, testAsker)
	for _, tc := range []struct {
		name  string
		qtype dnsmessage.Type
		want  []string
	}{
		{"web.", dnsmessage.TypeA, []string{"A 172.18.0.2"}},
		{"web.", dnsmessage.TypeAAAA, []string{"AAAA fd00:d0c::2"}},
		{"WeB.", dnsmessage.TypeA, []string{"A 172.18.0.2"}},
		{"WWW.", dnsmessage.TypeAAAA, []string{"AAAA fd00:d0c::2"}},
		{"0123456789AB.", dnsmessage.TypeA, []string{"A 172.18.0.2"}},
		{"Svc.Local.", dnsmessage.TypeA, []string{"A 172.18.0.3"}},
		{"web.", dnsmessage.TypeALL, []string{"A 172.18.0.2", "AAAA fd00:d0c::2"}},
		// A known name without the asked family: NOERROR, no records.
		{"db.", dnsmessage.TypeAAAA, nil},
		{"v6only.", dnsmessage.TypeA, nil},
		{"v6only.", dnsmessage.TypeAAAA, []string{"AAAA fd00:d0c::4"}},
		{"web.", dnsmessage.TypeMX, nil},
		{"web.", dnsmessage.TypeTXT, nil},
		// Reverse names, both families, any case, with and without the
		// trailing dot from Names.
		{"2.0.18.172.in-addr.arpa.", dnsmessage.TypePTR, []string{"PTR web."}},
		{"3.0.18.172.IN-ADDR.ARPA.", dnsmessage.TypePTR, []string{"PTR db.net1."}},
		{"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.0.D.0.0.0.D.F.ip6.arpa.", dnsmessage.TypePTR, []string{"PTR web."}},
		{"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.0.d.0.0.0.d.f.ip6.arpa.", dnsmessage.TypePTR, []string{"PTR web."}},
	} {
		for _, proto := range []string{"udp", "tcp"} {
			t.Run(proto+"/"+tc.name+tc.qtype.String(), func(t *testing.T) {
				q := newQuery(t, 0x1234, tc.name, tc.qtype, 0)
				var resp []byte
				if proto == "udp" {
					resp = askUDP(t, udp, q)
				} else {
					resp = askTCP(t, tcp, q)
				}
				got := parseReply(t, resp, ttl)
				if got.id != 0x1234 || got.rcode != dnsmessage.RCodeSuccess || got.tc || !slices.Equal(got.answer, tc.want) {
					t.Errorf("ask %s %v = %+v, want ID 0x1234, NOERROR, %q", tc.name, tc.qtype, got, tc.want)
				}
			})
		}
	}
	if n := up.queries.Load(); n != 0 {
		t.Errorf("the upstream got %d queries, want 0: every name was local", n)
	}
}

// TestAnswerEchoesQuestion: the reply repeats the question byte for byte,
// mixed case included (resolvers that randomize case check it), and keeps
// the flags that the asker set.
func TestAnswerEchoesQuestion(t *testing.T) {
	udp, _ := serve(t, &Server{Names: testNames()}, testAsker)
	q := newQuery(t, 7, "wEb.", dnsmessage.TypeA, 0)
	var m dnsmessage.Message
	if err := m.Unpack(askUDP(t, udp, q)); err != nil {
		t.Fatal(err)
	}
	if len(m.Questions) != 1 || m.Questions[0].Name.String() != "wEb." || m.Questions[0].Type != dnsmessage.TypeA {
		t.Errorf("reply question = %v, want wEb. A", m.Questions)
	}
	if !m.RecursionDesired || !m.RecursionAvailable || m.Authoritative {
		t.Errorf("reply flags = %+v, want RD and RA", m.Header)
	}
}

// TestAnswerOtherAsker: the same name asked by another container is not
// local (fakeNames knows nothing for it) and is forwarded.
func TestAnswerOtherAsker(t *testing.T) {
	up := newUpstream(t, func(req []byte, _ bool) [][]byte {
		return [][]byte{answerWith(req, dnsmessage.RCodeNameError, false)}
	})
	udp, _ := serve(t, &Server{Names: testNames(up.addr)}, "someone-else")
	got := parseReply(t, askUDP(t, udp, newQuery(t, 9, "web.", dnsmessage.TypeA, 0)), 0)
	if got.rcode != dnsmessage.RCodeNameError || len(got.answer) != 0 || up.queries.Load() != 1 {
		t.Errorf("web from another asker = %+v after %d upstream queries, want the upstream's NXDOMAIN", got, up.queries.Load())
	}
}

// TestAnswerEDNSAndTruncation: a UDP answer that exceeds 512 bytes (no
// EDNS) or the asker's EDNS size is replaced by an empty one with TC; over
// TCP, or with a large enough EDNS size, all records come; an OPT record
// answers an OPT record.
func TestAnswerEDNSAndTruncation(t *testing.T) {
	udp, tcp := serve(t, &Server{Names: testNames()}, testAsker)
	for _, tc := range []struct {
		name    string
		edns    int
		tcp     bool
		wantTC  bool
		wantLen int
	}{
		{"udp", 0, false, true, 0},
		{"udp-edns-1000", 1000, false, true, 0},
		{"udp-edns-4096", 4096, false, false, 100},
		{"udp-edns-100", 100, false, true, 0}, // below 512: 512 counts
		{"tcp", 0, true, false, 100},
		{"tcp-edns", 1232, true, false, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newQuery(t, 3, "many.", dnsmessage.TypeA, tc.edns)
			var resp []byte
			if tc.tcp {
				resp = askTCP(t, tcp, q)
			} else {
				resp = askUDP(t, udp, q)
			}
			got := parseReply(t, resp, ttl)
			if got.tc != tc.wantTC || len(got.answer) != tc.wantLen || got.edns != (tc.edns > 0) || got.rcode != dnsmessage.RCodeSuccess {
				t.Errorf("many A = TC %v, %d answers, OPT %v, %v; want TC %v, %d answers, OPT %v, NOERROR",
					got.tc, len(got.answer), got.edns, got.rcode, tc.wantTC, tc.wantLen, tc.edns > 0)
			}
			if !tc.tcp && len(resp) > max(tc.edns, 512) {
				t.Errorf("UDP reply of %d bytes, over the asker's %d", len(resp), max(tc.edns, 512))
			}
		})
	}
	// A small answer fits and says EDNS back.
	got := parseReply(t, askUDP(t, udp, newQuery(t, 4, "web.", dnsmessage.TypeA, 1232)), ttl)
	if !got.edns || got.tc || len(got.answer) != 1 {
		t.Errorf("web A with EDNS = %+v, want one answer and an OPT record", got)
	}
}

func TestParseReverse(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string // "" for not an address
	}{
		{"4.3.2.1.in-addr.arpa", "1.2.3.4"},
		{"0.0.0.0.in-addr.arpa", "0.0.0.0"},
		{"255.255.255.255.in-addr.arpa", "255.255.255.255"},
		{"256.0.0.1.in-addr.arpa", ""},
		{"04.3.2.1.in-addr.arpa", ""},
		{"3.2.1.in-addr.arpa", ""},
		{"5.4.3.2.1.in-addr.arpa", ""},
		{"a.3.2.1.in-addr.arpa", ""},
		{".3.2.1.in-addr.arpa", ""},
		{"4.3.2.1in-addr.arpa", ""},
		{"in-addr.arpa", ""},
		{"-1.3.2.1.in-addr.arpa", ""},
		{"1000.3.2.1.in-addr.arpa", ""},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "2001:db8::1"},
		{"f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.ip6.arpa", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"4.0.3.0.2.0.1.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", "::ffff:1.2.3.4"},
		{"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.ip6.arpa", ""},
		{"g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", ""},
		{"10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", ""},
		{"web", ""},
		{"", ""},
	} {
		addr, ok := parseReverse(tc.name)
		got := ""
		if ok {
			got = addr.String()
		}
		if got != tc.want {
			t.Errorf("parseReverse(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}
