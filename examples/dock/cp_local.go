package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-dock/dock/internal/archive"
)

// The host's side of dock cp: docker's rules for where a copy goes (its
// CLI's CopyInfo and PrepareArchiveCopy), the tar of a host path, and the
// extraction of a container's tar on the host.

// copyInfo is what is known of one end of a copy.
type copyInfo struct {
	path   string
	exists bool
	isDir  bool
	// rebaseName is the name of the archive's top entry when it is not
	// the path's last element.
	rebaseName string
}

// Docker's errors for a copy that cannot be.
var (
	errNotDirectory  = errors.New("not a directory")
	errDirNotExists  = errors.New("no such directory")
	errCannotCopyDir = errors.New("cannot copy directory")
)

func hasTrailingSeparator(p string) bool { return len(p) > 0 && p[len(p)-1] == '/' }

func specifiesCurrentDir(p string) bool { return filepath.Base(p) == "." }

// preserveTrailingDotOrSeparator gives cleaned the trailing "/." or "/" of
// original.
func preserveTrailingDotOrSeparator(cleaned, original string) string {
	if !specifiesCurrentDir(cleaned) && specifiesCurrentDir(original) {
		if !hasTrailingSeparator(cleaned) {
			cleaned += "/"
		}
		cleaned += "."
	}
	if !hasTrailingSeparator(cleaned) && hasTrailingSeparator(original) {
		cleaned += "/"
	}
	return cleaned
}

// splitPathDirEntry splits p into its directory and its last element,
// keeping a trailing "." ("/a/." gives "/a" and ".").
func splitPathDirEntry(p string) (dir, base string) {
	cleaned := filepath.Clean(p)
	if specifiesCurrentDir(p) {
		cleaned += "/."
	}
	return filepath.Dir(cleaned), filepath.Base(cleaned)
}

// archiveTop is the name of the top entry of the library's archive of the
// container's path p: its last element, "." for the root and for "/.".
func archiveTop(p string) string {
	abs := path.Join("/", p)
	if abs == "/" || specifiesCurrentDir(p) {
		return "."
	}
	return path.Base(abs)
}

// getRebaseName returns resolved, with p's trailing "/" or "/." kept, and
// the name p's entries must keep when resolving changed the last element.
func getRebaseName(p, resolved string) (string, string) {
	if specifiesCurrentDir(p) && !specifiesCurrentDir(resolved) {
		resolved += "/."
	}
	if hasTrailingSeparator(p) && !hasTrailingSeparator(resolved) {
		resolved += "/"
	}
	var rebaseName string
	if filepath.Base(p) != filepath.Base(resolved) {
		rebaseName = filepath.Base(p)
	}
	return resolved, rebaseName
}

// copyInfoSourcePath describes the host's source p: every symlink of its
// directory followed, its last element too with followLink.
func copyInfoSourcePath(p string, followLink bool) (copyInfo, error) {
	var resolved, rebaseName string
	if followLink {
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			return copyInfo{}, err
		}
		resolved, rebaseName = getRebaseName(p, r)
	} else {
		dir, base := filepath.Split(p)
		rdir, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return copyInfo{}, err
		}
		resolved = rdir + "/" + base
		if hasTrailingSeparator(p) && filepath.Base(p) != filepath.Base(resolved) {
			rebaseName = filepath.Base(p)
		}
	}
	fi, err := os.Lstat(resolved)
	if err != nil {
		return copyInfo{}, err
	}
	if _, base := splitPathDirEntry(resolved); base == "/" {
		rebaseName = "." // the root: its contents
	}
	return copyInfo{path: resolved, exists: true, isDir: fi.IsDir(), rebaseName: rebaseName}, nil
}

// copyInfoDestinationPath describes the host's destination p, following
// it while it is a symlink; a missing one needs an existing parent
// directory.
func copyInfoDestinationPath(p string) (copyInfo, error) {
	original := p
	fi, err := os.Lstat(p)
	for n := 0; err == nil && fi.Mode()&fs.ModeSymlink != 0; n++ {
		if n > 10 {
			return copyInfo{}, errors.New("too many symlinks in " + original)
		}
		var target string
		if target, err = os.Readlink(p); err != nil {
			return copyInfo{}, err
		}
		if !filepath.IsAbs(target) {
			dir, _ := splitPathDirEntry(p)
			target = filepath.Join(dir, target)
		}
		p = target
		fi, err = os.Lstat(p)
	}
	if errors.Is(err, fs.ErrNotExist) {
		dir, _ := splitPathDirEntry(p)
		pfi, err := os.Stat(dir)
		if err != nil {
			return copyInfo{}, err
		}
		if !pfi.IsDir() {
			return copyInfo{}, errNotDirectory
		}
		return copyInfo{path: p}, nil
	}
	if err != nil {
		return copyInfo{}, err
	}
	return copyInfo{path: p, exists: true, isDir: fi.IsDir()}, nil
}

