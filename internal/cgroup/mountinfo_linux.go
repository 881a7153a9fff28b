package cgroup

import (
	"bytes"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// selfMounts keeps /proc/self/mountinfo between calls: a container start
// needs the cgroup hierarchies three times (the old cgroup, the new one,
// the container's /sys/fs/cgroup), and a long-running program many more.
// The kernel flags an open mountinfo file with POLLPRI when the mount
// table changed since it was last polled, so the copy is read again only
// then, and what v1Mounts and v1Hierarchies found in it is kept with it.
var selfMounts struct {
	sync.Mutex
	fd   int // -1 until the first read
	data []byte
	v1   *v1MountInfo // v1Mounts of data, once asked; nil: not yet
	hier []Hierarchy  // v1Hierarchies of data, once asked; nil: not yet
}

type v1MountInfo struct {
	mounts  map[string]string
	unified string
}

func init() { selfMounts.fd = -1 }

// currentV1Mounts is v1Mounts of the current mountinfo, parsed again only
// when the mount table changed. The map is shared: callers only read it.
func currentV1Mounts() (map[string]string, string, error) {
	m := &selfMounts
	m.Lock()
	defer m.Unlock()
	data, err := mountinfoLocked()
	if err != nil {
		return nil, "", err
	}
	if m.v1 == nil {
		mounts, unified, err := v1Mounts(bytes.NewReader(data))
		if err != nil {
			return nil, "", err
		}
		m.v1 = &v1MountInfo{mounts, unified}
	}
	return m.v1.mounts, m.v1.unified, nil
}

// mountinfoLocked returns the current mountinfo, reading it again (and
// forgetting what was parsed of the old) when the mount table changed.
// The caller holds selfMounts.
func mountinfoLocked() ([]byte, error) {
	m := &selfMounts
	if m.fd >= 0 {
		fds := []unix.PollFd{{Fd: int32(m.fd), Events: unix.POLLPRI}}
		n, err := unix.Poll(fds, 0)
		if err == nil && n == 0 {
			return m.data, nil // unchanged
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
	m.fd, m.data, m.v1, m.hier = fd, data, nil, nil
	return data, nil
}

// currentV1Hierarchies is v1Hierarchies of the current mountinfo, parsed
// again only when the mount table changed. The caller gets its own slice.
func currentV1Hierarchies() ([]Hierarchy, error) {
	m := &selfMounts
	m.Lock()
	defer m.Unlock()
	data, err := mountinfoLocked()
	if err != nil {
		return nil, err
	}
	if m.hier == nil {
		h, err := v1Hierarchies(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		m.hier = h
	}
	return slices.Clone(m.hier), nil
}
