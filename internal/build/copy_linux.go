package build

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/opencontainers/go-digest"
)

// copy runs COPY or ADD: it writes a layer of the selected files.
func (b *builder) copy(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	var from, chown, chmod, checksum string
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
		case "checksum":
			checksum = v
		case "link":
		default:
			return fmt.Errorf("%s --%s: %w", strings.ToUpper(in.Cmd), f.Name, ErrUnsupported)
		}
	}
	if len(in.Args) < 2 {
		return fmt.Errorf("%w: %s needs a source and a destination", ErrInvalid, strings.ToUpper(in.Cmd))
	}
	rawDest := in.Args[len(in.Args)-1]
	if name, ok := dockerfile.HeredocMarker(rawDest); ok && slices.ContainsFunc(in.Heredocs, func(h dockerfile.Heredoc) bool { return h.Name == name }) {
		return fmt.Errorf("%w: %s destination %s is a here-document", ErrInvalid, strings.ToUpper(in.Cmd), rawDest)
	}
	docs, rawSrcs, err := heredocSources(in, in.Args[:len(in.Args)-1], s.lookup)
	if err != nil {
		return err
	}
	srcs := make([]string, len(rawSrcs))
	for i, a := range rawSrcs {
		if srcs[i], err = b.expand(s, a); err != nil {
			return err
		}
	}
	dest, err := b.expand(s, rawDest)
	if err != nil {
		return err
	}
	var want digest.Digest
	if checksum != "" {
		if want, err = parseChecksum(checksum, srcs, docs); err != nil {
			return err
		}
	}

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
	destIsDir := strings.HasSuffix(dest, "/") || len(srcs)+len(docs) > 1
	// As BuildKit does, the symlinks of dest are followed inside the
	// image, the last one too: COPY writes at their targets and keeps them.
	if dest, err = lfs.resolve(dest); err != nil {
		return fmt.Errorf("%s destination %s: %w", strings.ToUpper(in.Cmd), rawDest, err)
	}
	if dest == "." {
		dest = ""
	}
	l := &layerWriter{lfs: lfs, mtime: b.now(), entries: map[string]*layerEntry{}}
	c := &copier{b: b, root: root, ignore: ignore, owner: owner, mode: mode, l: l, add: in.Cmd == "add", inStage: from != ""}
	for _, src := range srcs {
		u, err := remoteURL(src)
		if err != nil {
			return err
		}
		if u != nil {
			if !c.add {
				return fmt.Errorf("%w: COPY cannot download %s: use ADD", ErrInvalid, redactURL(u))
			}
			f, err := c.download(ctx, u, dest, destIsDir || lfs.IsDir(dest) || dest == "", want)
			if err != nil {
				return err
			}
			defer os.Remove(f.path)
			continue
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
			fsys := root.FS()
			if c.inStage {
				fsys = inRootFS{root}
			}
			if matches, err = fs.Glob(fsys, name); err != nil {
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
			if err := c.source(m, dest, destIsDir || lfs.IsDir(dest) || dest == ""); err != nil {
				return fmt.Errorf("%s: %w", src, err)
			}
		}
	}
	for _, d := range docs {
		data := d.data
		target := c.place(d.name, dest, destIsDir || lfs.IsDir(dest) || dest == "")
		c.inline(target, 0o644, l.mtime, int64(len(data)), sha256.Sum256(data), func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		})
	}
	if len(l.entries) == 0 && len(l.archives) == 0 {
		l.dir(dest, owner)
	}
	sum, err := b.sourcesDigest(root, root == b.ctxDir, l)
	if err != nil {
		return err
	}
	// The history shows the instruction without the credentials of URLs;
	// the cache key, which nobody reads, keeps them.
	return b.cacheStep(s, b.stepKey(s, in.Original, sum), func() error {
		return b.commit(ctx, s, l.write, redactURLs(in.Original))
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
		switch {
		case e.src != nil:
			h.Write(e.src.sum[:])
		case e.sum != nil:
			h.Write(e.sum[:])
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

// parseChecksum validates ADD --checksum: a digest ("sha256:<hex>"), for a
// single source that is an http or https URL.
func parseChecksum(v string, srcs []string, docs []inlineFile) (digest.Digest, error) {
	d, err := digest.Parse(v)
	if err != nil {
		return "", fmt.Errorf("%w: --checksum=%s: %w", ErrInvalid, v, err)
	}
	if len(srcs) != 1 || len(docs) != 0 {
		return "", fmt.Errorf("%w: --checksum needs a single source", ErrInvalid)
	}
	if u, err := remoteURL(srcs[0]); err != nil || u == nil {
		return "", fmt.Errorf("%w: --checksum is for http and https sources only", ErrInvalid)
	}
	return d, nil
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
