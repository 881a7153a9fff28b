package dock

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/archive"
	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/go-dock/dock/internal/layerdiff"
	"github.com/go-dock/dock/internal/store"
)

// copy runs COPY or ADD: it writes a layer of the selected files.
func (b *builder) copy(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	if len(in.Heredocs) > 0 {
		return fmt.Errorf("%s with here-documents: %w", strings.ToUpper(in.Cmd), ErrUnsupported)
	}
	var from, chown, chmod string
	for _, f := range in.Flags {
		v, err := b.expand(s, f.Value)
		if err != nil {
			return err
		}
		switch f.Name {
		case "from":
			from = v
		case "chown":
			chown = v
		case "chmod":
			chmod = v
		case "link":
		default:
			return fmt.Errorf("%s --%s: %w", strings.ToUpper(in.Cmd), f.Name, ErrUnsupported)
		}
	}
	if len(in.Args) < 2 {
		return fmt.Errorf("%w: %s needs a source and a destination", ErrInvalid, strings.ToUpper(in.Cmd))
	}
	args := make([]string, len(in.Args))
	for i, a := range in.Args {
		v, err := b.expand(s, a)
		if err != nil {
			return err
		}
		args[i] = v
	}
	srcs, dest := args[:len(args)-1], args[len(args)-1]

	lfs, err := b.layers(ctx, s.img)
	if err != nil {
		return err
	}
	root, ignore := b.ctxDir, b.ignore
	if from != "" {
		dir, err := b.materialize(ctx, from)
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if root, err = os.OpenRoot(dir); err != nil {
			return err
		}
		defer root.Close()
		ignore = nil
	}
	var owner *[2]int
	if chown != "" {
		if owner, err = resolveChown(chown, lfs); err != nil {
			return err
		}
	}
	var mode *int64
	if chmod != "" {
		m, err := strconv.ParseUint(chmod, 8, 32)
		if err != nil || m > 0o7777 {
			return fmt.Errorf("%w: --chmod=%s: not an octal mode", ErrInvalid, chmod)
		}
		m64 := int64(m)
		mode = &m64
	}

	if !path.IsAbs(dest) {
		dest = path.Join("/", s.cfg.Config.WorkingDir, dest)
	}
	destIsDir := strings.HasSuffix(dest, "/") || len(srcs) > 1
	dest = strings.TrimPrefix(path.Clean(dest), "/")
	l := &layerWriter{lfs: lfs, mtime: b.now(), entries: map[string]*layerEntry{}}
	c := &copier{b: b, root: root, ignore: ignore, owner: owner, mode: mode, l: l, add: in.Cmd == "add"}
	for _, src := range srcs {
		if strings.Contains(src, "://") {
			return fmt.Errorf("%s of a URL (%s): %w", strings.ToUpper(in.Cmd), src, ErrUnsupported)
		}
		name := path.Clean("/" + filepath.ToSlash(src))
		if strings.HasPrefix(path.Clean(filepath.ToSlash(src)), "..") {
			return fmt.Errorf("%w: %s: outside the build context", ErrInvalid, src)
		}
		name = strings.TrimPrefix(name, "/")
		if name == "" {
			name = "."
		}
		matches := []string{name}
		if strings.ContainsAny(name, "*?[") {
			if matches, err = fs.Glob(root.FS(), name); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrInvalid, src, err)
			}
			// Docker matches the context it was sent, which has no
			// ignored files: they are not sources, and not errors.
			matches = slices.DeleteFunc(matches, c.ignored)
			if len(matches) == 0 {
				return fmt.Errorf("%s: no source files match: %w", src, ErrNotFound)
			}
			destIsDir = destIsDir || len(matches) > 1
		}
		for _, m := range matches {
			if err := c.source(m, dest, destIsDir || lfs.isDir(dest) || dest == ""); err != nil {
				return fmt.Errorf("%s: %w", src, err)
			}
		}
	}
	if len(l.entries) == 0 && len(l.archives) == 0 {
		l.dir(dest, owner)
	}
	sum, err := b.sourcesDigest(root, root == b.ctxDir, l)
	if err != nil {
		return err
	}
	return b.cacheStep(s, b.stepKey(s, in.Original, sum), func() error {
		return b.commit(ctx, s, l.write, in.Original)
	})
}

// sourcesDigest is the digest of the entries of a COPY or ADD layer, for
// its cache key: names, types, modes, owners, link targets and contents,
// not modification times. The files are hashed in parallel, through the
// context's stat cache when root is the context.
func (b *builder) sourcesDigest(root *os.Root, inContext bool, l *layerWriter) ([]byte, error) {
	var files []*hashFile
	for _, e := range l.entries {
		if e.src != nil {
			files = append(files, e.src)
		}
	}
	files = append(files, l.archived...)
	var cache *fileHashCache
	if inContext {
		cache = b.files
	}
	if err := b.hashFiles(root, files, cache); err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(l.entries)) {
		e := l.entries[name]
		fmt.Fprintf(h, "%q %c %o %d:%d %q %d", e.hdr.Name, e.hdr.Typeflag, e.hdr.Mode, e.hdr.Uid, e.hdr.Gid, e.hdr.Linkname, e.hdr.Size)
		if e.src != nil {
			h.Write(e.src.sum[:])
		}
		h.Write([]byte{0})
	}
	for _, a := range l.archived {
		fmt.Fprintf(h, "archive %q ", a.name)
		h.Write(a.sum[:])
		h.Write([]byte{0})
	}
	return h.Sum(nil), nil
}

