package nettest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// connTimeout bounds every connection and exchange a server handles, so a
// stuck client cannot keep a goroutine past the test.
const connTimeout = 10 * time.Second

// servers are I's servers. Their sockets were opened in I, so the goroutines
// that serve them may run on any thread.
type servers struct {
	wg sync.WaitGroup

	mu     sync.Mutex
	closed bool
	closer []io.Closer // listeners, packet conns, the HTTP server
	conns  map[net.Conn]struct{}
}

// startServers opens the listeners in I and starts serving.
func startServers(n *Net) (*servers, error) {
	s := &servers{conns: map[net.Conn]struct{}{}}
	var tcpEcho, httpLn net.Listener
	var udpEcho, dns net.PacketConn
	err := InNetNS(n.NS, func() error {
		lc := net.ListenConfig{Control: checkSocketNS(n.nsIno)}
		ctx := context.Background()
		var err error
		if tcpEcho, err = lc.Listen(ctx, "tcp", port(EchoPort)); err != nil {
			return err
		}
		s.closer = append(s.closer, tcpEcho)
		if httpLn, err = lc.Listen(ctx, "tcp", port(HTTPPort)); err != nil {
			return err
		}
		s.closer = append(s.closer, httpLn)
		if udpEcho, err = lc.ListenPacket(ctx, "udp", port(EchoPort)); err != nil {
			return err
		}
		s.closer = append(s.closer, udpEcho)
		if dns, err = lc.ListenPacket(ctx, "udp", port(DNSPort)); err != nil {
			return err
		}
		s.closer = append(s.closer, dns)
		return nil
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("listen in the internet: %w", err), s.close(connTimeout))
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, HTTPBody)
		}),
		ReadHeaderTimeout: connTimeout,
		ReadTimeout:       connTimeout,
		WriteTimeout:      connTimeout,
	}
	s.closer = append(s.closer, srv) // Close also ends its connections
	s.goServe(func() { srv.Serve(httpLn) })
	s.goServe(func() { s.acceptEcho(tcpEcho) })
	s.goServe(func() { servePackets(udpEcho, udpEchoReply) })
	s.goServe(func() { servePackets(dns, dnsReply) })
	return s, nil
}

func port(p int) string { return ":" + strconv.Itoa(p) }

func (s *servers) goServe(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// acceptEcho serves the TCP echo until the listener is closed.
func (s *servers) acceptEcho(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.goServe(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			c.SetDeadline(time.Now().Add(connTimeout))
			// The peer address first: what NAT tests compare.
			if _, err := io.WriteString(c, c.RemoteAddr().String()+"\n"); err != nil {
				return
			}
			io.Copy(c, c)
		})
	}
}

// servePackets answers each datagram on pc with reply's answer (none when
// nil) until pc is closed.
func servePackets(pc net.PacketConn, reply func(from net.Addr, req []byte) []byte) {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a datagram error (ICMP) concerns one peer only
		}
		if out := reply(from, buf[:n]); out != nil {
			pc.SetWriteDeadline(time.Now().Add(connTimeout))
			pc.WriteTo(out, from)
		}
	}
}

// udpEchoReply is the peer address line, then the datagram.
func udpEchoReply(from net.Addr, req []byte) []byte {
	return append([]byte(from.String()+"\n"), req...)
}

// close closes every listener and connection and waits, at most timeout,
// for the goroutines to end.
func (s *servers) close(timeout time.Duration) error {
	s.mu.Lock()
	s.closed = true
	var errs []error
	for _, c := range s.closer {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		errs = append(errs, fmt.Errorf("servers still running after %v", timeout))
	}
	return errors.Join(errs...)
}
