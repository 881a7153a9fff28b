package dock

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/archive"
	"github.com/go-dock/dock/internal/layerfs"
)

// How the archive calls defend against what a container holds (a hostile
// one may change its files while they run): a path of the container is
// resolved once, by the kernel, from the descriptor of the view's root
// with RESOLVE_IN_ROOT (symlinks, absolute or "..", stay inside it) and
// RESOLVE_NO_MAGICLINKS; what the calls do next is relative to the
// descriptor that resolution returned, never by a path string walked
// again: the tar writer opens each file from its directory's descriptor
// with O_NOFOLLOW and checks it is the file it listed, the extraction
// resolves every name of the archive inside the destination's descriptor
// and creates each file with O_EXCL|O_NOFOLLOW. A symlink swapped in
// between two steps (CVE-2018-15664) is then a symlink like any other:
// it is followed inside the root or not at all, and never by a path
// lookup that starts at the host's root.

// displayName is how errors name the container: its name, or short ID.
func (c *Container) displayName(rec *containerRecord) string {
	if rec != nil && rec.Name != "" {
		return rec.Name
	}
	return c.id[:12]
}

// notFound is the error of a missing path.
func (v *containerView) notFound(cp cpPath) error {
	return &PathNotFoundError{Container: v.c.displayName(v.rec), Path: cp.abs}
}

// lookup resolves cp in the view: the descriptor of its directory (for
// cp.base "" or ".", of the file itself, a directory), for the caller to
// close, and the file's stat.
func (v *containerView) lookup(cp cpPath) (dirfd int, st PathStat, err error) {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolveInRoot}
	dirfd, err = unix.Openat2(v.root, cp.dir, &how)
	switch {
	case err == unix.ENOENT:
		return -1, st, v.notFound(cp)
	case err == unix.ENOTDIR:
		return -1, st, invalidf("lstat %s: not a directory", cp.abs)
	case err != nil:
		return -1, st, fmt.Errorf("open %s: %w", cp.abs, err)
	}
	var ust unix.Stat_t
	base, flags := cp.base, unix.AT_SYMLINK_NOFOLLOW
	if base == "" || base == "." {
		base, flags = "", unix.AT_EMPTY_PATH
	}
	if err := unix.Fstatat(dirfd, base, &ust, flags); err != nil {
		unix.Close(dirfd)
		if err == unix.ENOENT {
			return -1, st, v.notFound(cp)
		}
		return -1, st, fmt.Errorf("lstat %s: %w", cp.abs, err)
	}
	st = PathStat{
		Name:  cp.statName(),
		Size:  ust.Size,
		Mode:  fileMode(ust.Mode),
		Mtime: time.Unix(ust.Mtim.Sec, ust.Mtim.Nsec),
	}
	if st.Mode&fs.ModeSymlink != 0 {
		r, err := layerfs.Resolve(cp.abs, v.readlink, layerfs.ResolveOptions{Follow: true})
		if err != nil {
			unix.Close(dirfd)
			return -1, st, fmt.Errorf("resolve %s: %w", cp.abs, err)
		}
		st.LinkTarget = path.Join("/", r.Path)
	}
	return dirfd, st, nil
}

// readlink is the layerfs.Readlink of the view, for PathStat.LinkTarget
// (informative: nothing is opened by that path afterwards).
func (v *containerView) readlink(p string) (string, bool, error) {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: resolveInRoot}
	fd, err := unix.Openat2(v.root, p, &how)
	if err == unix.ENOENT || err == unix.ENOTDIR {
		return "", false, &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
	}
	if err != nil {
		return "", false, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "", false, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return "", false, nil
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", false, err
	}
	return string(buf[:n]), true, nil
}

func (c *Container) statPathImpl(ctx context.Context, p string) (PathStat, error) {
	v, err := c.openView(ctx, viewOptions{mounts: true})
	if err != nil {
		return PathStat{}, err
	}
	defer v.Close()
	dirfd, st, err := v.lookup(splitCpPath(p))
	if err != nil {
		return st, err
	}
	unix.Close(dirfd)
	return st, nil
}

func (c *Container) archivePathImpl(ctx context.Context, p string) (PathStat, io.ReadCloser, error) {
	v, err := c.openView(ctx, viewOptions{mounts: true})
	if err != nil {
		return PathStat{}, nil, err
	}
	cp := splitCpPath(p)
	dirfd, st, err := v.lookup(cp)
	if err != nil {
		v.Close()
		return st, nil, err
	}
	base := cp.base
	if base == "." {
		base = "" // the directory itself, named "."
	}
	return st, v.stream(ctx, func(w io.Writer) error {
		defer unix.Close(dirfd)
		return archive.WriteTree(ctx, w, dirfd, base, cp.name, archive.WriteOptions{Header: v.containerOwner})
	}), nil
}

func (c *Container) exportImpl(ctx context.Context) (io.ReadCloser, error) {
	v, err := c.openView(ctx, viewOptions{})
	if err != nil {
		return nil, err
	}
	return v.stream(ctx, func(w io.Writer) error {
		return archive.WriteTree(ctx, w, v.root, "", "", archive.WriteOptions{Header: v.containerOwner})
	}), nil
}

