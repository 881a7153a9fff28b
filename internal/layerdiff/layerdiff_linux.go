package layerdiff

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/go-dock/dock/internal/archive"
	"golang.org/x/sys/unix"
)

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
	opaqueXattr    = "trusted.overlay.opaque"
)

func writeImpl(ctx context.Context, w io.Writer, upperDir string, opt Options) error {
	rootfd, err := unix.Open(upperDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("layer diff: open %s: %w", upperDir, err)
	}
	defer unix.Close(rootfd)

	pr, pw := io.Pipe()
	written := make(chan error, 1)
	go func() {
		err := archive.WriteDir(ctx, pw, upperDir)
		pw.CloseWithError(err)
		written <- err
	}()
	err = convert(tar.NewReader(pr), tar.NewWriter(w), rootfd, opt)
	if err == nil {
		_, err = io.Copy(io.Discard, pr) // the end of the stream
	}
	pr.CloseWithError(errors.New("layer diff: stopped")) // unblocks WriteDir
	if werr := <-written; werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("layer diff: %w", err)
	}
	return nil
}

// convert copies the tar stream of the upper directory from tr to tw,
// turning overlayfs whiteouts into OCI ones.
func convert(tr *tar.Reader, tw *tar.Writer, rootfd int, opt Options) error {
	whiteouts := map[string]bool{} // names written as whiteouts
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		hdr.Uname, hdr.Gname = "", ""
		if !opt.SourceDateEpoch.IsZero() && hdr.ModTime.After(opt.SourceDateEpoch) {
			hdr.ModTime = opt.SourceDateEpoch.Truncate(0)
		}
		isWhiteout := hdr.Typeflag == tar.TypeChar && hdr.Devmajor == 0 && hdr.Devminor == 0
		if hdr.Typeflag == tar.TypeLink && whiteouts[hdr.Linkname] {
			// overlayfs links whiteouts to one shared inode.
			isWhiteout = true
		}
		switch {
		case isWhiteout:
			whiteouts[hdr.Name] = true
			dir, base := path.Split(hdr.Name)
			if err := tw.WriteHeader(marker(dir+whiteoutPrefix+base, hdr)); err != nil {
				return err
			}
		case hdr.Typeflag == tar.TypeDir:
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			opaque, err := isOpaque(rootfd, strings.TrimSuffix(hdr.Name, "/"))
			if err != nil {
				return fmt.Errorf("%q: %w", hdr.Name, err)
			}
			if opaque {
				if err := tw.WriteHeader(marker(hdr.Name+opaqueMarker, hdr)); err != nil {
					return err
				}
			}
		default:
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if hdr.Typeflag == tar.TypeReg {
				if _, err := io.Copy(tw, tr); err != nil {
					return err
				}
			}
		}
	}
	return tw.Close()
}

// marker returns the header of an empty whiteout file name, with the owner
// and time of hdr.
func marker(name string, hdr *tar.Header) *tar.Header {
	return &tar.Header{
		Name:     name,
		Typeflag: tar.TypeReg,
		Mode:     0o644,
		Uid:      hdr.Uid,
		Gid:      hdr.Gid,
		ModTime:  hdr.ModTime,
		Format:   tar.FormatPAX,
	}
}

// isOpaque reports whether the directory name, resolved inside rootfd
// without following symlinks, is an opaque overlayfs directory.
func isOpaque(rootfd int, name string) (bool, error) {
	fd, err := unix.Openat2(rootfd, name, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return false, fmt.Errorf("open: %w", err)
	}
	defer unix.Close(fd)
	buf := make([]byte, 8)
	n, err := unix.Fgetxattr(fd, opaqueXattr, buf)
	switch err {
	case nil:
		return n == 1 && buf[0] == 'y', nil
	case unix.ENODATA, unix.ENOTSUP, unix.ERANGE:
		return false, nil
	}
	return false, fmt.Errorf("get xattr %s: %w", opaqueXattr, err)
}
