package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Sentinel errors. Test for them with errors.Is; Apply wraps them with the
// entry concerned, as in `apply layer: "../x": path escapes the layer: unsafe
// archive entry`.
var (
	// ErrLimit means the archive exceeded Options.MaxFiles or
	// Options.MaxBytes. Apply returns it before writing past the limit.
	ErrLimit = errors.New("archive limit exceeded")
	// ErrUnsafe means an entry was refused: its name or link target escapes
	// the directory or is malformed, it is a device node, or it is a
	// malformed whiteout.
	ErrUnsafe = errors.New("unsafe archive entry")
	// ErrOverwrite means an entry would have replaced a directory with a
	// non-directory, or the reverse, and Options.NoOverwriteDirNonDir
	// forbids it.
	ErrOverwrite = errors.New("archive entry would overwrite a different kind of file")
)

// Defaults for the zero Options.
const (
	// DefaultMaxFiles is the number of tar entries Apply accepts when
	// Options.MaxFiles is zero. Large distribution images hold ~100k files.
	DefaultMaxFiles = 1 << 20
	// DefaultMaxBytes is the total file content Apply writes when
	// Options.MaxBytes is zero (64 GiB).
	DefaultMaxBytes = 64 << 30
)

// maxNameLen is PATH_MAX: longer names (and symlink targets) are refused.
const maxNameLen = 4096

// Options bound and shape an Apply. The zero value is the safe default for
// unpacking an image layer as root.
type Options struct {
	// MaxFiles bounds the number of tar entries of every kind (files,
	// directories, links, whiteouts). Zero means DefaultMaxFiles; a negative
	// value means no limit.
	MaxFiles int64
	// MaxBytes bounds the total size of regular file content written. An
	// entry whose header size would cross it is refused before any of its
	// bytes are written. Zero means DefaultMaxBytes; negative means no limit.
	MaxBytes int64
	// IgnoreOwner leaves files owned by the calling process instead of the
	// uid/gid of the tar header. The default (false) chowns every entry,
	// which needs root (CAP_CHOWN).
	IgnoreOwner bool
	// AllowDevices lets the archive create character and block device
	// nodes. By default they are refused with ErrUnsafe: an image may not
	// bring its own devices.
	AllowDevices bool
	// PlainWhiteouts applies the layer onto a plain directory that already
	// holds the lower layers (no overlayfs): a whiteout ".wh.NAME" deletes
	// NAME, and an opaque marker deletes, once the archive is read, every
	// entry of its directory not written by this archive. By default
	// whiteouts are converted to overlayfs form instead.
	PlainWhiteouts bool
	// NoWhiteouts takes ".wh."-named entries as ordinary files: the
	// archive is a copy of files ("docker cp"), not an image layer. It
	// overrides PlainWhiteouts, and errors read "extract archive: ..."
	// instead of "apply layer: ...".
	NoWhiteouts bool
	// NoOverwriteDirNonDir refuses, with ErrOverwrite, an entry that would
	// replace an existing directory with a non-directory or an existing
	// non-directory with a directory. By default the existing one is
	// removed (a directory with its contents) and replaced, as tar does.
	NoOverwriteDirNonDir bool
	// SkipRoot ignores an entry for the directory itself ("./"), which
	// otherwise sets its owner, mode and times: extracting into an
	// existing directory leaves it as it was, as "docker cp" does.
	SkipRoot bool
	// Owner, when set, gives the owner each entry gets from the uid and
	// gid of its header (a user namespace's mapping, or one owner for
	// all); an error stops Apply. The parent directories Apply creates
	// get Owner(0, 0). IgnoreOwner overrides it.
	Owner func(uid, gid int) (int, int, error)
}

// Stats reports what an Apply did.
type Stats struct {
	// Files is the number of tar entries read, of every kind.
	Files int64
	// Bytes is the number of bytes of regular file content written.
	Bytes int64
}

