package dnsserver

import (
	"context"
	"net"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// ServeUDP answers the queries that arrive on pc, a UDP socket of the
// container asker (the name Names is asked with), until pc is closed; then
// it cancels the forwards still running, waits for their goroutines and
// returns nil. A deadline set on pc ends it with os.ErrDeadlineExceeded.
// Local answers are sent from the calling goroutine, in order; each forward
// runs on a goroutine of its own. ServeUDP may be called for many sockets
// at once; pc must not be read by anyone else.
func (s *Server) ServeUDP(pc net.PacketConn, asker string) error {
	if s.Names == nil {
		return errNoNames
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	in := make([]byte, 64<<10) // whatever a datagram holds
	out := make([]byte, 0, minUDPSize)
	var q query
	var delay time.Duration
	for {
		n, from, err := pc.ReadFrom(in)
		if err != nil {
			if stop, err := retry(err, &delay); stop {
				return err
			}
			continue
		}
		delay = 0
		act, resp := s.handle(asker, in[:n], false, out[:0], &q)
		switch act {
		case reply:
			pc.WriteTo(resp, from) // a lost reply is a lost datagram
		case forward:
			if !s.acquire() {
				if _, resp := q.errorReply(out[:0], dnsmessage.RCodeServerFailure); resp != nil {
					pc.WriteTo(resp, from)
				}
				continue
			}
			msg := append([]byte(nil), in[:n]...)
			fq := q
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer s.release()
				if resp := s.forward(ctx, asker, msg, &fq, false); resp != nil {
					pc.WriteTo(resp, from)
				}
			}()
		}
	}
}
