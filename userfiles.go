package dock

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxUserFile bounds how much of an image's /etc/passwd or /etc/group is
// read: they are image data, not to be trusted with the engine's memory.
const maxUserFile = 4 << 20

// lookupUser resolves the container's user against the image's passwd
// and group files, read from the container's layers (upper first) before
// it runs, or through procRoot (/proc/PID/root) once it runs.
func (e *Engine) lookupUser(rec *containerRecord, procRoot *string) (execUser, error) {
	read := func(name string) ([]byte, error) {
		// Top first: the container's upper dir, then the layers top-down.
		dirs := append([]string{e.path("containers", rec.ID, "upper")}, rec.Layers...)
		slices.Reverse(dirs[1:])
		return readLayeredFile(dirs, name)
	}
	if procRoot != nil {
		read = func(name string) ([]byte, error) { return readInRoot(*procRoot, name) }
	}
	passwd, err := read("etc/passwd")
	if err != nil {
		return execUser{}, err
	}
	group, err := read("etc/group")
	if err != nil {
		return execUser{}, err
	}
	return resolveUser(rec.Process.User, passwd, group, rec.Config.GroupAdd)
}

// readLayeredFile reads name (a clean relative path) as an overlay of dirs
// (top first) would show it: a whiteout or an opaque directory hides the
// layers below. A missing file reads as empty. Symlinks are not followed:
// such a file reads as empty, as a file the engine cannot trust.
func readLayeredFile(dirs []string, name string) ([]byte, error) {
	parts := strings.Split(name, "/")
	for _, d := range dirs {
		hidden := false
		for i := range parts {
			p := filepath.Join(d, filepath.Join(parts[:i+1]...))
			fi, err := os.Lstat(p)
			if err != nil {
				break // not in this layer; look below
			}
			if fi.Mode()&fs.ModeCharDevice != 0 && isWhiteout(fi) {
				return nil, nil
			}
			if i == len(parts)-1 {
				if !fi.Mode().IsRegular() {
					return nil, nil
				}
				return readCapped(p)
			}
			if !fi.IsDir() {
				return nil, nil
			}
			if isOpaque(p) {
				hidden = true
			}
		}
		if hidden {
			return nil, nil
		}
	}
	return nil, nil
}

func readCapped(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCappedFrom(f)
}

func readCappedFrom(f *os.File) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, maxUserFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxUserFile {
		return nil, fmt.Errorf("%s: larger than %d bytes: %w", f.Name(), maxUserFile, ErrInvalid)
	}
	return data, nil
}
