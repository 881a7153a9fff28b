package dnsserver

import (
	"net"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// BenchmarkLookupUDP: one query for a local name and its answer over a
// real UDP socket on loopback, one at a time: the latency an asker sees.
func BenchmarkLookupUDP(b *testing.B) {
	udp, _ := serve(b, &Server{Names: testNames()}, testAsker)
	c, err := net.Dial("udp", udp)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	q := newQuery(b, 1, "Web.", dnsmessage.TypeA, 0)
	buf := make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(q); err != nil {
			b.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(ioTimeout))
		if _, err := c.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandle: the server's work for that query, without the sockets.
func BenchmarkHandle(b *testing.B) {
	s := &Server{Names: testNames()}
	q := newQuery(b, 1, "Web.", dnsmessage.TypeA, 0)
	buf := make([]byte, 0, minUDPSize)
	var qr query
	b.ReportAllocs()
	for b.Loop() {
		if act, _ := s.handle(testAsker, q, false, buf, &qr); act != reply {
			b.Fatal("no local reply")
		}
	}
}
