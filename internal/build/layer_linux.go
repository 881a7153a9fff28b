package build

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"syscall"
	"time"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/go-dock/dock/internal/layerfs"
	"github.com/go-dock/dock/internal/store"
	"github.com/go-dock/dock/internal/user"
)

func init() { statIDs = linuxStatIDs }

// linuxStatIDs returns the inode and ctime (ns) of fi.
func linuxStatIDs(fi fs.FileInfo) (ino uint64, ctime int64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return st.Ino, st.Ctim.Sec*1e9 + st.Ctim.Nsec, true
}

// layerFS is a view of an image's unpacked layers, for the steps that
// read them without mounting (COPY's destination, WORKDIR, --chown).
type layerFS struct{ layerfs.FS }

func (b *builder) layers(ctx context.Context, img *store.Image) (layerFS, error) {
	if img == nil {
		return layerFS{}, nil
	}
	dirs, err := b.h.Store.LayerDirs(ctx, img)
	if err != nil {
		return layerFS{}, err
	}
	return layerFS{layerfs.New(dirs)}, nil
}

// stat returns the metadata of name (a clean relative path) as an overlay
// of the layers shows it, without following symlinks; nil when missing.
func (l layerFS) stat(name string) *syscall.Stat_t {
	_, fi, err := l.Lstat(name)
	if err != nil {
		return nil
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	return st
}

// resolve resolves name, a path of the image, inside the image, every
// symlink followed (as BuildKit does for a COPY destination and WORKDIR).
func (l layerFS) resolve(name string) (string, error) {
	r, err := l.Resolve(path.Clean("/"+name), layerfs.ResolveOptions{Follow: true})
	return r.Path, err
}

// workdir adds a layer creating the stage's WORKDIR when it is missing.
func (b *builder) workdir(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	lfs, err := b.layers(ctx, s.img)
	if err != nil {
		return err
	}
	// As BuildKit does, the symlinks of the path are followed inside the
	// image: WORKDIR makes the directories at their targets.
	dir, err := lfs.resolve(s.cfg.Config.WorkingDir)
	if err != nil {
		return fmt.Errorf("WORKDIR %s: %w", s.cfg.Config.WorkingDir, err)
	}
	createdBy := nopCreatedByWord(s, "WORKDIR "+s.cfg.Config.WorkingDir)
	if dir == "." || lfs.IsDir(dir) {
		b.configStep(s, createdBy)
		return nil
	}
	l := &layerWriter{lfs: lfs, mtime: b.now(), entries: map[string]*layerEntry{}}
	l.dir(dir, nil)
	if user := s.cfg.Config.User; user != "" {
		// As BuildKit does: the directories that WORKDIR creates belong
		// to the stage's USER, who can then write in them.
		u, err := resolveLayeredUser(user, lfs)
		if err != nil {
			return fmt.Errorf("WORKDIR %s as USER %s: %w", s.cfg.Config.WorkingDir, user, err)
		}
		for name, e := range l.entries {
			if lfs.stat(name) == nil {
				e.hdr.Uid, e.hdr.Gid = int(u.UID), int(u.GID)
			}
		}
	}
	return b.commit(ctx, s, l.write, createdBy)
}

// resolveLayeredUser resolves a USER spec against the passwd and group
// files of the layers lfs.
func resolveLayeredUser(spec string, lfs layerFS) (user.User, error) {
	read := func(name string) ([]byte, error) { return user.ReadFile(lfs.FS, name) }
	return user.Lookup(spec, read, nil)
}

// layerEntry is one entry of a layer that COPY, ADD or WORKDIR makes.
type layerEntry struct {
	hdr  tar.Header
	open func() (io.ReadCloser, error) // regular files
	src  *hashFile                     // regular files of COPY and ADD
	// sum is the SHA-256 of a regular file's content known beforehand (a
	// here-document, a download), for the cache key.
	sum *[sha256.Size]byte
}

// layerWriter collects the entries of a new layer and writes them sorted.
type layerWriter struct {
	lfs      layerFS
	mtime    time.Time
	entries  map[string]*layerEntry // by name, without trailing "/"
	archives []func(*tar.Writer) error
	archived []*hashFile // the sources of archives, for the cache key
}

// dir adds the directory name and its missing parents: an existing one
// with its metadata from the image, a new one with mode 0755, owned by
// owner (nil: root) for name itself and by root for its parents.
func (l *layerWriter) dir(name string, owner *[2]int) {
	for p := name; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		if _, ok := l.entries[p]; ok {
			break
		}
		hdr := tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: 0o755, ModTime: l.mtime, Format: tar.FormatPAX}
		if st := l.lfs.stat(p); st != nil && st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
			hdr.Mode = int64(st.Mode & 0o7777)
			hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
			hdr.ModTime = time.Unix(st.Mtim.Sec, 0)
		} else if p == name && owner != nil {
			hdr.Uid, hdr.Gid = owner[0], owner[1]
		}
		l.entries[p] = &layerEntry{hdr: hdr}
	}
}

func (l *layerWriter) write(w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, name := range slices.Sorted(maps.Keys(l.entries)) {
		e := l.entries[name]
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return err
		}
		if e.open == nil {
			continue
		}
		f, err := e.open()
		if err != nil {
			return err
		}
		_, err = io.CopyN(tw, f, e.hdr.Size)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	for _, a := range l.archives {
		if err := a(tw); err != nil {
			return err
		}
	}
	return tw.Close()
}
