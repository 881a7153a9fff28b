package dnsserver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// hdr builds a DNS header: id, flags, and the four section counts.
func hdr(id, flags uint16, counts ...uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, flags)
	for i := range 4 {
		var c uint16
		if i < len(counts) {
			c = counts[i]
		}
		b = binary.BigEndian.AppendUint16(b, c)
	}
	return b
}

// webQ is a valid question for web A, in wire form.
var webQ = []byte("\x03web\x00\x00\x01\x00\x01")

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// hostileCases are requests that must be dropped (rcode -1) or answered
// with an error, without disturbing the server.
var hostileCases = []struct {
	name  string
	msg   []byte
	rcode int // -1: dropped
}{
	{"empty", nil, -1},
	{"short header", hdr(1, 0, 1)[:11], -1},
	{"reply", cat(hdr(2, 0x8000, 1), webQ), -1},
	{"no question", hdr(3, 0), int(dnsmessage.RCodeFormatError)},
	{"header says one, none there", hdr(4, 0, 1), int(dnsmessage.RCodeFormatError)},
	{"two questions", cat(hdr(5, 0, 2), webQ, webQ), int(dnsmessage.RCodeFormatError)},
	{"65535 questions", cat(hdr(6, 0, 65535), webQ), int(dnsmessage.RCodeFormatError)},
	{"compression loop", cat(hdr(7, 0, 1), []byte("\xc0\x0c\x00\x01\x00\x01")), int(dnsmessage.RCodeFormatError)},
	{"two-pointer loop", cat(hdr(8, 0, 1), []byte("\x01a\xc0\x0e\x00\x01\x00\x01")), int(dnsmessage.RCodeFormatError)},
	{"pointer past the end", cat(hdr(9, 0, 1), []byte("\xc0\xff\x00\x01\x00\x01")), int(dnsmessage.RCodeFormatError)},
	{"reserved label type", cat(hdr(10, 0, 1), []byte("\x80web\x00\x00\x01\x00\x01")), int(dnsmessage.RCodeFormatError)},
	{"label past the end", cat(hdr(11, 0, 1), []byte("\x3fweb")), int(dnsmessage.RCodeFormatError)},
	{"dot inside a label", cat(hdr(12, 0, 1), []byte("\x03w.b\x00\x00\x01\x00\x01")), int(dnsmessage.RCodeFormatError)},
	{"name over 255", cat(hdr(13, 0, 1), bytes.Repeat([]byte("\x3f"+string(bytes.Repeat([]byte("a"), 63))), 5), []byte("\x00\x00\x01\x00\x01")), int(dnsmessage.RCodeFormatError)},
	{"no type", cat(hdr(14, 0, 1), []byte("\x03web\x00")), int(dnsmessage.RCodeFormatError)},
	{"65535 answers announced", cat(hdr(15, 0, 1, 65535), webQ), int(dnsmessage.RCodeFormatError)},
	{"bad additional", cat(hdr(16, 0, 1, 0, 0, 1), webQ, []byte("\x00\x00\x29")), int(dnsmessage.RCodeFormatError)},
	{"opcode STATUS", cat(hdr(17, 2<<11, 1), webQ), int(dnsmessage.RCodeNotImplemented)},
	{"opcode UPDATE", cat(hdr(18, 5<<11, 1), webQ), int(dnsmessage.RCodeNotImplemented)},
	{"trailing bytes", cat(hdr(19, 0, 1), webQ, []byte("garbage")), int(dnsmessage.RCodeSuccess)},
}