// prepareArchiveCopy decides, for an archive of src copied to dst, the
// directory to extract it into and the renaming of its top entry (from
// its name to to; the same when none).
func prepareArchiveCopy(src, dst copyInfo) (dstDir, from, to string, err error) {
	dstDir, dstBase := splitPathDirEntry(dst.path)
	_, from = splitPathDirEntry(src.path)
	if src.rebaseName != "" {
		from = src.rebaseName
	}
	switch {
	case dst.exists && dst.isDir:
		// Extracted into the directory as it is.
		return dst.path, from, from, nil
	case dst.exists && src.isDir:
		return "", "", "", errCannotCopyDir
	case dst.exists, src.isDir:
		// Into the parent, under the destination's name.
		return dstDir, from, dstBase, nil
	case hasTrailingSeparator(dst.path):
		return "", "", "", errDirNotExists
	}
	return dstDir, from, dstBase, nil
}

// rebaseArchive renames the entries of the tar stream r whose first
// element is from (from itself and what is under it) to start with to.
func rebaseArchive(r io.Reader, from, to string) io.ReadCloser {
	pr, pw := io.Pipe()
	rename := func(name string) string {
		trimmed := strings.TrimSuffix(name, "/")
		switch {
		case trimmed == from:
			return to + name[len(trimmed):]
		case strings.HasPrefix(name, from+"/"):
			return to + name[len(from):]
		}
		return name
	}
	go func() {
		tr, tw := tar.NewReader(r), tar.NewWriter(pw)
		err := func() error {
			for {
				hdr, err := tr.Next()
				if err == io.EOF {
					return tw.Close()
				}
				if err != nil {
					return err
				}
				hdr.Name = rename(hdr.Name)
				if hdr.Typeflag == tar.TypeLink {
					hdr.Linkname = rename(hdr.Linkname)
				}
				if err := tw.WriteHeader(hdr); err != nil {
					return err
				}
				if _, err := io.Copy(tw, tr); err != nil {
					return err
				}
			}
		}()
		pw.CloseWithError(err)
	}()
	return pr
}

// tarHostPath returns a tar stream of the host's src, named as its last
// element (or its rebaseName). Without keepOwners, entries are owned by
// root: the container's root owns what is copied in.
func tarHostPath(ctx context.Context, src copyInfo, keepOwners bool) (io.ReadCloser, error) {
	dir, base := splitPathDirEntry(src.path)
	if base == "/" {
		base = "."
	}
	name := base
	if src.rebaseName != "" {
		name = src.rebaseName
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	var opt archive.WriteOptions
	if !keepOwners {
		opt.Header = func(h *tar.Header) error {
			h.Uid, h.Gid = 0, 0
			return nil
		}
	}
	pr, pw := io.Pipe()
	go func() {
		err := archive.WriteTree(ctx, pw, int(d.Fd()), base, name, opt)
		d.Close()
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// copyToHost extracts r, the archive of src in a container, to the host's
// dst, as docker cp does: into dst if it is a directory, else as dst. The
// archive's names (and its symlinks, on the way) stay inside the
// directory extracted into. Files are owned by the user running dock cp,
// or with keepOwners by their owners in the archive.
func copyToHost(ctx context.Context, r io.Reader, src copyInfo, dst string, keepOwners bool) error {
	dstInfo, err := copyInfoDestinationPath(dst)
	if err != nil {
		return err
	}
	dstDir, from, to, err := prepareArchiveCopy(src, dstInfo)
	if err != nil {
		return err
	}
	if from != to {
		rebased := rebaseArchive(r, from, to)
		defer rebased.Close()
		r = rebased
	}
	d, err := os.Open(dstDir)
	if err != nil {
		return err
	}
	defer d.Close()
	_, err = archive.ApplyAt(ctx, int(d.Fd()), r, archive.Options{
		MaxFiles:             -1,
		MaxBytes:             -1,
		NoWhiteouts:          true,
		SkipRoot:             true,
		NoOverwriteDirNonDir: true,
		IgnoreOwner:          !keepOwners,
	})
	if err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	return nil
}
