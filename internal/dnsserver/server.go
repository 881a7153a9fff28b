package dnsserver

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"
)

// Defaults of the Server fields left zero.
const (
	// DefaultTimeout bounds one try of one upstream: well below the 5 s
	// that glibc and musl wait for an answer, so that a dead first server
	// still leaves time for the next.
	DefaultTimeout = 1500 * time.Millisecond
	// DefaultIdleTimeout is how long a TCP connection may go without
	// delivering a whole query.
	DefaultIdleTimeout = 10 * time.Second
	// DefaultMaxForwards is how many forwards may run at once: Docker's
	// limit.
	DefaultMaxForwards = 1024
)

// Names is what the Server knows; the engine implements it from its
// runtime state. Its methods may be called from many goroutines at once and
// should not block: a Serve loop calls Lookup and Reverse for every query.
type Names interface {
	// Lookup returns the addresses of name as the container asker may see
	// it: containers on its networks by name, network alias and short ID.
	// name is in ASCII lower case, without the trailing dot, and never
	// empty. ok=false means it is no container's name: the query is
	// forwarded. ok=true with no addresses of the asked family is an
	// answer too (NOERROR, no records).
	Lookup(asker, name string) (addrs []netip.Addr, ok bool)
	// Reverse returns the name of addr (PTR) for asker, with or without the
	// trailing dot; ok=false forwards the query. addr is IPv4 for
	// in-addr.arpa questions and IPv6 for ip6.arpa ones (an IPv4-mapped
	// address stays IPv6).
	Reverse(asker string, addr netip.Addr) (name string, ok bool)
	// Upstreams are the servers that other names are forwarded to for
	// asker, tried in order: the container's --dns servers, else the
	// host's resolv.conf ones. None means the asker may not resolve
	// outside names (an internal network): it gets REFUSED.
	Upstreams(asker string) []netip.AddrPort
}

// Server answers DNS queries on sockets that the caller opened, one pair
// per container (see ServeUDP and ServeTCP). Names is required; the other
// fields have defaults and must not change once serving has begun. A Server
// is safe for use by many goroutines: one Server serves every container.
type Server struct {
	// Names answers for the containers and names their upstreams.
	Names Names
	// Timeout bounds each try of one upstream; zero means DefaultTimeout.
	Timeout time.Duration
	// IdleTimeout ends a TCP connection that has not delivered a whole
	// query for that long; zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxForwards is how many queries may wait on upstreams at once, for
	// all askers together; more get SERVFAIL at once. Zero means
	// DefaultMaxForwards. One limit for the Server bounds what a flooding
	// container costs the host; the price is that it can crowd out the
	// forwards of others for a Timeout.
	MaxForwards int

	forwards atomic.Int64 // in flight
}

// errNoNames is what Serve calls return for a Server without Names.
var errNoNames = errors.New("dnsserver: Server.Names is nil")

func (s *Server) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return DefaultIdleTimeout
}

// acquire reserves a forward, or reports that MaxForwards are running.
func (s *Server) acquire() bool {
	limit := int64(s.MaxForwards)
	if limit <= 0 {
		limit = DefaultMaxForwards
	}
	if s.forwards.Add(1) > limit {
		s.forwards.Add(-1)
		return false
	}
	return true
}

func (s *Server) release() { s.forwards.Add(-1) }

// retry decides what a Serve loop does after a failed read or accept: stop
// (with the error to return) once the socket is closed or a deadline the
// caller set has passed; otherwise (no buffers, too many open files) wait
// and go on, 5 ms doubling to 1 s over consecutive failures, as net/http's
// accept loop does.
func retry(err error, delay *time.Duration) (stop bool, ret error) {
	switch {
	case errors.Is(err, net.ErrClosed):
		return true, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return true, err
	}
	if *delay == 0 {
		*delay = 5 * time.Millisecond
	} else if *delay *= 2; *delay > time.Second {
		*delay = time.Second
	}
	time.Sleep(*delay)
	return false, nil
}
