package build

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/opencontainers/go-digest"
)

// copier selects the files of one COPY or ADD.
type copier struct {
	b      *builder
	root   *os.Root
	ignore *dockerfile.Ignore
	owner  *[2]int
	mode   *int64
	l      *layerWriter
	add    bool
	// inStage: root holds a stage or an image, whose symlinks resolve
	// inside it (an absolute one from its root), as BuildKit resolves
	// them. In the context, one that leads out is refused.
	inStage bool
}

func (c *copier) ignored(name string) bool {
	if c.ignore == nil || name == "." {
		return false
	}
	m, _ := c.ignore.Matches(name)
	return m
}

// source adds the source root's path name at dest: a directory's
// contents into dest, a file as dest (or dest/base when intoDir). The
// symlinks of name are followed, never out of the root; those inside a
// directory are copied as symlinks.
func (c *copier) source(name, dest string, intoDir bool) error {
	src := name
	if c.inStage {
		var err error
		if src, err = resolveInStage(c.root, name); err != nil {
			return err
		}
	}
	fi, err := c.root.Stat(src)
	if err != nil {
		return err
	}
	if c.ignored(name) {
		return fmt.Errorf("excluded by .dockerignore: %w", ErrNotFound)
	}
	if fi.IsDir() {
		c.l.dir(dest, c.owner)
		return fs.WalkDir(c.root.FS(), src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == src {
				return nil
			}
			if c.ignored(p) {
				if d.IsDir() && !c.hasExceptions() {
					return fs.SkipDir
				}
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel := strings.TrimPrefix(p, src+"/")
			if src == "." {
				rel = p
			}
			return c.entry(p, path.Join(dest, rel), info)
		})
	}
	target := c.place(path.Base(name), dest, intoDir)
	if c.add && fi.Mode().IsRegular() {
		if ok, err := c.archive(src, dest); ok || err != nil {
			return err
		}
	}
	return c.entry(src, target, fi)
}

// place returns where a file named name goes for dest: dest/name when
// intoDir, else dest; it adds the directories above it.
func (c *copier) place(name, dest string, intoDir bool) string {
	if intoDir {
		c.l.dir(dest, c.owner)
		return path.Join(dest, name)
	}
	c.l.dir(path.Dir(dest), nil)
	return dest
}

// inline adds a regular file that is not in the source root (a
// here-document, a download) as target, with mode (unless --chmod),
// owner (--chown, else root), mtime clamped to SOURCE_DATE_EPOCH, and its
// content's SHA-256 sum for the cache key.
func (c *copier) inline(target string, mode int64, mtime time.Time, size int64, sum [sha256.Size]byte, open func() (io.ReadCloser, error)) {
	hdr := tar.Header{
		Typeflag: tar.TypeReg,
		Name:     target,
		Mode:     mode,
		Size:     size,
		ModTime:  mtime.Truncate(time.Second),
		Format:   tar.FormatPAX,
	}
	c.applyFlags(&hdr)
	c.l.entries[target] = &layerEntry{hdr: hdr, open: open, sum: &sum}
}

// applyFlags clamps hdr's time to SOURCE_DATE_EPOCH and applies --chown
// and --chmod to it.
func (c *copier) applyFlags(hdr *tar.Header) {
	if t := c.b.o.Epoch; !t.IsZero() && hdr.ModTime.After(t) {
		hdr.ModTime = t
	}
	if c.owner != nil {
		hdr.Uid, hdr.Gid = c.owner[0], c.owner[1]
	}
	if c.mode != nil {
		hdr.Mode = *c.mode
	}
}

// download fetches u for ADD and adds it, not extracted, as dest (or
// dest/<last element of u's path> when intoDir) with mode 0600 and the
// mtime of its Last-Modified header, as docker does. The caller removes
// the returned temporary file once the layer is written.
func (c *copier) download(ctx context.Context, u *url.URL, dest string, intoDir bool, want digest.Digest) (*fetched, error) {
	name := urlFileName(u)
	if intoDir && name == "" {
		return nil, fmt.Errorf("%w: ADD %s: cannot derive a file name from the URL: name the destination file", ErrInvalid, redactURL(u))
	}
	client := newFetchClient()
	defer client.CloseIdleConnections()
	f, err := fetch(ctx, client, c.b.h.TmpDir, u, want)
	if err != nil {
		return nil, err
	}
	mtime := c.l.mtime
	if !f.modTime.IsZero() {
		mtime = f.modTime
	}
	target := c.place(name, dest, intoDir)
	c.inline(target, 0o600, mtime, f.size, f.sum, func() (io.ReadCloser, error) { return os.Open(f.path) })
	return f, nil
}

func (c *copier) hasExceptions() bool {
	return slices.ContainsFunc(c.ignore.Patterns, func(p string) bool { return strings.HasPrefix(p, "!") })
}

// entry adds the file name of the source root, described by fi, as target.
func (c *copier) entry(name, target string, fi fs.FileInfo) error {
	hdr := tar.Header{
		Name:    target,
		Mode:    int64(fi.Mode().Perm()),
		ModTime: fi.ModTime().Truncate(time.Second),
		Format:  tar.FormatPAX,
	}
	if fi.Mode()&fs.ModeSetuid != 0 {
		hdr.Mode |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		hdr.Mode |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		hdr.Mode |= 0o1000
	}
	c.applyFlags(&hdr)
	e := &layerEntry{}
	switch {
	case fi.Mode().IsRegular():
		hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
		root := c.root
		e.open = func() (io.ReadCloser, error) { return root.Open(name) }
		e.src = &hashFile{name: name, fi: fi}
	case fi.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, target+"/"
	case fi.Mode()&fs.ModeSymlink != 0:
		link, err := c.root.Readlink(name)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, link
		if c.mode != nil {
			hdr.Mode = 0o777
		}
	default:
		return nil // devices, fifos and sockets are not copied, as in Docker
	}
	e.hdr = hdr
	c.l.entries[target] = e
	return nil
}

// resolveChown resolves a --chown value, "user[:group]", numeric or names
// from the image's /etc/passwd and /etc/group.
func resolveChown(spec string, lfs layerFS) (*[2]int, error) {
	u, err := resolveLayeredUser(spec, lfs)
	if err != nil {
		return nil, fmt.Errorf("--chown=%s: %w", spec, err)
	}
	if _, g, ok := strings.Cut(spec, ":"); !ok || g == "" {
		u.GID = u.UID // Docker: without a group, the GID is the UID
	}
	return &[2]int{int(u.UID), int(u.GID)}, nil
}
