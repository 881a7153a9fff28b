package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-dock/dock"
)

// cmdCp is docker cp (as in docker 20.10): files between a container,
// running or not, and the host, either way, or a tar stream on stdin or
// stdout for "-". The container side is the library's (StatPath,
// ArchivePath, ExtractToDir); this side does what docker's CLI does: it
// decides, from the source and the destination, which directory to
// extract into and under which name, and reads or writes the host's files.
//
// Ownership: files copied into a container belong to its root (uid and
// gid 0), as docker documents; with -a they keep their owners on the
// host. Files copied out belong to the user who runs dock cp; with -a
// they keep their owners in the container.
func cmdCp(ctx context.Context, c *cli, args []string) error {
	var o cpOptions
	fs := newFlagSet("cp", true)
	fs.Bool(&o.archive, "a,archive", "Archive mode (copy all uid/gid information)")
	fs.Bool(&o.followLink, "L,follow-link", "Always follow symbol link in SRC_PATH")
	args, err := fs.ParseArgs(args, 2, 2)
	if err != nil {
		return err
	}
	switch {
	case args[0] == "":
		return errors.New("source can not be empty")
	case args[1] == "":
		return errors.New("destination can not be empty")
	}
	srcCtr, srcPath := splitCpArg(args[0])
	dstCtr, dstPath := splitCpArg(args[1])
	switch {
	case srcCtr != "" && dstCtr != "":
		return errors.New("copying between containers is not supported")
	case srcCtr == "" && dstCtr == "":
		return errors.New("must specify at least one container source")
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	if srcCtr != "" {
		o.container, o.src, o.dst = srcCtr, srcPath, dstPath
		return c.copyFromContainer(ctx, e, &o)
	}
	o.container, o.src, o.dst = dstCtr, srcPath, dstPath
	return c.copyToContainer(ctx, e, &o)
}

type cpOptions struct {
	archive, followLink bool
	container, src, dst string
}

// splitCpArg splits "CONTAINER:PATH"; a local path ("/x", "./a:b", "x")
// has no container.
func splitCpArg(arg string) (container, path string) {
	if filepath.IsAbs(arg) {
		return "", arg
	}
	name, p, ok := strings.Cut(arg, ":")
	if !ok || strings.HasPrefix(name, ".") {
		return "", arg
	}
	return name, p
}

// noSuchPath is docker's error for a missing container or path, from err.
func noSuchPath(container, p string, err error) error {
	if errors.Is(err, dock.ErrNotFound) {
		return &noSuchPathError{container: container, path: p}
	}
	return err
}

// noSuchPathError says what docker's CLI says.
type noSuchPathError struct{ container, path string }

func (e *noSuchPathError) Error() string {
	return "No such container:path: " + e.container + ":" + e.path
}

func (c *cli) copyFromContainer(ctx context.Context, e *dock.Engine, o *cpOptions) error {
	dst := o.dst
	if dst != "-" {
		var err error
		if dst, err = resolveLocalPath(dst); err != nil {
			return err
		}
		if err := validateOutputPath(dst); err != nil {
			return err
		}
	}
	ct, err := e.Container(o.container)
	if err != nil {
		return noSuchPath(o.container, o.src, err)
	}
	src, rebaseName := o.src, ""
	if o.followLink {
		st, err := ct.StatPath(ctx, src)
		if err == nil && st.Mode&fs.ModeSymlink != 0 {
			// LinkTarget is resolved already, in the container's root.
			src, rebaseName = getRebaseName(src, st.LinkTarget)
		}
	}
	st, content, err := ct.ArchivePath(ctx, src)
	if err != nil {
		return noSuchPath(o.container, src, err)
	}
	defer content.Close()
	if dst == "-" {
		_, err := io.Copy(c.stdout, content)
		return err
	}
	var r io.Reader = content
	top := archiveTop(src)
	if rebaseName != "" {
		rebased := rebaseArchive(content, top, rebaseName)
		defer rebased.Close()
		r, top = rebased, rebaseName
	}
	srcInfo := copyInfo{path: src, exists: true, isDir: st.Mode.IsDir(), rebaseName: top}
	return copyToHost(ctx, r, srcInfo, dst, o.archive)
}

func (c *cli) copyToContainer(ctx context.Context, e *dock.Engine, o *cpOptions) error {
	src := o.src
	if src != "-" {
		var err error
		if src, err = resolveLocalPath(src); err != nil {
			return err
		}
	}
	ct, err := e.Container(o.container)
	if err != nil {
		return noSuchPath(o.container, o.dst, err)
	}
	// What the destination is decides where to extract; a stat that
	// fails leaves the extraction to tell.
	dstInfo := copyInfo{path: o.dst}
	st, err := ct.StatPath(ctx, o.dst)
	if err == nil && st.Mode&fs.ModeSymlink != 0 {
		dstInfo.path = st.LinkTarget
		st, err = ct.StatPath(ctx, st.LinkTarget)
	}
	if err == nil && st.Mode&fs.ModeDevice != 0 {
		return fmt.Errorf("destination %q must be a directory or a regular file: got a device", o.container+":"+o.dst)
	}
	if err == nil {
		dstInfo.exists, dstInfo.isDir = true, st.Mode.IsDir()
	}
	var content io.Reader
	var dstDir string
	if src == "-" {
		if !dstInfo.isDir {
			return fmt.Errorf("destination %q must be a directory", o.container+":"+o.dst)
		}
		content, dstDir = c.stdin, dstInfo.path
	} else {
		srcInfo, err := copyInfoSourcePath(src, o.followLink)
		if err != nil {
			return err
		}
		tarball, err := tarHostPath(ctx, srcInfo, o.archive)
		if err != nil {
			return err
		}
		defer tarball.Close()
		var from, to string
		if dstDir, from, to, err = prepareArchiveCopy(srcInfo, dstInfo); err != nil {
			return err
		}
		content = tarball
		if from != to {
			rebased := rebaseArchive(tarball, from, to)
			defer rebased.Close()
			content = rebased
		}
	}
	err = ct.ExtractToDir(ctx, dstDir, content, dock.NoOverwriteDirNonDir())
	return noSuchPath(o.container, dstDir, err)
}

// resolveLocalPath makes p absolute, keeping a trailing "/" or "/.".
func resolveLocalPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return preserveTrailingDotOrSeparator(abs, p), nil
}

// validateOutputPath checks that dst's directory exists and that dst, if
// it exists, is a directory or a regular file (not a device).
func validateOutputPath(dst string) error {
	dir := filepath.Dir(filepath.Clean(dst))
	if dir != "" && dir != "." {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("invalid output path: directory %q does not exist", dir)
		}
	}
	fi, err := os.Stat(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeDevice != 0:
		return fmt.Errorf("invalid output path: %q must be a directory or a regular file: got a device", dst)
	}
	return nil
}
