package dock

import (
	"context"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// The calls behind "docker cp" (and the Engine API's
// /containers/{id}/archive HEAD, GET and PUT): StatPath, ArchivePath and
// ExtractToDir read and write a container's files as its processes see
// them, running or not. Paths follow Docker's rules, decided here; the
// filesystem work is in container_archive_linux.go.

// PathStat describes a file in a container, as Docker's ContainerPathStat
// (the JSON of the X-Docker-Container-Path-Stat header).
type PathStat struct {
	// Name is the last element of the path as asked ("." for a path that
	// ends in "/.", "/" for the root).
	Name string `json:"name"`
	// Size is the file's size in bytes, as lstat reports it.
	Size int64 `json:"size"`
	// Mode holds the type and permission bits, as os.Lstat reports them
	// (fs.ModeDir, fs.ModeSymlink, ... and setuid, setgid, sticky).
	Mode fs.FileMode `json:"mode"`
	// Mtime is the modification time.
	Mtime time.Time `json:"mtime"`
	// LinkTarget is, for a symlink, the path it leads to in the
	// container, every symlink on the way followed inside the container's
	// root ("/etc/passwd" for /link -> ../etc/passwd); else "".
	LinkTarget string `json:"linkTarget"`
}

// PathNotFoundError is the error of StatPath, ArchivePath and
// ExtractToDir for a path that does not exist in the container. It
// matches ErrNotFound (errors.Is).
type PathNotFoundError struct {
	// Container is the container's name, or its short ID.
	Container string
	// Path is the path as asked.
	Path string
}

// Error says what Docker's daemon says.
func (e *PathNotFoundError) Error() string {
	return "Could not find the file " + e.Path + " in container " + e.Container
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *PathNotFoundError) Is(target error) bool { return target == ErrNotFound }

// StatPath describes the file at p in the container, as "docker cp" and
// the Engine API's HEAD /containers/{id}/archive do: p is taken from the
// container's root ("etc" is "/etc"); every symlink before its last
// element is followed inside the container's root, the last element is
// not (see PathStat.LinkTarget), except that a trailing "/" or "/." asks
// for the directory itself, which must then be one. The container may be
// running, paused, created or exited; its volumes and bind mounts are seen
// where it has them, and its /etc/hostname, /etc/hosts and
// /etc/resolv.conf are the engine's files. Its tmpfs mounts and the
// kernel filesystems (/proc, /sys, /dev) are not seen: the paths show
// what the root filesystem holds there, as in Docker.
//
// A missing path is a *PathNotFoundError (matching ErrNotFound); a
// trailing "/" on a file, or a file where a directory is needed on the
// way, is an error wrapping ErrInvalid. StatPath takes the container's
// start lock while it sets up its view (see ArchivePath).
func (c *Container) StatPath(ctx context.Context, p string) (PathStat, error) {
	return c.statPathImpl(ctx, p)
}

// ArchivePath returns the file at p in the container, and everything
// under it if it is a directory, as an uncompressed tar stream, with its
// PathStat: "docker cp CONTAINER:SRC -" and the Engine API's GET
// /containers/{id}/archive. p is resolved as StatPath resolves it: a
// symlink as last element is archived as a symlink (the caller follows
// it, as "docker cp -L" does, by asking for PathStat.LinkTarget).
//
// The entries are named as Docker names them: the top one after the
// path's last element ("passwd", "etc/" and "etc/passwd" for /etc), "."
// for a path that ends in "/." (its contents, "./x", are what a copy
// extracts) and for the root. Files, directories, symlinks, hardlinks
// (as hardlink entries), fifos and device nodes are written with numeric
// owners (as the container sees them when it has a user namespace),
// modes and second-precision times, and user.* and ACL extended
// attributes; sockets are skipped. The contents of volumes and bind
// mounts under p are included.
//
// Errors in finding p (*PathNotFoundError, ErrInvalid) come before any
// byte of the stream. The caller must Close the stream. The container's
// start lock is held only while ArchivePath sets up its view of the
// container's files: while the stream is read, the container may be
// stopped, started and restarted (the copy goes on from the files it
// had). A copy from a running container sees its files while they
// change: each file is read as it is when the stream reaches it. An
// error while the stream is written (a file that shrank, ctx ended) is
// the stream's read error.
//
// Nothing the container holds can lead the copy out of it: every path is
// resolved by the kernel inside the container's root (openat2
// RESOLVE_IN_ROOT), and from there on each file is opened relative to its
// directory's descriptor without following symlinks. See the package
// documentation's "Copying files" for how the container's filesystem is
// reached.
func (c *Container) ArchivePath(ctx context.Context, p string) (PathStat, io.ReadCloser, error) {
	return c.archivePathImpl(ctx, p)
}

// ExtractOption configures ExtractToDir.
type ExtractOption func(*extractOptions) error

type extractOptions struct {
	noOverwriteDirNonDir bool
	copyUIDGID           bool
}

// NoOverwriteDirNonDir refuses an entry of the archive that would replace
// a directory of the container with a file, or a file with a directory
// (the Engine API's noOverwriteDirNonDir, which "docker cp" sets); the
// extraction stops there with an error wrapping ErrInvalid. By default
// the container's entry is removed, with its contents, and replaced.
func NoOverwriteDirNonDir() ExtractOption {
	return func(o *extractOptions) error {
		o.noOverwriteDirNonDir = true
		return nil
	}
}

// CopyUIDGID is the Engine API's copyUIDGID ("docker cp -a" sends it):
// when the container has a user (Config.User, else the image's USER),
// every extracted file is owned by that user and its primary group, as
// the container's own /etc/passwd and /etc/group name them. (Docker's
// daemon looks the name up in the host's files instead.) A container
// without a user keeps the owners of the archive, as by default.
func CopyUIDGID() ExtractOption {
	return func(o *extractOptions) error {
		o.copyUIDGID = true
		return nil
	}
}

// ExtractToDir extracts the uncompressed tar stream r into the directory
// dir of the container: "docker cp - CONTAINER:DIR" and the Engine API's
// PUT /containers/{id}/archive. dir is taken from the container's root
// and resolved inside it, its last element too (a symlink to a directory
// will do); it must exist and be a directory, else the error is a
// *PathNotFoundError or wraps ErrInvalid ("extraction point is not a
// directory"). A read-only root filesystem (Config.ReadOnly) refuses
// unless dir is in a volume or bind mount; a read-only mount refuses:
// both errors wrap ErrReadOnly (and ErrInvalid).
//
// Entries are created as tar does, with their modes, times and extended
// attributes (user.* and ACLs only), owned by the uid and gid of the
// archive (through the container's user namespace mapping, when it has
// one; see CopyUIDGID). An entry "./" leaves dir as it is. An existing
// entry of the same name is replaced (see NoOverwriteDirNonDir), and a
// directory merged. Names are taken inside dir: "../x", or a symlink
// met on the way, whether the archive's or one already in dir, never
// leads out of dir ("d -> /" then "d/x" writes dir/x). Hardlinks may
// only name files of the same archive; device nodes are refused, and a
// ".wh."-named entry is a plain file. Errors of the archive wrap
// ErrInvalid. Extraction stops at the first error, leaving what was
// extracted so far, as Docker does. There is no limit on the number or
// size of files beyond the container's storage. The container's start
// lock is held until ExtractToDir returns: a Start meanwhile, in any
// process, fails with ErrRunning ("being started") rather than mount
// the files being written a second time.
func (c *Container) ExtractToDir(ctx context.Context, dir string, r io.Reader, opts ...ExtractOption) error {
	var o extractOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return err
		}
	}
	return c.extractToDirImpl(ctx, dir, r, &o)
}

