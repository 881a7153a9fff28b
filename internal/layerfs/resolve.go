package layerfs

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// MaxLinks is how many symlinks one resolution follows, as Linux's
// MAXSYMLINKS.
const MaxLinks = 40

// ResolveOptions change how Resolve follows a path.
type ResolveOptions struct {
	// Follow follows a symlink that is the last component too.
	Follow bool
	// Stop, when set, ends the resolution at a path (absolute, clean)
	// for which it is true: the rest is kept as written. The engine stops
	// at /proc, /dev and /sys, whose image files a container never sees.
	Stop func(abs string) bool
}

// Resolved is where a path leads.
type Resolved struct {
	// Path is the result, clean and relative to the root ("." for the
	// root itself); no component that exists is a symlink, the last one
	// excepted without Follow. The components past a missing one are
	// kept as written (".." taken by name).
	Path string
	// Links are the symlinks followed, as "/link -> target".
	Links []string
	// Dangling is the symlink ("/link -> target") whose target led to a
	// missing component, or "".
	Dangling string
}

// Readlink tells what p (clean, relative, none of whose parents is a
// symlink) is: a symlink with its target (true), or not (false); the error
// wraps fs.ErrNotExist when p is missing.
type Readlink func(p string) (target string, isLink bool, err error)

// Resolve resolves name, a path relative to a root (an absolute one is
// taken from the root), as the kernel resolves it for openat2 with
// RESOLVE_IN_ROOT, which is also how BuildKit resolves the paths of COPY:
// each symlink met is followed through readlink, an absolute target is
// taken from the root, and ".." stops at the root. The result never leaves
// the root. More than MaxLinks symlinks is ELOOP.
func Resolve(name string, readlink Readlink, opt ResolveOptions) (Resolved, error) {
	type part struct {
		name string
		link string // the symlink whose target this came from, or ""
	}
	var r Resolved
	var todo []part
	for _, s := range strings.Split(name, "/") {
		todo = append(todo, part{name: s})
	}
	var done []string // resolved: no symlink among them
	for len(todo) > 0 {
		c := todo[0]
		switch c.name {
		case "", ".":
			todo = todo[1:]
			continue
		case "..":
			todo = todo[1:]
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		p := path.Join(path.Join(done...), c.name)
		if opt.Stop != nil && opt.Stop("/"+p) {
			break
		}
		target, isLink, err := readlink(p)
		if errors.Is(err, fs.ErrNotExist) {
			if c.link != "" {
				r.Dangling = c.link
			}
			break
		}
		if err != nil {
			return r, err
		}
		todo = todo[1:]
		if !isLink || (len(todo) == 0 && !opt.Follow) {
			done = append(done, c.name)
			continue
		}
		if len(r.Links) == MaxLinks {
			return r, &fs.PathError{Op: "resolve", Path: name, Err: syscall.ELOOP}
		}
		link := "/" + p + " -> " + target
		r.Links = append(r.Links, link)
		if path.IsAbs(target) {
			done = done[:0]
		}
		var next []part
		for _, s := range strings.Split(target, "/") {
			next = append(next, part{name: s, link: link})
		}
		todo = append(next, todo...)
	}
	for _, c := range todo {
		done = append(done, c.name)
	}
	// Cleaned from the root: a ".." left after a missing component
	// stops there too.
	r.Path = strings.TrimPrefix(path.Clean("/"+path.Join(done...)), "/")
	if r.Path == "" {
		r.Path = "."
	}
	return r, nil
}

// RootReadlink is the Readlink of the files under root.
func RootReadlink(root *os.Root) Readlink {
	return func(p string) (string, bool, error) {
		fi, err := root.Lstat(p)
		if err != nil {
			if errors.Is(err, syscall.ENOTDIR) {
				err = &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
			}
			return "", false, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return "", false, nil
		}
		target, err := root.Readlink(p)
		return target, err == nil, err
	}
}

// readlink is the Readlink of the overlay.
func (f FS) readlink(p string) (string, bool, error) {
	host, fi, err := f.Lstat(p)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return "", false, err
	}
	target, err := os.Readlink(host)
	return target, err == nil, err
}
