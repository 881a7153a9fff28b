package dock

import (
	"bytes"
	"fmt"
	"os"
)

// errRootNotMountPoint explains a start that failed because the process's
// root directory is not a mount point, as in a chroot: the init's first
// step, making the mounts under / private to the container (MS_SLAVE on
// /), fails with EINVAL there, and so would pivot_root. runc and podman
// fail there too.
var errRootNotMountPoint = fmt.Errorf("the root directory is not a mount point (a chroot?): " +
	"run dock in its own mount namespace whose root is a mount, entered with pivot_root instead of chroot, " +
	"e.g. unshare -m sh -c 'mount --rbind ROOT ROOT && cd ROOT && mkdir -p .oldroot && pivot_root . .oldroot && " +
	"umount -l /.oldroot && exec COMMAND' (with /proc, /sys and /dev mounted in ROOT)")

// rootIsMountPoint reports whether mountinfo (the text of
// /proc/self/mountinfo) has a mount on the process's root directory.
// The kernel shows mount points relative to the root and leaves out the
// mounts whose mount point is outside it: in a chroot into a directory
// that is not a mount point, no line has the mount point "/".
func rootIsMountPoint(mountinfo []byte) bool {
	for line := range bytes.Lines(mountinfo) {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ...
		f := bytes.Fields(line)
		if len(f) > 4 && string(f[4]) == "/" {
			return true
		}
	}
	return false
}

// rootNotMounted reports, when /proc/self/mountinfo can be read, that the
// root directory is not a mount point. Called only after a start failed,
// so that a start that works never pays for it.
func rootNotMounted() bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	return err == nil && len(data) > 0 && !rootIsMountPoint(data)
}
