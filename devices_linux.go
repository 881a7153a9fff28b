package dock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
)

// resolveDevices finds the host device nodes of devs, now: a directory
// stands for the device nodes under it. Symlinks to a node are followed,
// as Docker follows them.
func resolveDevices(devs []Device) ([]hostDevice, error) {
	var out []hostDevice
	for _, d := range devs {
		fi, err := os.Stat(d.PathOnHost)
		if err != nil {
			return nil, deviceError(d.PathOnHost, err)
		}
		if !fi.IsDir() {
			hd, err := statDevice(d.PathOnHost, d.PathInContainer, d.Permissions)
			if err != nil {
				return nil, deviceError(d.PathOnHost, err)
			}
			out = append(out, hd)
			continue
		}
		root := filepath.Clean(d.PathOnHost)
		err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
				return nil // what cannot be read, and what is not a device, is skipped
			}
			hd, err := statDevice(p, path.Join(d.PathInContainer, strings.TrimPrefix(p, root)), d.Permissions)
			if err == nil {
				out = append(out, hd)
			}
			return nil
		})
		if err != nil {
			return nil, deviceError(d.PathOnHost, err)
		}
	}
	return out, nil
}

// deviceError is Docker's error for a --device it cannot add.
func deviceError(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return invalidf("error gathering device information while adding custom device %q: %v", p, err)
}

var errNotDevice = errors.New("not a device node")

// statDevice describes the device node at p (followed if a symlink) for
// the container's path inContainer.
func statDevice(p, inContainer, permissions string) (hostDevice, error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return hostDevice{}, err
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFCHR && t != unix.S_IFBLK {
		return hostDevice{}, errNotDevice
	}
	return hostDevice{
		path: inContainer, mode: st.Mode & (unix.S_IFMT | 0o7777),
		major: unix.Major(uint64(st.Rdev)), minor: unix.Minor(uint64(st.Rdev)),
		uid: st.Uid, gid: st.Gid, permission: permissions,
	}, nil
}

// resolveThrottles turns the block I/O limits into cgroup throttles of
// the devices' numbers, now.
func resolveThrottles(r *Resources) ([]cgroup.Throttle, error) {
	var out []cgroup.Throttle
	for kind, list := range [][]ThrottleDevice{r.BlkioDeviceReadBps, r.BlkioDeviceWriteBps, r.BlkioDeviceReadIOps, r.BlkioDeviceWriteIOps} {
		for _, d := range list {
			major, minor, err := blockDevice(d.Path)
			if err != nil {
				return nil, err
			}
			out = append(out, cgroup.Throttle{Kind: cgroup.ThrottleKind(kind), Major: int64(major), Minor: int64(minor), Rate: d.Rate})
		}
	}
	return out, nil
}

// blockDevice returns the numbers of the whole disk at p: the kernel
// throttles no partition, and says only "no such device".
func blockDevice(p string) (major, minor uint32, err error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return 0, 0, invalidf("blkio device %s: %v", p, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, 0, invalidf("blkio device %s: not a block device", p)
	}
	major, minor = unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev))
	if _, err := os.Stat(fmt.Sprintf("/sys/dev/block/%d:%d/partition", major, minor)); err == nil {
		return 0, 0, invalidf("blkio device %s is a partition (%d:%d): only whole disks can be throttled", p, major, minor)
	}
	return major, minor, nil
}
