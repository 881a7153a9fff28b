package bridge

import (
	"encoding/binary"
	"fmt"
	"syscall"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// rtnlDo sends req to the kernel on a route netlink socket of its own
// and waits for the acknowledgement (req has NLM_F_ACK): nil, or the
// kernel's errno (errors.Is(err, unix.EEXIST) works).
//
// For the requests of a container's start and exit, instead of the
// netlink library's Execute: that one receives into a 64 KiB array on
// the goroutine's stack, which grows the stack of each goroutine that
// makes a pair to 128 KiB (four copies), and registers its socket with
// the runtime's poller: about 0.7 ms of CPU per bridged run (perf), for
// an answer of a few dozen bytes.
func rtnlDo(req *nl.NetlinkRequest) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	defer unix.Close(fd)
	// A kernel that never answers ends the wait, as in the library.
	tv := unix.NsecToTimeval(rtnlTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	req.Seq = 1 // the socket is this request's alone
	if err := unix.Sendto(fd, req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	// The acknowledgement of an error carries the request back: a
	// page holds any of these.
	buf := make([]byte, 8192)
	for {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not the kernel's
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != req.Seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return fmt.Errorf("netlink: short error message")
				}
				if code := int32(binary.NativeEndian.Uint32(m.Data)); code != 0 {
					return syscall.Errno(-code)
				}
				return nil
			case unix.NLMSG_DONE:
				return nil
			}
		}
	}
}

// rtnlTimeout bounds the wait for the kernel's answer.
const rtnlTimeout = time.Minute
