package dock

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"

	"golang.org/x/sys/unix"
)

func (c *Container) changesImpl(ctx context.Context) ([]Change, error) {
	rec, err := c.knownRecord()
	if err != nil {
		return nil, err
	}
	upper, err := unix.Open(c.dir("upper"), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer unix.Close(upper)
	img, err := openImageRoot(rec.Layers)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer unix.Close(img)
	w := &changeWalker{ctx: ctx, img: img, rec: rec, mountPoints: engineMountPoints(&rec.Config)}
	if _, _, err := w.dir(upper, "/"); err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	return w.set.sorted(), nil
}

// changeWalker compares a container's upper directory with its image.
type changeWalker struct {
	ctx         context.Context
	img         int // the image's root (see openImageRoot)
	rec         *containerRecord
	mountPoints map[string]bool
	set         changeSet
}

// dir records the changes under directory fd of the upper directory,
// whose path in the container is p. It reports whether it recorded any,
// and whether it left out an engine's mount point.
func (w *changeWalker) dir(fd int, p string) (recorded, skipped bool, err error) {
	names, err := readNames(fd)
	if err != nil {
		return false, false, fmt.Errorf("read %s: %w", p, err)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := w.ctx.Err(); err != nil {
			return false, false, err
		}
		cp := path.Join(p, name)
		rec, skip, err := w.entry(fd, name, cp)
		if err != nil {
			return false, false, err
		}
		recorded = recorded || rec
		skipped = skipped || skip
	}
	return recorded, skipped, nil
}

// entry records the change that name in directory fd (path cp) is.
func (w *changeWalker) entry(fd int, name, cp string) (recorded, skipped bool, err error) {
	var st unix.Stat_t
	if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false, false, fmt.Errorf("lstat %s: %w", cp, err)
	}
	typ := st.Mode & unix.S_IFMT
	if typ == unix.S_IFCHR && st.Rdev == 0 {
		w.set.add(cp, ChangeDelete) // an overlay whiteout
		return true, false, nil
	}
	lower, inLower := w.lower(cp)
	if typ != unix.S_IFDIR {
		switch {
		case !inLower && w.mountPoints[cp] && typ == unix.S_IFREG && st.Size == 0:
			return false, true, nil
		case !inLower:
			w.set.add(cp, ChangeAdd)
		default:
			w.set.add(cp, ChangeModify)
		}
		return true, false, nil
	}
	cfd, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, false, fmt.Errorf("open %s: %w", cp, err)
	}
	defer unix.Close(cfd)
	empty, err := isEmptyDir(cfd)
	if err != nil {
		return false, false, fmt.Errorf("read %s: %w", cp, err)
	}
	childRecorded, childSkipped, err := w.dir(cfd, cp)
	if err != nil {
		return false, false, err
	}
	switch {
	case !inLower && empty && w.mountPoints[cp]:
		return false, true, nil
	case !inLower:
		w.set.add(cp, ChangeAdd)
	case childRecorded, lower.Mode&unix.S_IFMT != unix.S_IFDIR, isOpaque(cfd):
		w.set.add(cp, ChangeModify)
	case w.metaChanged(&st, lower, childSkipped):
		w.set.add(cp, ChangeModify)
	default:
		return false, false, nil
	}
	return true, false, nil
}

// lower stats p in the image, without following symlinks: a path that
// the image reaches only through a symlink is not the same path.
func (w *changeWalker) lower(p string) (*unix.Stat_t, bool) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := unix.Openat2(w.img, p, &how)
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, false
	}
	return &st, true
}

// metaChanged reports whether a directory of the upper directory has
// another mode, owner or time than the image's (upper's owners are seen
// through the container's user namespace). A time changed only by the
// engine's making a mount point in it does not count.
func (w *changeWalker) metaChanged(st, lower *unix.Stat_t, madeMountPoint bool) bool {
	uid, gid := int(st.Uid), int(st.Gid)
	if cfg := &w.rec.Config; len(cfg.UIDMap) > 0 {
		uid, gid = containerID(cfg.UIDMap, uid), containerID(cfg.GIDMap, gid)
	}
	if st.Mode != lower.Mode || uid != int(lower.Uid) || gid != int(lower.Gid) {
		return true
	}
	same := st.Mtim.Sec == lower.Mtim.Sec &&
		(st.Mtim.Nsec == lower.Mtim.Nsec || st.Mtim.Nsec == 0 || lower.Mtim.Nsec == 0)
	return !same && !madeMountPoint
}

// isOpaque reports whether directory fd hides the image's (overlayfs
// opaque directory).
func isOpaque(fd int) bool {
	buf := make([]byte, 1)
	n, err := unix.Fgetxattr(fd, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// readNames lists directory fd (which stays open).
func readNames(fd int) ([]string, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "")
	defer f.Close()
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	return f.Readdirnames(-1)
}

// isEmptyDir reports whether directory fd has no entries.
func isEmptyDir(fd int) (bool, error) {
	names, err := readNames(fd)
	return len(names) == 0, err
}
