package build

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// mountpoints lists, for each target, the path components that do not
// exist in the image (lfs), which the runtime creates in the container's
// writable layer to mount on, and the deepest existing parent whose copy
// the creation puts there.
func mountpoints(lfs layerFS, targets []string) (created, parents []string) {
	for _, t := range targets {
		parts := strings.Split(strings.TrimPrefix(t, "/"), "/")
		for i := range parts {
			p := strings.Join(parts[:i+1], "/")
			if lfs.stat(p) != nil {
				continue
			}
			for j := i; j < len(parts); j++ {
				created = append(created, strings.Join(parts[:j+1], "/"))
			}
			if i > 0 {
				parents = append(parents, strings.Join(parts[:i], "/"))
			}
			break
		}
	}
	return created, parents
}

// removeMountpoints removes from the writable layer upper the mountpoints
// that the runtime created for the step's mounts (see mountpoints), when
// the step left them empty, so that they do not reach the layer: the
// deepest first, then the copies of their existing parents when nothing
// but their time changed. Lookups go through os.Root: the step may have
// replaced a parent with a symlink.
func removeMountpoints(upper string, lfs layerFS, targets []string) error {
	created, parents := mountpoints(lfs, targets)
	if len(created) == 0 {
		return nil
	}
	root, err := os.OpenRoot(upper)
	if err != nil {
		return err
	}
	defer root.Close()
	depth := func(p string) int { return strings.Count(p, "/") }
	sortByDepth := func(ps []string) {
		for i := 1; i < len(ps); i++ { // insertion sort, deepest first
			for j := i; j > 0 && depth(ps[j]) > depth(ps[j-1]); j-- {
				ps[j], ps[j-1] = ps[j-1], ps[j]
			}
		}
	}
	sortByDepth(created)
	for _, p := range created {
		if emptyEntry(root, p) {
			if err := root.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove mountpoint %s: %w", p, err)
			}
		}
	}
	sortByDepth(parents)
	for _, p := range parents {
		st := lfs.stat(p)
		fi, err := root.Lstat(p)
		if err != nil || st == nil || !fi.IsDir() || !emptyEntry(root, p) {
			continue
		}
		sys, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || sys.Mode != st.Mode || sys.Uid != st.Uid || sys.Gid != st.Gid || opaqueIn(root, p) {
			continue // the step changed it, or it hides what the image has below
		}
		if err := root.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove mountpoint parent %s: %w", p, err)
		}
	}
	return nil
}

// emptyEntry reports whether name in root is an empty directory or an
// empty regular file (what a mountpoint is).
func emptyEntry(root *os.Root, name string) bool {
	fi, err := root.Lstat(name)
	if err != nil {
		return false
	}
	switch {
	case fi.Mode().IsRegular():
		return fi.Size() == 0
	case fi.IsDir():
		d, err := root.Open(name)
		if err != nil {
			return false
		}
		defer d.Close()
		_, err = d.Readdirnames(1)
		return errors.Is(err, io.EOF)
	}
	return false
}

// opaqueIn reports whether the directory name in root is marked opaque
// by overlayfs (or cannot be checked).
func opaqueIn(root *os.Root, name string) bool {
	d, err := root.Open(name)
	if err != nil {
		return true
	}
	defer d.Close()
	_, err = unix.Fgetxattr(int(d.Fd()), "trusted.overlay.opaque", nil)
	return !errors.Is(err, unix.ENODATA)
}
