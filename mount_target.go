package dock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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
// up: the image's files there are hidden. what names the mount in the
// error, which wraps ErrInvalid.
func checkMountPath(layers []string, target, what string) error {
	if kernelDir(target) != "" {
		return nil
	}
	r, err := resolveInImage(layers, target)
	if err != nil {
		return invalidf("%s: %v", what, err)
	}
	if r.dangling != "" {
		return invalidf("%s: goes through the symlink %s of the image, to %s, which the image lacks", what, r.dangling, r.path)
	}
	if d := kernelDir(r.path); d != "" {
		return invalidf("%s: the image's symlinks (%s) lead it to %s, the container's kernel filesystem %s", what, strings.Join(r.links, ", "), r.path, d)
	}
	return nil
}

// maxSymlinks is how many symlinks resolveInImage follows, as the kernel.
const maxSymlinks = 40

// resolvedPath is a path of an image resolved as RESOLVE_IN_ROOT would.
type resolvedPath struct {
	// path is where the path leads, absolute and clean, symlinks
	// replaced; its tail may be missing in the image (the init makes it).
	path string
	// links are the symlinks followed, as "path -> target".
	links []string
	// dangling is the symlink whose target is missing in the image, "" if
	// none.
	dangling string
}

// resolveInImage resolves p (absolute) in the image whose layers are given
// (bottom to top), as the overlay of them shows it, following the image's
// symlinks inside its root: an absolute target starts again at the root,
// ".." stops at the root. Nothing of a layer is followed on the host (each
// component is looked at with Lstat, each symlink read with Readlink).
// Resolution stops at /proc, /dev and /sys, whose image files the
// container never sees. A missing component ends it: the rest is missing
// too, and, when that component came from a symlink's target, the symlink
// is dangling.
func resolveInImage(layers []string, p string) (resolvedPath, error) {
	type part struct {
		name string
		link string // the symlink whose target this came from, or ""
	}
	var r resolvedPath
	var todo []part
	for _, s := range strings.Split(p, "/") {
		todo = append(todo, part{name: s})
	}
	var cur []string
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c.name {
		case "", ".":
			continue
		case "..":
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		cur = append(cur, c.name)
		abs := "/" + path.Join(cur...)
		if kernelDir(abs) != "" {
			break
		}
		host, fi, err := lookupLayers(layers, strings.Join(cur, "/"))
		if errors.Is(err, fs.ErrNotExist) {
			if c.link != "" {
				r.dangling = c.link
			}
			break
		}
		if err != nil {
			return r, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if len(r.links) == maxSymlinks {
			return r, fmt.Errorf("too many levels of symbolic links at %s", abs)
		}
		dest, err := os.Readlink(host)
		if err != nil {
			return r, err
		}
		link := abs + " -> " + dest
		r.links = append(r.links, link)
		cur = cur[:len(cur)-1]
		if path.IsAbs(dest) {
			cur = nil
		}
		var next []part
		for _, s := range strings.Split(dest, "/") {
			next = append(next, part{name: s, link: link})
		}
		todo = append(next, todo...)
	}
	for _, c := range todo {
		cur = append(cur, c.name)
	}
	r.path = path.Clean("/" + path.Join(cur...))
	return r, nil
}

// lookupLayers finds rel (a clean relative path whose parents are
// directories in the overlay) in the overlay of layers (bottom to top)
// without following symlinks: the topmost layer that has it, unless a
// whiteout, an opaque directory or a non-directory above hides it. It
// returns the host path of the entry and its Lstat, or an error wrapping
// fs.ErrNotExist.
func lookupLayers(layers []string, rel string) (string, fs.FileInfo, error) {
	parts := strings.Split(rel, "/")
	for _, d := range slices.Backward(layers) {
		hidden := false
		for i := range parts {
			p := filepath.Join(d, filepath.Join(parts[:i+1]...))
			fi, err := os.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				break // not in this layer; look below
			}
			if err != nil {
				return "", nil, err
			}
			switch {
			case fi.Mode()&fs.ModeCharDevice != 0 && isWhiteout(fi):
				return "", nil, fs.ErrNotExist
			case i == len(parts)-1:
				return p, fi, nil
			case !fi.IsDir():
				return "", nil, fs.ErrNotExist // hides the layers below
			case isOpaque(p):
				hidden = true
			}
		}
		if hidden {
			break
		}
	}
	return "", nil, fs.ErrNotExist
}
