package dnsserver

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// FuzzHandle feeds handle arbitrary requests: it must not panic nor change
// the request, a reply must parse, answer the request's ID and fit a UDP
// asker's limit, and a forward must come with the question read.
func FuzzHandle(f *testing.F) {
	for _, tc := range hostileCases {
		f.Add(tc.msg, false)
	}
	for _, name := range []string{"web.", "many.", "x.example.", "2.0.18.172.in-addr.arpa."} {
		for _, qt := range []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA, dnsmessage.TypePTR, dnsmessage.TypeALL} {
			q, _ := buildQuery(1, name, qt, 0)
			f.Add(q, false)
			q, _ = buildQuery(2, name, qt, 1232)
			f.Add(q, true)
		}
	}
	s := &Server{Names: testNames()}
	f.Fuzz(func(t *testing.T, msg []byte, tcp bool) {
		orig := bytes.Clone(msg)
		var q query
		act, out := s.handle(testAsker, msg, tcp, nil, &q)
		if !bytes.Equal(msg, orig) {
			t.Fatalf("handle changed the request")
		}
		switch act {
		case reply:
			var m dnsmessage.Message
			if err := m.Unpack(out); err != nil {
				t.Fatalf("reply %x does not parse: %v", out, err)
			}
			if !m.Response || m.ID != binary.BigEndian.Uint16(msg) {
				t.Fatalf("reply header %+v, want a response with ID %d", m.Header, binary.BigEndian.Uint16(msg))
			}
			if !tcp && len(out) > q.udpSize {
				t.Fatalf("UDP reply of %d bytes, over %d", len(out), q.udpSize)
			}
		case forward:
			if !q.hasQ {
				t.Fatal("forward without a question")
			}
		case drop:
			if len(out) != 0 {
				t.Fatal("drop with a reply")
			}
		}
	})
}
