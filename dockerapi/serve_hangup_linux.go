package dockerapi

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerClosed reports whether the client has closed conn for good: POLLHUP
// (a unix socket whose peer closed, or a reset TCP connection) or POLLERR.
// A half-close (the CLI's CloseWrite once its input ends) is neither: it
// is only the end of the client's input.
func peerClosed(conn net.Conn) bool {
	for {
		inner, ok := conn.(interface{ NetConn() net.Conn }) // TLS
		if !ok {
			break
		}
		conn = inner.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	_ = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd)}}
		if n, err := unix.Poll(fds, 0); err == nil && n > 0 {
			closed = fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0
		}
	})
	return closed
}
