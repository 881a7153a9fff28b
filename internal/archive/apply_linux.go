package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// bufPool holds 1 MiB copy buffers shared by Apply and WriteDir.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// resolveFlags confine every lookup of a name from the archive to the root.
const resolveFlags = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// dirCacheSize is how many parent directory fds an applier keeps open. Tar
// streams come grouped by directory, so a few suffice.
const dirCacheSize = 16

// applier holds the state of one Apply.
type applier struct {
	ctx   context.Context
	opt   *Options
	root  int // fd of the layer directory
	buf   []byte
	stats Stats
	cache [dirCacheSize]cachedDir
	tick  uint64
	// written holds the names this archive created (all of them with
	// PlainWhiteouts, else non-directories): hardlink targets must be in it.
	written map[string]struct{}
	// dirs get their mode and times once the archive is read.
	dirs []dirMeta
	// opaques are the directories to empty at the end with PlainWhiteouts.
	opaques []string
}

type cachedDir struct {
	path string
	fd   int // -1 when empty
	used uint64
}

type dirMeta struct {
	path         string
	dev, ino     uint64
	mode         uint32
	atime, mtime unix.Timespec
}

func applyImpl(ctx context.Context, dir string, dirfd int, r io.Reader, opt *Options) (_ Stats, retErr error) {
	what := "apply layer"
	if opt.NoWhiteouts {
		what = "extract archive" // a copy of files, not a layer
	}
	defer func() {
		if retErr != nil {
			retErr = fmt.Errorf("%s: %w", what, retErr)
		}
	}()
	var root int
	var err error
	if dirfd >= 0 {
		// Reopened for reading: dirfd may be an O_PATH descriptor.
		root, err = unix.Openat(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	} else {
		root, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("open the directory %s: %w", dir, err)
	}
	bp := bufPool.Get().(*[]byte)
	a := &applier{ctx: ctx, opt: opt, root: root, buf: *bp, written: make(map[string]struct{})}
	for i := range a.cache {
		a.cache[i].fd = -1
	}
	defer func() {
		a.dropCache(-1, -1)
		unix.Close(root)
		bufPool.Put(bp)
	}()

	tz := &trailerReader{r: r}
	tr := tar.NewReader(tz)
	for {
		if err := ctx.Err(); err != nil {
			return a.stats, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			if tz.zeros < blockSize {
				return a.stats, fmt.Errorf("read tar: no end-of-archive marker: %w", io.ErrUnexpectedEOF)
			}
			break
		}
		if err != nil {
			return a.stats, fmt.Errorf("read tar: %w", err)
		}
		if opt.MaxFiles > 0 && a.stats.Files >= opt.MaxFiles {
			return a.stats, fmt.Errorf("more than %d entries: %w", opt.MaxFiles, ErrLimit)
		}
		a.stats.Files++
		e, err := planEntry(hdr, opt)
		if err == nil {
			err = a.apply(tr, hdr, &e)
		}
		if err != nil {
			return a.stats, fmt.Errorf("%q: %w", hdr.Name, err)
		}
	}
	if err := a.finish(); err != nil {
		return a.stats, err
	}
	// Read r to its end, for a caller that verifies a digest there.
	n, err := io.CopyBuffer(io.Discard, io.LimitReader(r, maxTrailing+1), a.buf)
	if err != nil {
		return a.stats, fmt.Errorf("read tar: %w", err)
	}
	if n > maxTrailing {
		return a.stats, fmt.Errorf("more than %d bytes after the end of the archive: %w", maxTrailing, ErrLimit)
	}
	return a.stats, nil
}

const (
	// blockSize is the tar block size.
	blockSize = 512
	// maxTrailing bounds what Apply reads and discards after the
	// end-of-archive marker (tar pads to 10 KiB records).
	maxTrailing = 1 << 20
)

// trailerReader counts the zero bytes at the end of what was read, to tell
// a tar stream that ends with its end-of-archive marker from one cut short
// at an entry boundary, which archive/tar also reports as io.EOF.
type trailerReader struct {
	r     io.Reader
	zeros int64
}

func (t *trailerReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		i := n
		for i > 0 && p[i-1] == 0 {
			i--
		}
		if i == 0 {
			t.zeros += int64(n)
		} else {
			t.zeros = int64(n - i)
		}
	}
	return n, err
}

