package testutil

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"testing"
)

// TarEntry is one entry of a tar stream made by Tar. Typeflag defaults to
// a regular file (a directory when Name ends in "/"), Mode to 0644 (0755
// for directories).
type TarEntry struct {
	Name     string
	Body     string
	Typeflag byte
	Linkname string
	Mode     int64
	Uid, Gid int
	// PAXRecords, e.g. "SCHILY.xattr.user.x": "y".
	PAXRecords map[string]string
}

// Tar returns an uncompressed tar stream of entries, written as given
// (names are not cleaned: hostile ones are the point).
func Tar(t testing.TB, entries ...TarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name: e.Name, Typeflag: e.Typeflag, Linkname: e.Linkname, Mode: e.Mode,
			Uid: e.Uid, Gid: e.Gid, PAXRecords: e.PAXRecords, Format: tar.FormatPAX,
		}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
			if len(e.Name) > 0 && e.Name[len(e.Name)-1] == '/' {
				h.Typeflag = tar.TypeDir
			}
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("Tar: %s: %v", e.Name, err)
		}
		if _, err := tw.Write([]byte(e.Body)); err != nil {
			t.Fatalf("Tar: %s: %v", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("Tar: %v", err)
	}
	return buf.Bytes()
}

// Gzip compresses b.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatalf("Gzip: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("Gzip: %v", err)
	}
	return buf.Bytes()
}
