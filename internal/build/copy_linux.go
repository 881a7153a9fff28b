package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	shownDest, sources := dest, len(docs) // for the history

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
			sources++
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
		sources += len(matches)
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
	// The history names the sources by their content, as Docker's
	// classic builder (so no URL, nor its credentials, shows there); the
	// cache key, which nobody reads, keeps the instruction as written.
	shownChown := ""
	if chown != "" {
		shownChown = "--chown=" + chown + " "
	}
	createdBy := nopCreatedByWord(s, fmt.Sprintf("%s %s%s in %s ", strings.ToUpper(in.Cmd), shownChown, copySources(sources, l, sum), shownDest))
	return b.cacheStep(s, b.stepKey(s, in.Original, sum), func() error {
		return b.commit(ctx, s, l.write, createdBy)
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

// copySources is how the history of a COPY or ADD names its sources:
// "file:<SHA-256 of the content>" for a single source that is one file,
// "dir:<digest>" for another single source (a directory), "multi:<digest>"
// for several; digest is the sources' digest of the cache key (names,
// modes, owners, contents). Docker's hashes differ (tarsum), their form is
// this one.
func copySources(n int, l *layerWriter, digest []byte) string {
	if n > 1 {
		return "multi:" + hex.EncodeToString(digest)
	}
	var sums [][]byte
	for _, e := range l.entries {
		switch {
		case e.src != nil:
			sums = append(sums, e.src.sum[:])
		case e.sum != nil:
			sums = append(sums, e.sum[:])
		}
	}
	for _, a := range l.archived { // a local archive that ADD extracts
		sums = append(sums, a.sum[:])
	}
	if len(sums) == 1 {
		return "file:" + hex.EncodeToString(sums[0])
	}
	return "dir:" + hex.EncodeToString(digest)
}
