package dock

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// maxLinks is how many symlinks one resolution follows, as Linux's
// MAXSYMLINKS.
const maxLinks = 40

// resolveInRoot resolves name, a path relative to a root directory (a
// stage's files, an image's layers), as the kernel resolves it for
// openat2 with RESOLVE_IN_ROOT, which is how BuildKit resolves the paths
// of COPY and of a mount's source: each symlink met is followed, an
// absolute target is taken from the root, and ".." stops at the root. The
// result is a clean relative path ("." for the root) that never leaves
// the root, in which no existing component is a symlink; the last one is
// followed too when follow is set. The components past a missing one are
// kept as they are.
//
// readlink reports the target of p, a clean relative path none of whose
// parents is a symlink, and whether p is a symlink at all.
func resolveInRoot(name string, follow bool, readlink func(p string) (string, bool)) (string, error) {
	var done []string                // resolved: no symlink among them
	todo := strings.Split(name, "/") // to resolve, in order
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		p := path.Join(path.Join(done...), c)
		target, isLink := readlink(p)
		if !isLink || (len(todo) == 0 && !follow) {
			done = append(done, c)
			continue
		}
		if links++; links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: name, Err: syscall.ELOOP}
		}
		if path.IsAbs(target) {
			done = done[:0]
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return strings.Join(done, "/"), nil
}

// rootReadlink is the readlink of resolveInRoot for the files under root.
func rootReadlink(root *os.Root) func(string) (string, bool) {
	return func(p string) (string, bool) {
		target, err := root.Readlink(p)
		return target, err == nil
	}
}

// inRootFS is the files under root, each name resolved by resolveInRoot
// as it is opened: for fs.Glob over a stage's files.
type inRootFS struct{ root *os.Root }

func (f inRootFS) Open(name string) (fs.File, error) {
	p, err := resolveInRoot(name, true, rootReadlink(f.root))
	if err != nil {
		return nil, err
	}
	return f.root.Open(p)
}