// TestHostileUDP sends each hostile datagram, then a valid query from the
// same socket: the server handles datagrams in order, so the first reply
// is the hostile one's, or, when that was dropped, the valid one's.
func TestHostileUDP(t *testing.T) {
	checkGoroutines(t)
	udp, _ := serve(t, &Server{Names: testNames()}, testAsker)
	c, err := net.Dial("udp", udp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	valid := newQuery(t, 0xaaaa, "web.", dnsmessage.TypeA, 0)
	buf := make([]byte, 64<<10)
	read := func() (uint16, dnsmessage.RCode, int) {
		c.SetReadDeadline(time.Now().Add(ioTimeout))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var m dnsmessage.Message
		if err := m.Unpack(buf[:n]); err != nil {
			t.Fatalf("reply %x does not parse: %v", buf[:n], err)
		}
		return m.ID, m.RCode, len(m.Questions)
	}
	for _, tc := range hostileCases {
		c.Write(tc.msg)
		c.Write(valid)
		id, rcode, nq := read()
		switch {
		case tc.rcode < 0 && id != 0xaaaa:
			t.Errorf("%s: got a reply (ID %d, %v), want none", tc.name, id, rcode)
		case tc.rcode >= 0 && (id == 0xaaaa || int(rcode) != tc.rcode):
			t.Errorf("%s: reply ID %#x %v, want ID %#x %v", tc.name, id, rcode, binary.BigEndian.Uint16(tc.msg), dnsmessage.RCode(tc.rcode))
		case tc.rcode >= 0:
			if want := binary.BigEndian.Uint16(tc.msg); id != want {
				t.Errorf("%s: reply ID %#x, want %#x", tc.name, id, want)
			}
			if binary.BigEndian.Uint16(tc.msg[4:]) != 1 && nq != 0 {
				t.Errorf("%s: reply echoes %d questions, want none", tc.name, nq)
			}
			if id, _, _ := read(); id != 0xaaaa {
				t.Errorf("%s: second reply ID %#x, want the valid query's", tc.name, id)
			}
		}
	}
}

// TestRandomUDP: thousands of random datagrams, some with a plausible
// header; every reply parses; the server still answers afterwards. No
// upstreams, so that nothing is forwarded anywhere.
func TestRandomUDP(t *testing.T) {
	checkGoroutines(t)
	udp, _ := serve(t, &Server{Names: testNames()}, testAsker)
	c, err := net.Dial("udp", udp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	for i := range n {
		msg := make([]byte, r.IntN(300))
		for j := range msg {
			msg[j] = byte(r.Uint32())
		}
		if i%2 == 0 && len(msg) >= headerLen {
			copy(msg, hdr(uint16(i), 0, 1))
		}
		c.Write(msg)
		if i%100 == 99 {
			// A pause for breath: the socket's buffer is finite, and the
			// final query must not be dropped by the kernel.
			if _, err := tryUDP(udp, newQuery(t, 1, "web.", dnsmessage.TypeA, 0)); err != nil {
				t.Fatalf("after %d random datagrams: %v", i+1, err)
			}
			// And the replies so far leave this socket's buffer, or the
			// last one would find it full (and be dropped) on a slow run.
			drain(c)
		}
	}
	valid := newQuery(t, 0xaaaa, "web.", dnsmessage.TypeA, 0)
	c.Write(valid)
	buf := make([]byte, 64<<10)
	for range 2 * n {
		c.SetReadDeadline(time.Now().Add(ioTimeout))
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no reply to the valid query after random ones: %v", err)
		}
		var m dnsmessage.Message
		if err := m.Unpack(buf[:k]); err != nil || !m.Response {
			t.Fatalf("reply %x: %v, response %v", buf[:k], err, m.Response)
		}
		if m.ID == 0xaaaa {
			return
		}
	}
	t.Fatal("no reply to the valid query among the replies")
}

// TestHostileTCP: bad length prefixes end the connection; a huge length
// followed by silence ends it at IdleTimeout, while other connections are
// served; bad messages within good frames are answered like datagrams and
// the connection goes on.
func TestHostileTCP(t *testing.T) {
	checkGoroutines(t)
	_, tcp := serve(t, &Server{Names: testNames(), IdleTimeout: 300 * time.Millisecond}, testAsker)
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", tcp, ioTimeout)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(ioTimeout))
		return c
	}
	// closed reports whether the server ended c: a read sees EOF or a reset
	// before the test's own deadline.
	closed := func(c net.Conn) bool {
		_, err := c.Read(make([]byte, 1))
		return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
	}
	for _, tc := range []struct {
		name string
		send []byte
	}{
		{"length 0", []byte{0, 0}},
		{"length 5", cat([]byte{0, 5}, []byte("hello"))},
		{"huge length, then silence", cat([]byte{0xff, 0xff}, hdr(1, 0, 1))},
		{"half a length", []byte{0}},
		{"nothing", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial()
			c.Write(tc.send)
			// Meanwhile a second connection is served.
			if got := parseReply(t, askTCP(t, tcp, newQuery(t, 2, "web.", dnsmessage.TypeA, 0)), ttl); len(got.answer) != 1 {
				t.Errorf("another connection: %+v, want web's address", got)
			}
			if !closed(c) {
				t.Errorf("connection after %q still open", tc.send)
			}
		})
	}
	t.Run("framed hostile messages", func(t *testing.T) {
		c := dial()
		valid := newQuery(t, 0xaaaa, "web.", dnsmessage.TypeA, 0)
		for _, tc := range hostileCases {
			if len(tc.msg) < headerLen {
				continue // a bad frame: the cases above
			}
			c.Write(cat(frame(nil, tc.msg), frame(nil, valid)))
			resp, err := readFrame(c)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			id := binary.BigEndian.Uint16(resp)
			if tc.rcode < 0 {
				if id != 0xaaaa {
					t.Errorf("%s: got a reply with ID %#x, want none", tc.name, id)
				}
				continue
			}
			if rcode := int(resp[3] & 0x0f); id != binary.BigEndian.Uint16(tc.msg) || rcode != tc.rcode {
				t.Errorf("%s: reply ID %#x rcode %d, want %#x %d", tc.name, id, rcode, binary.BigEndian.Uint16(tc.msg), tc.rcode)
			}
			if resp, err := readFrame(c); err != nil || binary.BigEndian.Uint16(resp) != 0xaaaa {
				t.Errorf("%s: second reply %x, %v; want the valid query's", tc.name, resp, err)
			}
		}
	})
}

