package portres

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// maxEphemeralTries bounds the search for an ephemeral port free on both
// 0.0.0.0 and [::]: the kernel chooses on the first, which the second may
// hold. Each try holds on to the port it got, so that the next one gets
// another; a port range of thousands is never scanned this way.
const maxEphemeralTries = 16

func reserve(ms []Mapping) (_ []*os.File, _ []Mapping, retErr error) {
	var files []*os.File
	defer func() {
		if retErr != nil {
			closeAll(files)
		}
	}()
	out := make([]Mapping, len(ms))
	for i, m := range ms {
		fs, port, err := reserveOne(m)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, fs...)
		out[i] = m
		out[i].HostPort, out[i].HostPortEnd = port, 0
	}
	return files, out, nil
}

// reserveOne binds the addresses of m on its port, the first free of its
// range, or an ephemeral one; it returns the sockets and the port.
func reserveOne(m Mapping) ([]*os.File, uint16, error) {
	addrs := m.addrs()
	switch {
	case m.HostPort == 0:
		return reserveEphemeral(m.Proto, addrs)
	case m.HostPortEnd > m.HostPort:
		for p := int(m.HostPort); p <= int(m.HostPortEnd); p++ { // int: the end may be 65535
			fs, err := bindAll(m.Proto, addrs, uint16(p))
			if !errors.Is(err, ErrPortAllocated) {
				return fs, uint16(p), err
			}
		}
		return nil, 0, rangeAllocated(addrs[0], m.HostPort, m.HostPortEnd)
	}
	fs, err := bindAll(m.Proto, addrs, m.HostPort)
	return fs, m.HostPort, err
}

// reserveEphemeral lets the kernel choose a port for addrs[0] (bind to
// port 0) and binds the others on it.
func reserveEphemeral(proto string, addrs []netip.Addr) ([]*os.File, uint16, error) {
	var tried []*os.File // ports free on addrs[0] only: held until the end
	defer func() { closeAll(tried) }()
	for range maxEphemeralTries {
		first, err := bind(proto, netip.AddrPortFrom(addrs[0], 0))
		if errors.Is(err, ErrPortAllocated) { // the range is exhausted
			return nil, 0, ephemeralAllocated(addrs[0], ephemeralRange())
		}
		if err != nil {
			return nil, 0, err
		}
		port, err := localPort(first)
		if err != nil {
			first.Close()
			return nil, 0, err
		}
		rest, err := bindAll(proto, addrs[1:], port)
		if err == nil {
			return append([]*os.File{first}, rest...), port, nil
		}
		tried = append(tried, first)
		if !errors.Is(err, ErrPortAllocated) {
			return nil, 0, err
		}
	}
	return nil, 0, ephemeralAllocated(addrs[0], ephemeralRange())
}

// bindAll binds port on every one of addrs, or none.
func bindAll(proto string, addrs []netip.Addr, port uint16) ([]*os.File, error) {
	var fs []*os.File
	for _, a := range addrs {
		f, err := bind(proto, netip.AddrPortFrom(a, port))
		if err != nil {
			closeAll(fs)
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// bind opens a socket for proto on ap with the drop-all filter, binds it
// and, for TCP, listens. A port in use is an error wrapping
// ErrPortAllocated; other errors are in Docker's words too.
func bind(proto string, ap netip.AddrPort) (_ *os.File, retErr error) {
	var domain int
	var sa unix.Sockaddr
	if ap.Addr().Is4() {
		domain, sa = unix.AF_INET, &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	} else {
		domain, sa = unix.AF_INET6, &unix.SockaddrInet6{Addr: ap.Addr().As16(), Port: int(ap.Port())}
	}
	typ := unix.SOCK_STREAM
	if proto == "udp" {
		typ = unix.SOCK_DGRAM
	}
	// Blocking: the process that receives it decides how to use it.
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("failed to create socket for %s/%s: %w", ap, proto, err)
	}
	defer func() {
		if retErr != nil {
			unix.Close(fd)
		}
	}()
	// Before bind: not one UDP datagram may queue up on the socket, and
	// not one SYN complete a handshake once it listens.
	if err := dropAll(fd); err != nil {
		return nil, fmt.Errorf("failed to set drop packets filter for %s/%s: %w", ap, proto, err)
	}
	if typ == unix.SOCK_STREAM {
		// As Docker and every TCP server: a restarted container gets its
		// port back while connections of the last run linger in TIME_WAIT.
		// A listening socket still refuses any other bind on its port.
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return nil, fmt.Errorf("failed to setsockopt(SO_REUSEADDR) for %s/%s: %w", ap, proto, err)
		}
	}
	if domain == unix.AF_INET6 {
		// [::] must not take 0.0.0.0's port too: that is bound on its own.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return nil, fmt.Errorf("failed to setsockopt(IPV6_V6ONLY) for %s/%s: %w", ap, proto, err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return nil, bindError(proto, ap, err)
	}
	if typ == unix.SOCK_STREAM {
		// Listen fails too if another SO_REUSEADDR socket, bound but not
		// listening, shares the port and began to listen first.
		if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
			return nil, bindError(proto, ap, err)
		}
	}
	return os.NewFile(uintptr(fd), fmt.Sprintf("%s:%s", proto, ap)), nil
}

// bindError is the error of a failed bind or listen on ap.
func bindError(proto string, ap netip.AddrPort, err error) error {
	if errors.Is(err, unix.EADDRINUSE) {
		return portAllocated(ap.Addr(), ap.Port())
	}
	return fmt.Errorf("failed to bind host port %s/%s: %w", ap, proto, err)
}

// dropAll attaches a classic BPF program of one instruction, "return 0",
// to fd: every packet is dropped before it reaches the socket.
func dropAll(fd int) error {
	prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
}

// localPort returns the port f is bound on.
func localPort(f *os.File) (uint16, error) {
	sa, err := unix.Getsockname(int(f.Fd()))
	if err != nil {
		return 0, fmt.Errorf("getsockname of %s: %w", f.Name(), err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return uint16(sa.Port), nil
	case *unix.SockaddrInet6:
		return uint16(sa.Port), nil
	}
	return 0, fmt.Errorf("getsockname of %s: unexpected address %T", f.Name(), sa)
}

// ephemeralRange is net.ipv4.ip_local_port_range of the calling thread's
// network namespace (/proc/sys/net is the opener's) as "32768-60999",
// or "". It serves IPv6 too.
func ephemeralRange() string {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if f := strings.Fields(string(b)); err == nil && len(f) == 2 {
		return f[0] + "-" + f[1]
	}
	return ""
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