// Apply reads an uncompressed tar stream from r and unpacks it into dir, which
// must exist and is normally empty, as an overlayfs layer directory. It needs
// Linux 5.6 or later (openat2); elsewhere it returns an error wrapping
// errors.ErrUnsupported.
//
// Names are cleaned as if dir were "/": "/abs/x" lands in dir/abs/x and
// "a/../b" in dir/b. A name that still climbs above dir ("../x",
// "a/../../x"), contains NUL, is longer than 4096 bytes, or is empty is
// refused with ErrUnsafe. A directory entry "./" sets the metadata of dir
// itself. Every path is resolved by the kernel with dir as its root
// (RESOLVE_IN_ROOT): a symlink in the archive, such as "d -> /" or
// "d -> ../..", is followed only within dir, so a later "d/etc/passwd" lands
// in dir/etc/passwd. The last component is never followed: entries are
// created with O_EXCL/O_NOFOLLOW, and a later entry of the same name replaces
// the earlier one (a directory is kept if the new entry is a directory too).
// Missing parent directories are created with mode 0755, owned by root.
//
// Entry kinds:
//   - regular files, directories, symlinks (the target is stored verbatim),
//     fifos;
//   - hardlinks, whose target must be a non-directory already written by
//     this archive (never a file that was in dir before);
//   - character and block devices only with Options.AllowDevices;
//   - whiteouts: ".wh.NAME" becomes a character device 0/0 named NAME
//     (skipped if NAME exists: the OCI spec says a whiteout does not hide
//     entries of its own layer), and ".wh..wh..opq" sets the xattr
//     "trusted.overlay.opaque"="y" on its directory. A whiteout of "", "."
//     or "..", or one inside a ".wh."-named directory, is refused; other
//     ".wh..wh.*" entries (aufs metadata) are skipped, as Docker does.
//     With Options.PlainWhiteouts they delete instead (see there);
//   - pax global headers are skipped; other types are refused.
//
// Metadata: uid/gid from the header (unless Options.IgnoreOwner), the mode
// including setuid, setgid and sticky bits (kept, as Docker does; they act
// only inside the container's user namespace and mounts), and mtimes at
// nanosecond precision (directories after their contents, symlinks
// themselves). Extended attributes come from PAX "SCHILY.xattr." records on
// files and directories; only "user.*" (except "user.overlay.*") and POSIX
// ACLs ("system.posix_acl_access", "system.posix_acl_default") are set.
// "trusted.*" (including "trusted.overlay.*"), "security.*" (including
// "security.capability", so file capabilities are not granted) and every
// other namespace are dropped silently. Xattrs are not set on symlinks,
// fifos or devices, and are skipped where the file system does not support
// them.
//
// The stream must end with tar's end-of-archive marker (at least one zero
// block): a stream cut short, even at an entry boundary, is an error
// wrapping io.ErrUnexpectedEOF. After the marker Apply reads r to its end,
// so that a reader verifying a digest sees every byte, but at most 1 MiB.
//
// Limits: more than MaxFiles entries, or content beyond MaxBytes, returns an
// error wrapping ErrLimit. ctx is checked between entries and between reads
// of a file's content; a read from r that blocks is not interrupted.
//
// On error Apply stops at the entry concerned and returns the error wrapped
// as "apply layer: NAME: ..."; dir is left partly written and the caller
// removes it. dir must not be modified by anyone else during Apply. Stats
// count what was done up to the end or the error. Apply is safe for
// concurrent use on different directories.
func Apply(ctx context.Context, dir string, r io.Reader, opt Options) (Stats, error) {
	if opt.MaxFiles == 0 {
		opt.MaxFiles = DefaultMaxFiles
	}
	if opt.MaxBytes == 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	return applyImpl(ctx, dir, -1, r, &opt)
}

// ApplyAt is Apply into the directory that dirfd refers to (an O_PATH
// descriptor will do), which it does not close: for a directory found by
// descriptor, never named by a path again. Names are resolved with that
// directory as their root.
func ApplyAt(ctx context.Context, dirfd int, r io.Reader, opt Options) (Stats, error) {
	if opt.MaxFiles == 0 {
		opt.MaxFiles = DefaultMaxFiles
	}
	if opt.MaxBytes == 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	return applyImpl(ctx, "", dirfd, r, &opt)
}