// apply carries out one planned entry.
func (a *applier) apply(tr *tar.Reader, hdr *tar.Header, e *entry) error {
	switch e.kind {
	case kindSkip:
		return nil
	case kindDir:
		return a.mkdir(hdr, e)
	case kindOpaque:
		return a.opaque(e)
	}
	pfd, err := a.parent(e.parent)
	if err != nil {
		return err
	}
	switch e.kind {
	case kindWhiteout:
		return a.whiteout(pfd, e)
	case kindReg:
		err = a.file(tr, hdr, pfd, e)
	case kindSymlink:
		err = a.create(pfd, e.base, func() error { return unix.Symlinkat(e.link, pfd, e.base) })
		if err == nil {
			err = a.lmeta(hdr, pfd, e, false)
		}
	case kindLink:
		return a.hardlink(pfd, e)
	case kindFifo, kindChar, kindBlock:
		mode, dev := uint32(unix.S_IFIFO), uint64(0)
		if e.kind == kindChar {
			mode, dev = unix.S_IFCHR, unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		} else if e.kind == kindBlock {
			mode, dev = unix.S_IFBLK, unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		}
		err = a.create(pfd, e.base, func() error { return unix.Mknodat(pfd, e.base, mode|0o600, int(dev)) })
		if err == nil {
			err = a.lmeta(hdr, pfd, e, true)
		}
	}
	if err != nil {
		return err
	}
	a.written[e.name] = struct{}{}
	return nil
}

// file writes a regular file.
func (a *applier) file(tr *tar.Reader, hdr *tar.Header, pfd int, e *entry) error {
	if a.opt.MaxBytes > 0 && hdr.Size > a.opt.MaxBytes-a.stats.Bytes {
		return fmt.Errorf("content beyond %d bytes: %w", a.opt.MaxBytes, ErrLimit)
	}
	var fd int
	err := a.create(pfd, e.base, func() (err error) {
		fd, err = unix.Openat(pfd, e.base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		return err
	})
	if err != nil {
		return err
	}
	err = a.copy(fd, tr, hdr.Size)
	if err == nil {
		err = a.fmeta(fd, hdr, e.mode)
	}
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	if err != nil {
		return err
	}
	return a.times(hdr, pfd, e.base)
}

// copy writes the content of the current entry, size bytes, to fd.
func (a *applier) copy(fd int, tr *tar.Reader, size int64) error {
	var n int64
	for n < size {
		if n > 0 {
			// Between chunks of a big file.
			if err := a.ctx.Err(); err != nil {
				return err
			}
		}
		m, rerr := tr.Read(a.buf)
		for w := 0; w < m; {
			k, err := unix.Write(fd, a.buf[w:m])
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return fmt.Errorf("write: %w", err)
			}
			w += k
		}
		n += int64(m)
		a.stats.Bytes += int64(m)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("read tar: %w", rerr)
		}
	}
	if n != size {
		return fmt.Errorf("read tar: %w", io.ErrUnexpectedEOF)
	}
	return nil
}

// fmeta sets owner, mode and xattrs through an fd of the entry.
func (a *applier) fmeta(fd int, hdr *tar.Header, mode uint32) error {
	if !a.opt.IgnoreOwner {
		uid, gid, err := a.owner(hdr.Uid, hdr.Gid)
		if err != nil {
			return err
		}
		if err := unix.Fchown(fd, uid, gid); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	// After chown, which clears setuid and setgid.
	if err := unix.Fchmod(fd, mode); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, xattrPrefix)
		if !ok || !keepXattr(name) {
			continue
		}
		err := unix.Fsetxattr(fd, name, []byte(v), 0)
		if err != nil && err != unix.ENOTSUP {
			return fmt.Errorf("set xattr %s: %w", name, err)
		}
	}
	return nil
}

