package dock

import (
	"path"
	"slices"
	"strings"

	"github.com/go-dock/dock/internal/layerfs"
)

// This file checks, at Create, where each mount of a container would land:
// the image's VOLUMEs and the caller's mounts are refused when they would
// cover the kernel filesystems the init mounts (/proc, /dev, /sys), or when
// a symlink of the image leads them there or nowhere. The init would fail
// at Start otherwise, with an error about a file it could no longer find
// (/dev/null, /sys/firmware) rather than about the mount.

// kernelDirs are the directories where the init mounts the container's
// kernel filesystems; the image's files there are never seen.
var kernelDirs = []string{"/proc", "/dev", "/sys"}

// kernelDir returns the element of kernelDirs that p (absolute, clean) is
// or is under, or "".
func kernelDir(p string) string {
	for _, d := range kernelDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return d
		}
	}
	return ""
}

// procBinds are the files under /proc that a bind mount may cover: those
// that lxcfs emulates (runc's list; anything else under /proc it refuses).
var procBinds = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
	"/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo",
	"/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
}

// checkMountTarget refuses a mount of the caller's whose target (absolute,
// clean) cannot work: on or under /proc (but for a bind of a file that
// lxcfs emulates), as runc refuses, and a volume or tmpfs on /dev, which
// would hide the device nodes the init makes there. Binds on /dev and on
// /sys, and mounts under them, are the caller's to choose (docker run -v
// /dev:/dev).
func checkMountTarget(m *Mount) error {
	switch kernelDir(m.Target) {
	case "/proc":
		if m.Type == "bind" && slices.Contains(procBinds, m.Target) {
			return nil
		}
		return invalidf("%s mount %s: cannot be mounted on or inside /proc", m.Type, m.Target)
	case "/dev":
		if m.Target == "/dev" && m.Type != "bind" {
			return invalidf("%s mount %s: would hide the container's device nodes (/dev/null, ...); bind a directory of device nodes instead", m.Type, m.Target)
		}
	}
	return nil
}

// checkMountPath checks where a mount's target (absolute, clean) lands
// in the image whose layers are given (bottom to top): reaching /proc,
// /dev or /sys through a symlink of the image, or going through a symlink
// whose target the image lacks (which the init could not follow to make
// the mountpoint), is refused, for the caller's mounts and the image's
// VOLUMEs alike. A target already in /proc, /dev or /sys is not looked
// up: the image's files there are hidden, and resolution stops there for
// the same reason. what names the mount in the error, which wraps
// ErrInvalid.
func checkMountPath(layers []string, target, what string) error {
	if kernelDir(target) != "" {
		return nil
	}
	stop := func(p string) bool { return kernelDir(p) != "" }
	r, err := layerfs.New(layers).Resolve(target, layerfs.ResolveOptions{Follow: true, Stop: stop})
	if err != nil {
		return invalidf("%s: %v", what, err)
	}
	dest := path.Join("/", r.Path)
	if r.Dangling != "" {
		return invalidf("%s: goes through the symlink %s of the image, to %s, which the image lacks", what, r.Dangling, dest)
	}
	if d := kernelDir(dest); d != "" {
		return invalidf("%s: the image's symlinks (%s) lead it to %s, the container's kernel filesystem %s", what, strings.Join(r.Links, ", "), dest, d)
	}
	return nil
}
