package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"strings"
)

// archive extracts name into the directory dest when it is a tar archive,
// plain or gzip-compressed, as ADD does. It reports whether it was one.
func (c *copier) archive(name, dest string) (bool, error) {
	open := func() (*tar.Reader, io.Closer, error) {
		f, err := c.root.Open(name)
		if err != nil {
			return nil, nil, err
		}
		br := bufio.NewReader(f)
		var r io.Reader = br
		if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				f.Close()
				return nil, nil, err
			}
			r = zr
		}
		return tar.NewReader(r), f, nil
	}
	tr, f, err := open()
	if err != nil {
		return false, err
	}
	_, err = tr.Next()
	f.Close()
	if err != nil {
		return false, nil // not an archive: copied as a file
	}
	c.l.dir(dest, c.owner)
	fi, err := c.root.Stat(name)
	if err != nil {
		return false, err
	}
	c.l.archived = append(c.l.archived, &hashFile{name: name, fi: fi})
	epoch := c.b.o.Epoch
	c.l.archives = append(c.l.archives, func(tw *tar.Writer) error {
		tr, f, err := open()
		if err != nil {
			return err
		}
		defer f.Close()
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrInvalid, name, err)
			}
			hdr.Name = path.Join(dest, strings.TrimPrefix(path.Clean("/"+hdr.Name), "/"))
			if hdr.Typeflag == tar.TypeDir {
				hdr.Name += "/"
			}
			if hdr.Typeflag == tar.TypeLink {
				hdr.Linkname = path.Join(dest, strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/"))
			}
			if !epoch.IsZero() && hdr.ModTime.After(epoch) {
				hdr.ModTime = epoch
			}
			hdr.Uname, hdr.Gname = "", ""
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if _, err := io.Copy(tw, tr); err != nil {
				return err
			}
		}
	})
	return true, nil
}