// WriteDir writes the tree under dir (not dir itself) to w as an uncompressed
// tar stream, the inverse of Apply for a plain directory (as "docker import"
// of a directory needs). The output is deterministic: entries come depth
// first, each directory's entries sorted by name, with names relative to dir
// ("etc/", "etc/passwd"); uid and gid are numeric, without user or group
// names; mtimes are kept at second precision; atime and ctime are not
// written. Files with several links are written once and then as hardlink
// entries naming the first path; symlinks are written as symlinks, never
// followed; device nodes and fifos as such; sockets are skipped. Extended
// attributes of files and directories are written as PAX "SCHILY.xattr."
// records, except "trusted.*" and "security.selinux" (a host label). It
// needs Linux; elsewhere it returns an error wrapping errors.ErrUnsupported.
//
// ctx is checked between entries. The tree should not change while it is
// written: a file that shrinks meanwhile is an error. On error w holds a
// partial stream. WriteDir does not close w.
func WriteDir(ctx context.Context, w io.Writer, dir string) error {
	return writeDirImpl(ctx, w, dir)
}

// WriteOptions shape WriteTree.
type WriteOptions struct {
	// Header, when set, may change each header before it is written (the
	// owner, for a user namespace's mapping); an error stops WriteTree.
	Header func(*tar.Header) error
}

// WriteTree writes to w, as an uncompressed tar stream with its
// end-of-archive marker, the file base of directory dirfd (dirfd's
// directory itself when base is "") under the name name, followed, for a
// directory, by everything under it with names below name ("name/x").
// Entries are as WriteDir writes them; base itself is not followed when it
// is a symlink. The name "." writes the directory as "./" and its contents
// as "./x"; the name "" writes only the contents of the directory, named
// as WriteDir names them.
//
// Every file is opened relative to the descriptor of its directory and
// never followed: a tree that another process changes meanwhile can make
// the stream inconsistent (an error, or a file as it was when it was
// reached), never lead it out of the tree. dirfd may be an O_PATH
// descriptor; WriteTree does not close it, nor w. On error w holds a
// partial stream.
func WriteTree(ctx context.Context, w io.Writer, dirfd int, base, name string, opt WriteOptions) error {
	return writeTreeImpl(ctx, w, dirfd, base, name, &opt)
}

// kind is what Apply does with one tar entry.
type kind uint8

const (
	kindSkip     kind = iota // pax global header, aufs metadata
	kindDir                  // directory; name "." is dir itself
	kindReg                  // regular file
	kindSymlink              // symlink to link (verbatim)
	kindLink                 // hardlink to link (cleaned)
	kindFifo                 // named pipe
	kindChar                 // character device
	kindBlock                // block device
	kindWhiteout             // remove or mask parent/base
	kindOpaque               // mark directory parent opaque
)

// entry is the plan for one tar header, decided without touching the file
// system.
type entry struct {
	kind kind
	// name is the cleaned path relative to the root, "." for the root.
	name string
	// parent is the directory that holds the entry ("" for the root) and
	// base its name there. For kindWhiteout, base is the name to hide; for
	// kindOpaque, parent is the directory to mark and base is empty.
	parent, base string
	// link is the cleaned hardlink target or the verbatim symlink target.
	link string
	// mode holds the permission bits with setuid, setgid and sticky.
	mode uint32
}

const (
	whPrefix = ".wh."
	whMeta   = ".wh..wh."
	whOpaque = ".wh..wh..opq"
)

