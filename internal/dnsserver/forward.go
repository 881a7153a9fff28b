package dnsserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// udpBufs hold upstream replies while they are checked: a UDP reply may be
// as large as the asker's EDNS size allows, up to 64 KiB, and a smaller
// buffer would cut it silently.
var udpBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// maxUDPPayload is the largest datagram IPv4 carries; a larger query (only
// TCP can bring one) goes upstream over TCP at once.
const maxUDPPayload = 65507

// errMismatch is a TCP reply that does not answer the query sent.
var errMismatch = errors.New("reply does not match the query")

// longAgo is a deadline in the past: setting it interrupts blocked I/O.
var longAgo = time.Unix(1, 0)

// forward sends msg, a request from asker that q describes, to asker's
// upstreams in turn and returns the reply to give the asker: the first
// upstream's that is neither SERVFAIL nor REFUSED, else the last of those,
// else a SERVFAIL of ours; REFUSED without upstreams. It returns nil when
// ctx ends (the Serve call is over). msg is changed: it carries the ID sent
// upstream.
func (s *Server) forward(ctx context.Context, asker string, msg []byte, q *query, tcp bool) []byte {
	ups := s.Names.Upstreams(asker)
	if len(ups) == 0 {
		_, out := q.errorReply(nil, dnsmessage.RCodeRefused)
		return out
	}
	var last []byte
	for _, up := range ups {
		resp, err := s.exchange(ctx, up, msg, q, tcp)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			continue
		}
		if rc := dnsmessage.RCode(resp[3] & 0x0f); rc == dnsmessage.RCodeServerFailure || rc == dnsmessage.RCodeRefused {
			last = resp
			continue
		}
		return resp
	}
	if last != nil {
		return last
	}
	_, out := q.errorReply(nil, dnsmessage.RCodeServerFailure)
	return out
}

// exchange asks one upstream, over UDP, then over TCP if the asker came
// over TCP and the UDP reply is truncated, each try bounded by Timeout. The
// query goes with a fresh random ID (with the random source port of a new
// socket, what makes forged replies hard to land), the reply returns with
// the asker's.
func (s *Server) exchange(ctx context.Context, up netip.AddrPort, msg []byte, q *query, tcp bool) ([]byte, error) {
	id := uint16(rand.Uint32())
	binary.BigEndian.PutUint16(msg, id)
	var resp []byte
	var err error
	if len(msg) <= maxUDPPayload {
		resp, err = s.exchangeUDP(ctx, up, msg, q, id)
	}
	if tcp && (len(msg) > maxUDPPayload || err == nil && resp[2]&0x02 != 0) { // TC
		resp, err = s.exchangeTCP(ctx, up, msg, q, id)
	}
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint16(resp, q.hdr.ID)
	return resp, nil
}

// exchangeUDP sends msg to up from a connected UDP socket, so that only up
// can answer, and returns the first datagram that answers it (see
// matches); others are ignored until the timeout.
func (s *Server) exchangeUDP(ctx context.Context, up netip.AddrPort, msg []byte, q *query, id uint16) ([]byte, error) {
	c, stop, err := s.dial(ctx, "udp", up)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	defer stop()
	if _, err := c.Write(msg); err != nil {
		return nil, fmt.Errorf("send to %v: %w", up, err)
	}
	bp := udpBufs.Get().(*[]byte)
	defer udpBufs.Put(bp)
	buf := *bp
	for {
		// ECONNREFUSED (an ICMP port unreachable) and the deadline end
		// the loop; a stray datagram only costs a turn.
		n, err := c.Read(buf)
		if err != nil {
			return nil, fmt.Errorf("receive from %v: %w", up, err)
		}
		if matches(buf[:n], id, q) {
			return append([]byte(nil), buf[:n]...), nil
		}
	}
}

// exchangeTCP sends msg to up over a new TCP connection and reads one
// reply.
func (s *Server) exchangeTCP(ctx context.Context, up netip.AddrPort, msg []byte, q *query, id uint16) ([]byte, error) {
	c, stop, err := s.dial(ctx, "tcp", up)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	defer stop()
	if _, err := c.Write(frame(nil, msg)); err != nil {
		return nil, fmt.Errorf("send to %v over TCP: %w", up, err)
	}
	var l [2]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		return nil, fmt.Errorf("receive from %v over TCP: %w", up, err)
	}
	resp := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(c, resp); err != nil {
		return nil, fmt.Errorf("receive from %v over TCP: %w", up, err)
	}
	if !matches(resp, id, q) {
		return nil, fmt.Errorf("receive from %v over TCP: %w", up, errMismatch)
	}
	return resp, nil
}

// dial connects to up with the Timeout as the deadline of the whole try.
// stop must be called when the connection is done: until then, the end of
// ctx interrupts its I/O.
func (s *Server) dial(ctx context.Context, network string, up netip.AddrPort) (c net.Conn, stop func() bool, err error) {
	deadline := time.Now().Add(s.timeout())
	d := net.Dialer{Deadline: deadline}
	c, err = d.DialContext(ctx, network, up.String())
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %v over %s: %w", up, network, err)
	}
	c.SetDeadline(deadline)
	stop = context.AfterFunc(ctx, func() { c.SetDeadline(longAgo) })
	return c, stop, nil
}

// matches reports whether resp answers the query q that was sent with id:
// a response with that ID and q's question (names compared without regard
// to ASCII case). A reply without a question is accepted only as an error.
func matches(resp []byte, id uint16, q *query) bool {
	var p dnsmessage.Parser
	h, err := p.Start(resp)
	if err != nil || !h.Response || h.ID != id {
		return false
	}
	if binary.BigEndian.Uint16(resp[4:6]) == 0 {
		return h.RCode != dnsmessage.RCodeSuccess
	}
	rq, err := p.Question()
	if err != nil {
		return false
	}
	return rq.Type == q.question.Type && rq.Class == q.question.Class && equalFold(rq.Name, q.question.Name)
}

// equalFold compares two names without regard to ASCII case.
func equalFold(a, b dnsmessage.Name) bool {
	if a.Length != b.Length {
		return false
	}
	for i := range int(a.Length) {
		x, y := a.Data[i], b.Data[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// frame appends msg with its 2-byte length prefix (DNS over TCP) to buf.
func frame(buf, msg []byte) []byte {
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(msg)))
	return append(buf, msg...)
}
