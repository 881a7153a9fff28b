// Package layerfs reads an image's unpacked layers as the overlay of them
// shows them, without mounting anything: the engine looks up a user's
// passwd entry, a VOLUME's target or a build's COPY destination before any
// container exists.
//
// Each layer is a directory in overlayfs's format: a whiteout (a character
// device 0/0) hides a name of the layers below, an opaque directory
// (xattr trusted.overlay.opaque=y) hides their whole directory. Nothing of
// a layer is ever followed on the host: each component of a name is looked
// at with Lstat, and symlinks are read, never opened. Resolve follows them
// inside the image's root, as openat2's RESOLVE_IN_ROOT would.
package layerfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// FS is the overlay of a list of layer directories. The zero FS is empty.
// An FS only reads; it is safe for concurrent use.
type FS struct {
	top []string // top layer first
}

// New returns the overlay of layers, given bottom first (the order of an
// image's manifest).
func New(layers []string) FS {
	top := make([]string, len(layers))
	for i, d := range layers {
		top[len(layers)-1-i] = d
	}
	return FS{top: top}
}

// Lstat finds name (a clean relative path; "." is the root) without
// following a symlink at its end: the topmost layer that has it, unless a
// whiteout, an opaque directory or a non-directory above hides it. The
// parents of name must not be symlinks (Resolve them first): one met on
// the way ends the lookup, as a missing name. It returns the entry's host
// path, to read it, and its Lstat; the error wraps fs.ErrNotExist when
// the overlay has no such name.
func (f FS) Lstat(name string) (string, fs.FileInfo, error) {
	if name == "." && len(f.top) > 0 {
		fi, err := os.Lstat(f.top[0])
		return f.top[0], fi, err
	}
	parts := strings.Split(name, "/")
	for _, d := range f.top {
		hidden := false
		for i := range parts {
			p := filepath.Join(d, filepath.Join(parts[:i+1]...))
			fi, err := os.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				break // not in this layer; look below
			}
			if err != nil {
				return "", nil, err
			}
			switch {
			case isWhiteout(fi):
				return "", nil, notExist(name)
			case i == len(parts)-1:
				return p, fi, nil
			case !fi.IsDir():
				return "", nil, notExist(name) // hides the layers below
			case isOpaque(p):
				hidden = true // the layers below cannot show what this one lacks
			}
		}
		if hidden {
			break
		}
	}
	return "", nil, notExist(name)
}

func notExist(name string) error {
	return &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
}

// IsDir reports whether name is a directory in the overlay.
func (f FS) IsDir(name string) bool {
	_, fi, err := f.Lstat(name)
	return err == nil && fi.IsDir()
}

// Readlink returns the target of name and true when name is a symlink in
// the overlay (the parents of name as for Lstat).
func (f FS) Readlink(name string) (string, bool) {
	p, fi, err := f.Lstat(name)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return "", false
	}
	target, err := os.Readlink(p)
	return target, err == nil
}

// ReadFile reads name, a regular file of at most max bytes, as the
// overlay shows it. A missing name, and a name that is not a regular file
// (a symlink is not followed: such a file is not trusted), read as empty,
// without error; a file over max is an error.
func (f FS) ReadFile(name string, max int64) ([]byte, error) {
	p, fi, err := f.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !fi.Mode().IsRegular() {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	file, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return ReadCapped(file, max)
}

// ReadCapped reads r to its end, refusing more than max bytes.
func ReadCapped(f *os.File, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", f.Name(), max)
	}
	return data, nil
}

// Resolve resolves name in the overlay; see the package function Resolve.
func (f FS) Resolve(name string, opt ResolveOptions) (Resolved, error) {
	return Resolve(name, f.readlink, opt)
}
