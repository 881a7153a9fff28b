package dnsserver

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

const (
	// maxConns bounds the connections that one ServeTCP serves at once; a
	// stub resolver needs one or two, and each costs a goroutine and up
	// to 64 KiB. More are closed as they come.
	maxConns = 256
	// maxPipelined bounds the forwards that one connection may have
	// running (RFC 7766 pipelining); beyond, its next query waits.
	maxPipelined = 16
)

// ServeTCP answers DNS over TCP (RFC 7766: a 2-byte length before each
// message, several queries per connection, answered as they complete) on
// the connections that ln accepts for the container asker, until ln is
// closed; then it closes those connections, cancels their forwards, waits
// for its goroutines and returns nil. It holds at most 256 connections at
// once (a stub resolver needs one or two) and closes more as they come;
// other accept errors (too many open files) are waited out. ServeTCP may
// be called for many listeners at once.
func (s *Server) ServeTCP(ln net.Listener, asker string) error {
	if s.Names == nil {
		return errNoNames
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	defer func() {
		cancel()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if stop, err := retry(err, &delay); stop {
				return err
			}
			continue
		}
		delay = 0
		mu.Lock()
		full := len(conns) >= maxConns
		if !full {
			conns[c] = struct{}{}
		}
		mu.Unlock()
		if full {
			c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, c, asker)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
}

// tcpConn is one DNS connection: replies are written whole, one at a time,
// by the reading goroutine and by the forwards of the connection.
type tcpConn struct {
	c    net.Conn
	idle time.Duration

	mu sync.Mutex // serializes writes
}

// write sends msg framed; a failure, a write blocked for the idle timeout
// included, closes the connection, which also ends its reader.
func (tc *tcpConn) write(msg []byte) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.c.SetWriteDeadline(time.Now().Add(tc.idle))
	if _, err := tc.c.Write(frame(make([]byte, 0, 2+len(msg)), msg)); err != nil {
		tc.c.Close()
	}
}

// serveConn reads queries from c until it ends, the peer sends a bad
// length prefix or stays idle, and waits for the forwards it started
// before closing c.
func (s *Server) serveConn(ctx context.Context, c net.Conn, asker string) {
	tc := &tcpConn{c: c, idle: s.idleTimeout()}
	var wg sync.WaitGroup
	defer c.Close()
	defer wg.Wait()
	pipelined := make(chan struct{}, maxPipelined)
	in := make([]byte, 0, minUDPSize)
	out := make([]byte, 0, minUDPSize)
	var q query
	for {
		// The deadline covers the whole next query: a peer that sends a
		// large length and then trickles or stops is cut off all the same.
		c.SetReadDeadline(time.Now().Add(tc.idle))
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(l[:]))
		if n < headerLen {
			return // no message is that short: the stream is not DNS
		}
		if cap(in) < n {
			in = make([]byte, 0, n)
		}
		in = in[:n]
		if _, err := io.ReadFull(c, in); err != nil {
			return
		}
		act, resp := s.handle(asker, in, true, out[:0], &q)
		switch act {
		case reply:
			tc.write(resp)
		case forward:
			select {
			case pipelined <- struct{}{}:
			case <-ctx.Done():
				return
			}
			if !s.acquire() {
				<-pipelined
				if _, resp := q.errorReply(out[:0], dnsmessage.RCodeServerFailure); resp != nil {
					tc.write(resp)
				}
				continue
			}
			msg := append([]byte(nil), in...)
			fq := q
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { s.release(); <-pipelined }()
				if resp := s.forward(ctx, asker, msg, &fq, true); resp != nil {
					tc.write(resp)
				}
			}()
		}
	}
}
