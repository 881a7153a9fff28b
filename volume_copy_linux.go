package dock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// copyImageContent copies the directory target of the image whose layers
// are given (bottom to top) into dst, an empty volume directory: Docker's
// copy-up of an image's content into a new volume. Files, directories and
// symlinks are copied with their modes, owners (through shift), times and
// user.* extended attributes; hard links become separate files, and
// devices, FIFOs and sockets are skipped. dst's own owner and mode become
// those of target, as in Docker.
//
// target is resolved inside the image's root filesystem (RESOLVE_IN_ROOT):
// a symlink of the image, such as /data -> /etc or -> ../../host, leads to
// the image's own files, never the host's. A target that is missing copies
// nothing; one that is not a directory is an error wrapping ErrInvalid
// (Docker: "cannot mount volume over existing file"). Inside the tree
// nothing is followed, and every file is made relative to a directory
// descriptor with O_NOFOLLOW and O_EXCL, so a container that runs with a
// shared named volume cannot redirect the copy by swapping entries.
//
// On error, what was copied is removed and dst's owner and mode restored;
// on success, undo does the same.
func copyImageContent(ctx context.Context, layers []string, target, dst string, shift func(uid, gid int) (int, int)) (_ func() error, retErr error) {
	noop := func() error { return nil }
	rel := strings.TrimPrefix(path.Clean(target), "/")
	if len(layers) == 0 || rel == "" || !mayExist(layers, rel) {
		return noop, nil
	}
	root, err := openImageRoot(layers)
	if err != nil {
		return nil, err
	}
	defer unix.Close(root)
	pfd, err := unix.Openat2(root, rel, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	})
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return noop, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s in the image: %w", target, err)
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, invalidf("cannot mount a volume over %s: it is a file in the image", target)
	}
	src, err := unix.Openat(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	srcDir := os.NewFile(uintptr(src), target)
	defer srcDir.Close()

	dfd, err := unix.Open(dst, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	dstDir := os.NewFile(uintptr(dfd), dst)
	defer dstDir.Close()
	var before unix.Stat_t
	if err := unix.Fstat(dfd, &before); err != nil {
		return nil, err
	}
	c := &volumeCopier{ctx: ctx, shift: shift}
	undo := func() error {
		var errs []error
		for _, name := range c.top {
			errs = append(errs, os.RemoveAll(filepath.Join(dst, name)))
		}
		if fd, err := unix.Open(dst, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0); err == nil {
			errs = append(errs, unix.Fchown(fd, int(before.Uid), int(before.Gid)), unix.Fchmod(fd, before.Mode&0o7777))
			unix.Close(fd)
		}
		return errors.Join(errs...)
	}
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, undo())
		}
	}()
	if err := c.copyDir(srcDir, dstDir, "", true); err != nil {
		return nil, err
	}
	if err := c.meta(src, dfd, &st); err != nil {
		return nil, err
	}
	return undo, nil
}

// volumeCopier copies a tree between two directory descriptors.
type volumeCopier struct {
	ctx   context.Context
	shift func(uid, gid int) (int, int)
	top   []string // entries made directly in the volume, for undo
}

// copyDir copies the entries of src into dst; rel names src in errors.
func (c *volumeCopier) copyDir(src, dst *os.File, rel string, top bool) error {
	names, err := src.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read %s: %w", "/"+rel, err)
	}
	slices.Sort(names)
	sfd, dfd := int(src.Fd()), int(dst.Fd())
	for _, name := range names {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		r := path.Join(rel, name)
		var st unix.Stat_t
		if err := unix.Fstatat(sfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("stat /%s: %w", r, err)
		}
		made, err := c.entry(sfd, dfd, name, r, &st)
		if made && top {
			c.top = append(c.top, name)
		}
		if err != nil {
			return err
		}
		if !made {
			continue
		}
		// Times last: making a directory's entries changes its mtime.
		ts := []unix.Timespec{st.Atim, st.Mtim}
		if err := unix.UtimesNanoAt(dfd, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("set times of /%s: %w", r, err)
		}
	}
	return nil
}

// entry copies one entry and reports whether it made it in dst.
func (c *volumeCopier) entry(sfd, dfd int, name, rel string, st *unix.Stat_t) (bool, error) {
	const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := unix.Mkdirat(dfd, name, 0o700); err != nil {
			return false, fmt.Errorf("mkdir /%s: %w", rel, err)
		}
		s, err := unix.Openat(sfd, name, dirFlags, 0)
		if err != nil {
			return true, fmt.Errorf("open /%s: %w", rel, err)
		}
		sub := os.NewFile(uintptr(s), rel)
		defer sub.Close()
		d, err := unix.Openat(dfd, name, dirFlags, 0)
		if err != nil {
			return true, fmt.Errorf("open the copy of /%s: %w", rel, err)
		}
		dsub := os.NewFile(uintptr(d), rel)
		defer dsub.Close()
		if err := c.copyDir(sub, dsub, rel, false); err != nil {
			return true, err
		}
		return true, c.meta(s, d, st)
	case unix.S_IFREG:
		s, err := unix.Openat(sfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return false, fmt.Errorf("open /%s: %w", rel, err)
		}
		in := os.NewFile(uintptr(s), rel)
		defer in.Close()
		d, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return false, fmt.Errorf("create the copy of /%s: %w", rel, err)
		}
		out := os.NewFile(uintptr(d), rel)
		defer out.Close()
		if _, err := io.Copy(out, in); err != nil {
			return true, fmt.Errorf("copy /%s: %w", rel, err)
		}
		if err := c.meta(s, d, st); err != nil {
			return true, err
		}
		return true, out.Close()
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(sfd, name, buf)
		if err != nil {
			return false, fmt.Errorf("readlink /%s: %w", rel, err)
		}
		if err := unix.Symlinkat(string(buf[:n]), dfd, name); err != nil {
			return false, fmt.Errorf("symlink /%s: %w", rel, err)
		}
		uid, gid := c.shift(int(st.Uid), int(st.Gid))
		if err := unix.Fchownat(dfd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return true, fmt.Errorf("chown /%s: %w", rel, err)
		}
		return true, nil
	}
	return false, nil // devices, FIFOs, sockets: not copied
}

// meta gives dfd the owner (shifted), mode and user.* extended
// attributes of sfd, whose metadata is st; chown first, as it clears the
// set-ID bits.
func (c *volumeCopier) meta(sfd, dfd int, st *unix.Stat_t) error {
	uid, gid := c.shift(int(st.Uid), int(st.Gid))
	if err := unix.Fchown(dfd, uid, gid); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	if err := unix.Fchmod(dfd, st.Mode&0o7777); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	return copyUserXattrs(sfd, dfd)
}

// copyUserXattrs copies the user.* extended attributes. Others are left:
// security.* and trusted.* are privileged metadata that an image does not
// get to set on the host (see SECURITY-TESTS.md, images 9).
func copyUserXattrs(sfd, dfd int) error {
	n, err := unix.Flistxattr(sfd, nil)
	if err != nil || n == 0 {
		return nil // no attributes, or a file system without them
	}
	list := make([]byte, n)
	if n, err = unix.Flistxattr(sfd, list); err != nil {
		return nil
	}
	for _, name := range strings.Split(string(list[:n]), "\x00") {
		if !strings.HasPrefix(name, "user.") {
			continue
		}
		sz, err := unix.Fgetxattr(sfd, name, nil)
		if err != nil {
			continue
		}
		val := make([]byte, sz)
		if sz, err = unix.Fgetxattr(sfd, name, val); err != nil {
			continue
		}
		if err := unix.Fsetxattr(dfd, name, val[:sz], 0); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}