// copier selects the files of one COPY or ADD.
type copier struct {
	b      *builder
	root   *os.Root
	ignore *dockerfile.Ignore
	owner  *[2]int
	mode   *int64
	l      *layerWriter
	add    bool
}

func (c *copier) ignored(name string) bool {
	if c.ignore == nil || name == "." {
		return false
	}
	m, _ := c.ignore.Matches(name)
	return m
}

// source adds the context's path name at dest: a directory's contents
// into dest, a file as dest (or dest/base when intoDir).
func (c *copier) source(name, dest string, intoDir bool) error {
	fi, err := c.root.Stat(name) // follows symlinks, never out of the root
	if err != nil {
		return err
	}
	if c.ignored(name) {
		return fmt.Errorf("excluded by .dockerignore: %w", ErrNotFound)
	}
	if fi.IsDir() {
		c.l.dir(dest, c.owner)
		return fs.WalkDir(c.root.FS(), name, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == name {
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
			rel := strings.TrimPrefix(p, name+"/")
			if name == "." {
				rel = p
			}
			return c.entry(p, path.Join(dest, rel), info)
		})
	}
	target := dest
	if intoDir {
		target = path.Join(dest, path.Base(name))
		c.l.dir(dest, c.owner)
	} else {
		c.l.dir(path.Dir(dest), nil)
	}
	if c.add && fi.Mode().IsRegular() {
		if ok, err := c.archive(name, dest); ok || err != nil {
			return err
		}
	}
	return c.entry(name, target, fi)
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
	if t := c.b.o.epoch; !t.IsZero() && hdr.ModTime.After(t) {
		hdr.ModTime = t
	}
	if c.owner != nil {
		hdr.Uid, hdr.Gid = c.owner[0], c.owner[1]
	}
	if c.mode != nil {
		hdr.Mode = *c.mode
	}
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

// archive extracts name into the directory dest when it is a tar archive,
// plain or gzip-compressed, as ADD does. It reports whether it was one.
func (c *copier) archive(name, dest string) (bool, error) {
	open := func() (*tar.Reader, io.Closer, error) {
		f, err := c.root.Open(name)
		if err != nil {
			return nil, nil, err
		}
		br := bufio.NewReader(f)
		var r io.Reader = br
		if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				f.Close()
				return nil, nil, err
			}
			r = zr
		}
		return tar.NewReader(r), f, nil
	}
	tr, f, err := open()
	if err != nil {
		return false, err
	}
	_, err = tr.Next()
	f.Close()
	if err != nil {
		return false, nil // not an archive: copied as a file
	}
	c.l.dir(dest, c.owner)
	fi, err := c.root.Stat(name)
	if err != nil {
		return false, err
	}
	c.l.archived = append(c.l.archived, &hashFile{name: name, fi: fi})
	epoch := c.b.o.epoch
	c.l.archives = append(c.l.archives, func(tw *tar.Writer) error {
		tr, f, err := open()
		if err != nil {
			return err
		}
		defer f.Close()
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrInvalid, name, err)
			}
			hdr.Name = path.Join(dest, strings.TrimPrefix(path.Clean("/"+hdr.Name), "/"))
			if hdr.Typeflag == tar.TypeDir {
				hdr.Name += "/"
			}
			if hdr.Typeflag == tar.TypeLink {
				hdr.Linkname = path.Join(dest, strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/"))
			}
			if !epoch.IsZero() && hdr.ModTime.After(epoch) {
				hdr.ModTime = epoch
			}
			hdr.Uname, hdr.Gname = "", ""
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if _, err := io.Copy(tw, tr); err != nil {
				return err
			}
		}
	})
	return true, nil
}

// resolveChown resolves a --chown value, "user[:group]", numeric or names
// from the image's /etc/passwd and /etc/group.
func resolveChown(spec string, lfs layerFS) (*[2]int, error) {
	passwd, err := readLayeredFile([]string(lfs), "etc/passwd")
	if err != nil {
		return nil, err
	}
	group, err := readLayeredFile([]string(lfs), "etc/group")
	if err != nil {
		return nil, err
	}
	u, err := resolveUser(spec, passwd, group, nil)
	if err != nil {
		return nil, fmt.Errorf("--chown=%s: %w", spec, err)
	}
	if _, g, ok := strings.Cut(spec, ":"); !ok || g == "" {
		u.GID = u.UID // Docker: without a group, the GID is the UID
	}
	return &[2]int{int(u.UID), int(u.GID)}, nil
}

// materialize writes the root filesystem of a stage (by name or index) or
// of an image of the store into a new directory in tmp/, for COPY --from.
func (b *builder) materialize(ctx context.Context, from string) (string, error) {
	var img *store.Image
	if st := b.df.Stage(from); st != nil && st.Index < len(b.stages) {
		img = b.stages[st.Index].img
	} else {
		var err error
		if img, err = b.e.store.Resolve(from); err != nil {
			return "", fmt.Errorf("--from=%s: %w", from, translate(err))
		}
	}
	dir, err := os.MkdirTemp(b.e.path("tmp"), "build-from-")
	if err != nil {
		return "", err
	}
	lfs, err := b.layers(ctx, img)
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	for _, layer := range slices.Backward(lfs) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(layerdiff.Write(ctx, pw, layer, layerdiff.Options{})) }()
		_, err := archive.Apply(ctx, dir, pr, archive.Options{PlainWhiteouts: true})
		pr.CloseWithError(errors.New("stopped"))
		if err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("--from=%s: %w", from, err)
		}
	}
	return dir, nil
}