// Export returns the container's root filesystem as an uncompressed tar
// stream, as "docker export" and the Engine API's GET
// /containers/{id}/export do: the image's files with the container's
// changes, entries named from the root ("bin/", "bin/sh"), without the
// contents of its volumes and mounts (their mount points are empty
// directories), running or not. The caller must Close the stream; the
// container may be started and stopped meanwhile, as for ArchivePath.
func (c *Container) Export(ctx context.Context) (io.ReadCloser, error) {
	return c.exportImpl(ctx)
}

// cpPath is a path of a container split as Docker splits it.
type cpPath struct {
	// abs is the path from the root, cleaned, with a trailing "/" or "/."
	// kept.
	abs string
	// dir is the part whose symlinks are all followed, base the last
	// element, not followed: "" (the directory itself) after a trailing
	// "/", "." after "/.".
	dir, base string
	// name is the name Docker gives the path's top entry.
	name string
}

// splitCpPath splits p, a path taken from the container's root.
func splitCpPath(p string) cpPath {
	abs := path.Join("/", p)
	switch {
	case abs != "/" && (strings.HasSuffix(p, "/.") || p == "."):
		abs += "/."
	case abs != "/" && strings.HasSuffix(p, "/"):
		abs += "/"
	}
	i := strings.LastIndexByte(abs, '/')
	cp := cpPath{abs: abs, dir: abs[:i+1], base: abs[i+1:]}
	// Named as filepath.Base names abs, but "." for the root, which
	// extracts as a directory's contents.
	switch name := path.Base(abs); name {
	case "/":
		cp.name = "."
	default:
		cp.name = name
	}
	return cp
}

// statName is PathStat.Name of the path: filepath.Base, as Docker.
func (p cpPath) statName() string { return path.Base(p.abs) }

// fileMode converts the st_mode of stat(2) to an fs.FileMode, as os.Lstat
// does.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & 0o170000 {
	case 0o060000:
		mode |= fs.ModeDevice
	case 0o020000:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case 0o040000:
		mode |= fs.ModeDir
	case 0o010000:
		mode |= fs.ModeNamedPipe
	case 0o120000:
		mode |= fs.ModeSymlink
	case 0o140000:
		mode |= fs.ModeSocket
	}
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
