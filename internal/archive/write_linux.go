package archive

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// dirWriter holds the state of one WriteDir or WriteTree.
type dirWriter struct {
	ctx   context.Context
	opt   *WriteOptions
	tw    *tar.Writer
	buf   []byte
	links map[[2]uint64]string // dev, ino of multi-link files -> first name
}

func writeDirImpl(ctx context.Context, w io.Writer, dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("write dir: open %s: %w", dir, err)
	}
	defer unix.Close(fd)
	return write(ctx, w, &WriteOptions{}, "write dir", func(d *dirWriter) error { return d.walk(fd, "") })
}

func writeTreeImpl(ctx context.Context, w io.Writer, dirfd int, base, name string, opt *WriteOptions) error {
	return write(ctx, w, opt, "write tree", func(d *dirWriter) error {
		if name != "" {
			return d.entry(dirfd, base, name)
		}
		// The directory's contents only, as WriteDir writes them.
		if base == "" {
			base = "."
		}
		fd, err := unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		defer unix.Close(fd)
		return d.walk(fd, "")
	})
}

// write runs fn with a dirWriter on w and ends the stream.
func write(ctx context.Context, w io.Writer, opt *WriteOptions, what string, fn func(*dirWriter) error) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	d := &dirWriter{ctx: ctx, opt: opt, tw: tar.NewWriter(w), buf: *bp, links: make(map[[2]uint64]string)}
	if err := fn(d); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := d.tw.Close(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// walk writes the entries of directory fd, whose name is prefix.
func (d *dirWriter) walk(dirfd int, prefix string) error {
	names, err := readDirNames(dirfd)
	if err != nil {
		return fmt.Errorf("%q: read dir: %w", prefix, err)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := d.ctx.Err(); err != nil {
			return err
		}
		if err := d.entry(dirfd, name, prefix+name); err != nil {
			return fmt.Errorf("%q: %w", prefix+name, err)
		}
	}
	return nil
}

// header writes hdr, through the caller's hook.
func (d *dirWriter) header(hdr *tar.Header) error {
	if d.opt.Header != nil {
		if err := d.opt.Header(hdr); err != nil {
			return err
		}
	}
	return d.tw.WriteHeader(hdr)
}

// entry writes base in dirfd (dirfd itself, a directory, when base is "")
// as name and, for a directory, its contents.
func (d *dirWriter) entry(dirfd int, base, name string) error {
	var st unix.Stat_t
	flags := unix.AT_SYMLINK_NOFOLLOW
	if base == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	if err := unix.Fstatat(dirfd, base, &st, flags); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	hdr := &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, 0),
		Format:  tar.FormatPAX,
	}
	typ := st.Mode & unix.S_IFMT
	if base == "" && typ != unix.S_IFDIR {
		return fmt.Errorf("not a directory: %w", unix.ENOTDIR)
	}
	if typ == unix.S_IFSOCK {
		return nil
	}
	if typ != unix.S_IFDIR && st.Nlink > 1 {
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := d.links[key]; ok {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return d.header(hdr)
		}
		d.links[key] = hdr.Name
	}
	switch typ {
	case unix.S_IFREG:
		return d.file(dirfd, base, hdr, &st)
	case unix.S_IFDIR:
		open := base
		if open == "" {
			open = "."
		}
		fd, err := unix.Openat(dirfd, open, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		defer unix.Close(fd)
		var fst unix.Stat_t
		if err := unix.Fstat(fd, &fst); err != nil {
			return fmt.Errorf("stat: %w", err)
		}
		if fst.Dev != st.Dev || fst.Ino != st.Ino {
			return fmt.Errorf("changed while reading")
		}
		hdr.Typeflag, hdr.Name = tar.TypeDir, strings.TrimSuffix(hdr.Name, "/")+"/"
		if err := d.xattrs(fd, hdr); err != nil {
			return err
		}
		if err := d.header(hdr); err != nil {
			return err
		}
		return d.walk(fd, hdr.Name)
	case unix.S_IFLNK:
		n, err := unix.Readlinkat(dirfd, base, d.buf)
		if err != nil {
			return fmt.Errorf("readlink: %w", err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, string(d.buf[:n])
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if typ == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	default:
		return fmt.Errorf("unknown file type %#o", typ)
	}
	return d.header(hdr)
}

// file writes a regular file's header and content.
func (d *dirWriter) file(dirfd int, name string, hdr *tar.Header, st *unix.Stat_t) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer unix.Close(fd)
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if fst.Dev != st.Dev || fst.Ino != st.Ino {
		return fmt.Errorf("changed while reading")
	}
	hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	if err := d.xattrs(fd, hdr); err != nil {
		return err
	}
	if err := d.header(hdr); err != nil {
		return err
	}
	for n := int64(0); n < hdr.Size; {
		m, err := unix.Read(fd, d.buf[:min(int64(len(d.buf)), hdr.Size-n)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if m == 0 {
			return fmt.Errorf("file shrank while reading: %w", io.ErrUnexpectedEOF)
		}
		if _, err := d.tw.Write(d.buf[:m]); err != nil {
			return err
		}
		n += int64(m)
	}
	return nil
}

// xattrs adds the extended attributes of fd to hdr.
func (d *dirWriter) xattrs(fd int, hdr *tar.Header) error {
	n, err := unix.Flistxattr(fd, d.buf)
	if err == unix.ENOTSUP || n == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list xattrs: %w", err)
	}
	names := strings.Split(strings.TrimSuffix(string(d.buf[:n]), "\x00"), "\x00")
	for _, name := range names {
		if !writeXattr(name) {
			continue
		}
		m, err := unix.Fgetxattr(fd, name, d.buf)
		if err == unix.ENODATA {
			continue
		}
		if err != nil {
			return fmt.Errorf("get xattr %s: %w", name, err)
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = make(map[string]string)
		}
		hdr.PAXRecords[xattrPrefix+name] = string(d.buf[:m])
	}
	return nil
}
