package cgroup

import (
	"bytes"
	"io"
	"sync"

	"golang.org/x/sys/unix"
)

// selfMounts keeps /proc/self/mountinfo between calls: a container start
// needs the cgroup hierarchies three times (the old cgroup, the new one,
// the container's /sys/fs/cgroup), and a long-running program many more.
// The kernel flags an open mountinfo file with POLLPRI when the mount
// table changed since it was last polled, so the copy is read again only
// then.
var selfMounts struct {
	sync.Mutex
	fd   int // -1 until the first read
	data []byte
}

func init() { selfMounts.fd = -1 }

// mountinfo returns a reader of the current /proc/self/mountinfo.
func mountinfo() (io.Reader, error) {
	m := &selfMounts
	m.Lock()
	defer m.Unlock()
	if m.fd >= 0 {
		fds := []unix.PollFd{{Fd: int32(m.fd), Events: unix.POLLPRI}}
		n, err := unix.Poll(fds, 0)
		if err == nil && n == 0 {
			return bytes.NewReader(m.data), nil // unchanged
		}
		unix.Close(m.fd)
		m.fd = -1
	}
	fd, err := openRaw("/proc/self/mountinfo", unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	// Poll once now: the next poll then reports changes made after this
	// read only.
	unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLPRI}}, 0)
	data, err := readAllFd(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	m.fd, m.data = fd, data
	return bytes.NewReader(data), nil
}