// cleanName returns name relative to the root, cleaned as if the root were
// "/", or an error wrapping ErrUnsafe. The root itself is ".".
func cleanName(name string) (string, error) {
	switch {
	case name == "":
		return "", fmt.Errorf("empty name: %w", ErrUnsafe)
	case len(name) > maxNameLen:
		return "", fmt.Errorf("name longer than %d bytes: %w", maxNameLen, ErrUnsafe)
	case strings.IndexByte(name, 0) >= 0:
		return "", fmt.Errorf("name contains NUL: %w", ErrUnsafe)
	}
	c := path.Clean(strings.TrimLeft(name, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("path escapes the layer: %w", ErrUnsafe)
	}
	return c, nil
}

// splitName splits a cleaned name into parent ("" for the root) and base.
func splitName(c string) (parent, base string) {
	i := strings.LastIndexByte(c, '/')
	if i < 0 {
		return "", c
	}
	return c[:i], c[i+1:]
}

// planEntry decides what Apply does with hdr.
func planEntry(hdr *tar.Header, opt *Options) (entry, error) {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return entry{kind: kindSkip}, nil
	}
	c, err := cleanName(hdr.Name)
	if err != nil {
		return entry{}, err
	}
	e := entry{name: c, mode: uint32(hdr.Mode) & 0o7777}
	e.parent, e.base = splitName(c)
	if !opt.NoWhiteouts && strings.Contains(e.parent, whPrefix) {
		for p := range strings.SplitSeq(e.parent, "/") {
			if strings.HasPrefix(p, whMeta) {
				return entry{kind: kindSkip}, nil
			}
			if strings.HasPrefix(p, whPrefix) {
				return entry{}, fmt.Errorf("whiteout used as a directory: %w", ErrUnsafe)
			}
		}
	}
	if !opt.NoWhiteouts && strings.HasPrefix(e.base, whPrefix) {
		switch {
		case e.base == whOpaque:
			return entry{kind: kindOpaque, name: c, parent: e.parent}, nil
		case strings.HasPrefix(e.base, whMeta):
			return entry{kind: kindSkip}, nil
		}
		e.kind, e.base = kindWhiteout, e.base[len(whPrefix):]
		if e.base == "" || e.base == "." || e.base == ".." {
			return entry{}, fmt.Errorf("malformed whiteout: %w", ErrUnsafe)
		}
		return e, nil
	}
	if hdr.Uid < 0 || hdr.Gid < 0 || int64(hdr.Uid) > 1<<32-2 || int64(hdr.Gid) > 1<<32-2 {
		return entry{}, fmt.Errorf("uid %d gid %d out of range: %w", hdr.Uid, hdr.Gid, ErrUnsafe)
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
		e.kind = kindReg
	case tar.TypeDir:
		e.kind = kindDir
	case tar.TypeSymlink:
		e.kind, e.link = kindSymlink, hdr.Linkname
		if e.link == "" || len(e.link) >= maxNameLen || strings.IndexByte(e.link, 0) >= 0 {
			return entry{}, fmt.Errorf("malformed symlink target: %w", ErrUnsafe)
		}
	case tar.TypeLink:
		e.kind = kindLink
		if e.link, err = cleanName(hdr.Linkname); err != nil {
			return entry{}, fmt.Errorf("hardlink target: %w", err)
		}
		if e.link == "." {
			return entry{}, fmt.Errorf("hardlink to the root: %w", ErrUnsafe)
		}
	case tar.TypeFifo:
		e.kind = kindFifo
	case tar.TypeChar, tar.TypeBlock:
		if !opt.AllowDevices {
			return entry{}, fmt.Errorf("device node: %w", ErrUnsafe)
		}
		e.kind = kindChar
		if hdr.Typeflag == tar.TypeBlock {
			e.kind = kindBlock
		}
	default:
		return entry{}, fmt.Errorf("unsupported entry type %q: %w", hdr.Typeflag, ErrUnsafe)
	}
	if c == "." && e.kind != kindDir {
		return entry{}, fmt.Errorf("non-directory as the root: %w", ErrUnsafe)
	}
	return e, nil
}

// xattrPrefix marks PAX records that carry extended attributes.
const xattrPrefix = "SCHILY.xattr."

// keepXattr reports whether Apply sets the extended attribute name from an
// archive. See Apply for the policy.
func keepXattr(name string) bool {
	switch {
	case strings.HasPrefix(name, "user."):
		return !strings.HasPrefix(name, "user.overlay.")
	case name == "system.posix_acl_access", name == "system.posix_acl_default":
		return true
	}
	return false
}

// writeXattr reports whether WriteDir writes the extended attribute name.
func writeXattr(name string) bool {
	return !strings.HasPrefix(name, "trusted.") && name != "security.selinux"
}