// stream runs write in a goroutine that writes a pipe, and returns the
// pipe's reader; its Close stops write, waits for it and closes the view.
func (v *containerView) stream(ctx context.Context, write func(io.Writer) error) io.ReadCloser {
	pr, pw := io.Pipe()
	s := &viewStream{pr: pr, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer v.Close()
		pw.CloseWithError(write(pw))
	}()
	return s
}

// viewStream is the tar stream of ArchivePath and Export.
type viewStream struct {
	pr   *io.PipeReader
	done chan struct{}
	once sync.Once
}

func (s *viewStream) Read(p []byte) (int, error) { return s.pr.Read(p) }

// Close stops the writer if it has not finished and waits for it.
func (s *viewStream) Close() error {
	s.once.Do(func() {
		s.pr.CloseWithError(errors.New("archive stream closed"))
		<-s.done
	})
	return nil
}

// containerOwner changes the owner of hdr, a file of the view, to what
// the container sees: for a container with a user namespace, host IDs
// become the container's (65534, nobody, where unmapped).
func (v *containerView) containerOwner(hdr *tar.Header) error {
	if len(v.rec.Config.UIDMap) == 0 {
		return nil
	}
	hdr.Uid = containerID(v.rec.Config.UIDMap, hdr.Uid)
	hdr.Gid = containerID(v.rec.Config.GIDMap, hdr.Gid)
	return nil
}

// containerID maps a host ID into the maps; 65534 where unmapped.
func containerID(maps []IDMap, id int) int {
	for _, m := range maps {
		if id >= m.HostID && id < m.HostID+m.Size {
			return m.ContainerID + id - m.HostID
		}
	}
	return 65534
}

var (
	errExtractPointNotDir = invalidf("extraction point is not a directory")
	errRootFSReadOnly     = &readOnlyError{"container rootfs is marked read-only"}
	errVolumeReadOnly     = &readOnlyError{"mounted volume is marked read-only"}
)

func (c *Container) extractToDirImpl(ctx context.Context, dir string, r io.Reader, o *extractOptions) error {
	v, err := c.openView(ctx, viewOptions{mounts: true, write: true})
	if err != nil {
		return err
	}
	defer v.Close()
	cp := splitCpPath(dir)
	// The last element is followed too: a symlink to a directory will do.
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolveInRoot}
	fd, err := unix.Openat2(v.root, cp.abs, &how)
	switch {
	case err == unix.ENOENT:
		return v.notFound(cp)
	case err == unix.ENOTDIR:
		return errExtractPointNotDir
	case err != nil:
		return fmt.Errorf("open %s: %w", cp.abs, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return errExtractPointNotDir
	}
	m, err := v.mountOf(fd)
	if err != nil {
		return err
	}
	switch {
	case m != nil && m.readOnly:
		return errVolumeReadOnly
	case (m == nil || !m.volume) && v.rec.Config.ReadOnly:
		return errRootFSReadOnly
	}
	owner, err := v.extractOwner(o.copyUIDGID)
	if err != nil {
		return err
	}
	_, err = archive.ApplyAt(ctx, fd, r, archive.Options{
		MaxFiles:             -1,
		MaxBytes:             -1,
		NoWhiteouts:          true,
		SkipRoot:             true,
		NoOverwriteDirNonDir: o.noOverwriteDirNonDir,
		Owner:                owner,
	})
	if errors.Is(err, archive.ErrUnsafe) || errors.Is(err, archive.ErrOverwrite) {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return err
}

// extractOwner returns the owner of extracted files from the archive's
// uid and gid: through the container's user namespace mapping when it
// has one, or, with copyUIDGID and a container user, that user.
func (v *containerView) extractOwner(copyUIDGID bool) (func(uid, gid int) (int, int, error), error) {
	cfg := &v.rec.Config
	if copyUIDGID && v.rec.Process.User != "" {
		u, err := v.c.e.lookupUser(v.rec, new(v.procRoot()))
		if err != nil {
			return nil, err
		}
		uid, gid := int(u.UID), int(u.GID)
		return func(int, int) (int, int, error) { return hostOwner(cfg, uid, gid) }, nil
	}
	if len(cfg.UIDMap) == 0 {
		return nil, nil
	}
	return func(uid, gid int) (int, int, error) { return hostOwner(cfg, uid, gid) }, nil
}

// hostOwner maps a container's uid and gid to the host's (the same
// without a user namespace).
func hostOwner(cfg *Config, uid, gid int) (int, int, error) {
	if len(cfg.UIDMap) == 0 {
		return uid, gid, nil
	}
	hu, ok := hostID(cfg.UIDMap, uid)
	if !ok {
		return 0, 0, invalidf("container ID %d cannot be mapped to a host ID", uid)
	}
	hg, ok := hostID(cfg.GIDMap, gid)
	if !ok {
		return 0, 0, invalidf("container ID %d cannot be mapped to a host ID", gid)
	}
	return hu, hg, nil
}