// TestTCPPipelining: several queries in one write, local and forwarded,
// all answered on the one connection, the forwarded one last here since
// its upstream answers only after the local ones were sent.
func TestTCPPipelining(t *testing.T) {
	checkGoroutines(t)
	up := okUpstream(t)
	_, tcp := serve(t, &Server{Names: testNames(up.addr)}, testAsker)
	c, err := net.DialTimeout("tcp", tcp, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	var batch []byte
	for i, name := range []string{"web.", "far.example.", "db.", "v6only."} {
		batch = frame(batch, newQuery(t, uint16(i+1), name, dnsmessage.TypeA, 0))
	}
	if _, err := c.Write(batch); err != nil {
		t.Fatal(err)
	}
	seen := map[uint16]int{}
	for range 4 {
		resp, err := readFrame(c)
		if err != nil {
			t.Fatalf("after %d replies: %v", len(seen), err)
		}
		got := parseReply(t, resp, 0)
		seen[got.id] = len(got.answer)
	}
	want := map[uint16]int{1: 1, 2: 1, 3: 1, 4: 0}
	for id, n := range want {
		if got, ok := seen[id]; !ok || got != n {
			t.Errorf("reply %d: %d answers (present %v), want %d", id, got, ok, n)
		}
	}
}

// TestTCPConnLimit: beyond maxConns open connections, a new one is closed
// at once (the idle timeout is far away).
func TestTCPConnLimit(t *testing.T) {
	checkGoroutines(t)
	_, tcp := serve(t, &Server{Names: testNames(), IdleTimeout: time.Minute}, testAsker)
	conns := make([]net.Conn, 0, maxConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range maxConns {
		c, err := net.DialTimeout("tcp", tcp, ioTimeout)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// The server accepts in order: once the last of them is answered, all
	// are held.
	last := conns[len(conns)-1]
	last.SetDeadline(time.Now().Add(ioTimeout))
	last.Write(frame(nil, newQuery(t, 1, "web.", dnsmessage.TypeA, 0)))
	if _, err := readFrame(last); err != nil {
		t.Fatalf("connection %d: %v", maxConns, err)
	}
	extra, err := net.DialTimeout("tcp", tcp, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetDeadline(time.Now().Add(ioTimeout))
	extra.Write(frame(nil, newQuery(t, 2, "web.", dnsmessage.TypeA, 0)))
	if _, err := readFrame(extra); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("connection %d: read = %v, want it closed", maxConns+1, err)
	}
}

// drain reads what c has received until nothing more comes for a moment.
func drain(c net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}