// lmeta sets owner (and mode, unless a symlink) and times of e by name,
// without following it.
func (a *applier) lmeta(hdr *tar.Header, pfd int, e *entry, chmod bool) error {
	if !a.opt.IgnoreOwner {
		uid, gid, err := a.owner(hdr.Uid, hdr.Gid)
		if err != nil {
			return err
		}
		if err := unix.Fchownat(pfd, e.base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	if chmod {
		if err := chmodNode(pfd, e.base, e.mode); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	return a.times(hdr, pfd, e.base)
}

// owner is the owner of an entry whose header says uid and gid.
func (a *applier) owner(uid, gid int) (int, int, error) {
	if a.opt.Owner == nil {
		return uid, gid, nil
	}
	u, g, err := a.opt.Owner(uid, gid)
	if err != nil {
		return 0, 0, fmt.Errorf("owner %d:%d: %w", uid, gid, err)
	}
	return u, g, nil
}

// chmodNode sets the mode of the fifo or device node base in pfd. chmod
// has no form that refuses a symlink but fchmodat2 (Linux 6.6), which
// fails on one with EOPNOTSUPP, so a node that another process replaced
// with a symlink must not lead to a chmod that follows it: the node is
// opened O_PATH without following, checked, and changed through its
// descriptor's magic link, which names that inode only.
func chmodNode(pfd int, base string, mode uint32) error {
	fd, err := unix.Openat(pfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFCHR, unix.S_IFBLK:
	default:
		return fmt.Errorf("%q was replaced while it was written: %w", base, ErrUnsafe)
	}
	return unix.Fchmodat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), mode, 0)
}

// times sets atime and mtime of base in pfd, not following a symlink.
func (a *applier) times(hdr *tar.Header, pfd int, base string) error {
	ts := []unix.Timespec{timespec(hdr.AccessTime, hdr.ModTime), timespec(hdr.ModTime, hdr.ModTime)}
	if err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

func timespec(t, def time.Time) unix.Timespec {
	if t.IsZero() {
		t = def
	}
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// create runs mk, which makes base in pfd exclusively. If base exists, it is
// removed (recursively) and mk runs again, as tar does for a later entry of
// the same name.
func (a *applier) create(pfd int, base string, mk func() error) error {
	err := mk()
	if err == unix.EEXIST {
		if err = a.mayReplace(pfd, base); err != nil {
			return err
		}
		if err = a.remove(pfd, base); err == nil {
			err = mk()
		}
	}
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return nil
}

// mayReplace refuses, with Options.NoOverwriteDirNonDir, to replace
// base in pfd by a non-directory if it is a directory.
func (a *applier) mayReplace(pfd int, base string) error {
	if !a.opt.NoOverwriteDirNonDir {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return fmt.Errorf("cannot overwrite directory with non-directory: %w", ErrOverwrite)
	}
	return nil
}

// remove deletes base in pfd recursively and forgets cached directories,
// which may have been under it.
func (a *applier) remove(pfd int, base string, keep ...int) error {
	k := -1
	if len(keep) > 0 {
		k = keep[0]
	}
	a.dropCache(pfd, k)
	return removeAllAt(pfd, base)
}

// mkdir makes (or reuses) a directory and defers its mode and times.
func (a *applier) mkdir(hdr *tar.Header, e *entry) error {
	fd := a.root
	if e.name == "." && a.opt.SkipRoot {
		return nil
	}
	if e.name != "." {
		pfd, err := a.parent(e.parent)
		if err != nil {
			return err
		}
		err = unix.Mkdirat(pfd, e.base, 0o700)
		if err == unix.EEXIST {
			var st unix.Stat_t
			if err = unix.Fstatat(pfd, e.base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
				if a.opt.NoOverwriteDirNonDir {
					return fmt.Errorf("cannot overwrite non-directory %q with directory: %w", "/"+e.name, ErrOverwrite)
				}
				if err = a.remove(pfd, e.base); err == nil {
					err = unix.Mkdirat(pfd, e.base, 0o700)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
		fd, err = unix.Openat(pfd, e.base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		a.put(e.name, fd)
	}
	// The mode is set at the end, so that a read-only directory can be
	// filled; xattrs now.
	if err := a.fmeta(fd, hdr, 0o700|e.mode); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	a.dirs = append(a.dirs, dirMeta{
		path: e.name, dev: st.Dev, ino: st.Ino, mode: e.mode,
		atime: timespec(hdr.AccessTime, hdr.ModTime), mtime: timespec(hdr.ModTime, hdr.ModTime),
	})
	if a.opt.PlainWhiteouts {
		a.written[e.name] = struct{}{}
	}
	return nil
}

// hardlink links e.name to e.link, which this archive must have written.
func (a *applier) hardlink(pfd int, e *entry) error {
	if _, ok := a.written[e.link]; !ok {
		return fmt.Errorf("hardlink to %q, not written before by this archive: %w", e.link, ErrUnsafe)
	}
	if e.link == e.name {
		return nil
	}
	lparent, lbase := splitName(e.link)
	lfd, err := a.parent(lparent)
	if err != nil {
		return err
	}
	err = unix.Linkat(lfd, lbase, pfd, e.base, 0)
	if err == unix.EEXIST {
		if err = a.mayReplace(pfd, e.base); err != nil {
			return err
		}
		if err = a.remove(pfd, e.base, lfd); err == nil {
			err = unix.Linkat(lfd, lbase, pfd, e.base, 0)
		}
	}
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	a.written[e.name] = struct{}{}
	return nil
}

// whiteout hides (or, with PlainWhiteouts, deletes) e.base in pfd.
func (a *applier) whiteout(pfd int, e *entry) error {
	name := e.base
	if e.parent != "" {
		name = e.parent + "/" + e.base
	}
	if _, ok := a.written[name]; ok {
		return nil // a whiteout does not hide its own layer
	}
	if a.opt.PlainWhiteouts {
		if err := a.remove(pfd, e.base); err != nil {
			return fmt.Errorf("remove: %w", err)
		}
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, e.base, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		return nil // a directory of this layer
	}
	if err := unix.Mknodat(pfd, e.base, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("whiteout: %w", err)
	}
	return nil
}

// opaque marks e.parent opaque.
func (a *applier) opaque(e *entry) error {
	if a.opt.PlainWhiteouts {
		a.opaques = append(a.opaques, e.parent)
		return nil
	}
	fd, err := a.parent(e.parent)
	if err != nil {
		return err
	}
	if err := unix.Fsetxattr(fd, "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		return fmt.Errorf("set opaque: %w", err)
	}
	return nil
}

// finish empties opaque directories (PlainWhiteouts) and sets the mode and
// times of directories, whose contents are now written.
func (a *applier) finish() error {
	a.dropCache(-1, -1)
	for _, p := range a.opaques {
		if err := a.clearOpaque(p); err != nil {
			return fmt.Errorf("%q: opaque: %w", p, err)
		}
	}
	for i := range a.dirs {
		d := &a.dirs[i]
		fd := a.root
		if d.path != "." {
			var err error
			fd, err = openInRoot(a.root, d.path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW)
			if err == unix.ENOENT || err == unix.ENOTDIR || err == unix.ELOOP {
				continue // replaced by a later entry
			}
			if err != nil {
				return fmt.Errorf("%q: open: %w", d.path, err)
			}
		}
		err := d.set(fd)
		if fd != a.root {
			unix.Close(fd)
		}
		if err != nil {
			return fmt.Errorf("%q: %w", d.path, err)
		}
	}
	return nil
}

func (d *dirMeta) set(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if st.Dev != d.dev || st.Ino != d.ino {
		return nil // replaced by a later entry
	}
	if err := unix.Fchmod(fd, d.mode); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if err := unix.UtimesNanoAt(fd, ".", []unix.Timespec{d.atime, d.mtime}, 0); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

// clearOpaque removes the entries of directory p not written by this archive.
func (a *applier) clearOpaque(p string) error {
	fd := a.root
	if p != "" {
		var err error
		fd, err = openInRoot(a.root, p, unix.O_RDONLY|unix.O_DIRECTORY)
		if err == unix.ENOENT {
			return nil
		}
		if err != nil {
			return err
		}
		defer unix.Close(fd)
	}
	names, err := readDirNames(fd)
	if err != nil {
		return err
	}
	for _, n := range names {
		full := n
		if p != "" {
			full = p + "/" + n
		}
		if _, ok := a.written[full]; ok {
			continue
		}
		if err := removeAllAt(fd, n); err != nil {
			return err
		}
	}
	return nil
}

// parent returns an fd of directory p ("" for the root), resolved in the
// root and created (0755) where missing. The fd belongs to the cache.
func (a *applier) parent(p string) (int, error) {
	if p == "" {
		return a.root, nil
	}
	a.tick++
	for i := range a.cache {
		if c := &a.cache[i]; c.fd >= 0 && c.path == p {
			c.used = a.tick
			return c.fd, nil
		}
	}
	fd, err := openInRoot(a.root, p, unix.O_RDONLY|unix.O_DIRECTORY)
	if err == unix.ENOENT {
		fd, err = a.mkdirAll(p)
	}
	if err != nil {
		return -1, fmt.Errorf("open parent %q: %w", p, err)
	}
	a.put(p, fd)
	return fd, nil
}

// maxSymlinks bounds the symlinks mkdirAll follows, as the kernel's 40.
const maxSymlinks = 40

// mkdirAll opens directory p like openInRoot, creating what is missing with
// mode 0755. It walks one component at a time from the root, each opened
// with O_NOFOLLOW relative to the directory before it; it follows symlinks
// itself, as if the root were "/", so that a symlink of the archive to a
// directory it has not created yet ("d -> /a/b", then "d/x") creates that
// directory inside the root. It runs only when openInRoot found something
// missing.
func (a *applier) mkdirAll(p string) (int, error) {
	var (
		real  []string // components of the real path of fd below the root
		todo  = p      // components still to walk
		fd    = a.root
		links int
	)
	closeFd := func() {
		if fd != a.root {
			unix.Close(fd)
		}
	}
	for todo != "" {
		var c string
		c, todo, _ = strings.Cut(todo, "/")
		switch c {
		case "", ".":
			continue
		case "..":
			if len(real) > 0 {
				real = real[:len(real)-1]
			}
			nfd := a.root
			if len(real) > 0 {
				var err error
				if nfd, err = openInRoot(a.root, strings.Join(real, "/"), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW); err != nil {
					closeFd()
					return -1, err
				}
			}
			closeFd()
			fd = nfd
			continue
		}
		const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
		nfd, err := unix.Openat(fd, c, flags, 0)
		if err == unix.ENOENT {
			made := false
			if err = unix.Mkdirat(fd, c, 0o755); err == nil || err == unix.EEXIST {
				made = err == nil
				nfd, err = unix.Openat(fd, c, flags, 0)
			}
			if err == nil && made && a.opt.Owner != nil && !a.opt.IgnoreOwner {
				err = a.chownNew(nfd)
			}
		}
		if err == unix.ELOOP || err == unix.ENOTDIR {
			n, lerr := unix.Readlinkat(fd, c, a.buf[:maxNameLen])
			if lerr != nil {
				closeFd()
				return -1, err // not a symlink: a file is in the way
			}
			if links++; links > maxSymlinks {
				closeFd()
				return -1, unix.ELOOP
			}
			target := string(a.buf[:n])
			if strings.HasPrefix(target, "/") {
				closeFd()
				fd, real = a.root, real[:0]
			}
			if todo != "" {
				target += "/" + todo
			}
			todo = target
			continue
		}
		closeFd()
		if err != nil {
			return -1, err
		}
		fd = nfd
		real = append(real, c)
	}
	if fd == a.root {
		return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	}
	return fd, nil
}

// chownNew gives a directory that mkdirAll made the owner of uid and gid 0.
func (a *applier) chownNew(fd int) error {
	uid, gid, err := a.owner(0, 0)
	if err == nil {
		err = unix.Fchown(fd, uid, gid)
	}
	if err != nil {
		unix.Close(fd)
	}
	return err
}

// put caches fd as directory p, closing the least recently used entry.
func (a *applier) put(p string, fd int) {
	a.tick++
	v := 0
	for i := range a.cache {
		if a.cache[i].fd < 0 {
			v = i
			break
		}
		if a.cache[i].used < a.cache[v].used {
			v = i
		}
	}
	if a.cache[v].fd >= 0 {
		unix.Close(a.cache[v].fd)
	}
	a.cache[v] = cachedDir{path: p, fd: fd, used: a.tick}
}

// dropCache closes the cached fds except keep1 and keep2.
func (a *applier) dropCache(keep1, keep2 int) {
	for i := range a.cache {
		if c := &a.cache[i]; c.fd >= 0 && c.fd != keep1 && c.fd != keep2 {
			unix.Close(c.fd)
			*c = cachedDir{fd: -1}
		}
	}
}

// openInRoot opens p relative to root as if root were "/".
func openInRoot(root int, p string, flags int) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolveFlags}
	for range 64 {
		fd, err := unix.Openat2(root, p, &how)
		switch err {
		case unix.EAGAIN, unix.EINTR:
			continue
		case unix.ENOSYS:
			return -1, fmt.Errorf("openat2: %w", errors.ErrUnsupported)
		}
		return fd, err
	}
	return -1, unix.EAGAIN
}

// removeAllAt removes name in dirfd and, if it is a directory, everything
// under it, never following symlinks.
func removeAllAt(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	names, err := readDirNames(fd)
	for _, n := range names {
		if err == nil {
			err = removeAllAt(fd, n)
		}
	}
	unix.Close(fd)
	if err != nil {
		return err
	}
	return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
}

// readDirNames lists directory fd (which stays open), unsorted.
func readDirNames(fd int) ([]string, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "")
	defer f.Close()
	// The duplicate shares the offset of fd.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return f.Readdirnames(-1)
}
