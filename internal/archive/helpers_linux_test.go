package archive

import (
	"archive/tar"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

var testTime = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// tent is one entry of a test archive.
type tent struct {
	hdr  tar.Header
	body string
}

func reg(name, body string) tent {
	return tent{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: testTime}, body: body}
}

func dir(name string) tent {
	return tent{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: testTime}}
}

func sym(name, target string) tent {
	return tent{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, ModTime: testTime}}
}

func hlink(name, target string) tent {
	return tent{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: testTime}}
}

func devEnt(name string, typ byte, major, minor int64) tent {
	return tent{hdr: tar.Header{Typeflag: typ, Name: name, Mode: 0o666, Devmajor: major, Devminor: minor, ModTime: testTime}}
}

// with returns e changed by f.
func (e tent) with(f func(h *tar.Header)) tent { f(&e.hdr); return e }

func makeTar(t testing.TB, ents ...tent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := e.hdr
		if h.Format == tar.FormatUnknown {
			h.Format = tar.FormatPAX
		}
		require.NoError(t, tw.WriteHeader(&h), "WriteHeader(%q)", h.Name)
		_, err := tw.Write([]byte(e.body))
		require.NoError(t, err, "Write(%q)", h.Name)
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

// requireRoot skips a test that needs root, or fails it when CI=true.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("test needs root (CI=true)")
		}
		t.Skip("needs root: chown, trusted.* xattrs")
	}
}

// jail is a layer directory nested in parents holding a sentinel file, to
// check that nothing is ever written outside it.
type jail struct {
	base     string // t.TempDir()
	outer    string // base/o1/o2: holds sentinel and layer
	sentinel string
	dir      string // the layer directory
}

func newJail(t testing.TB) *jail {
	t.Helper()
	base := t.TempDir()
	j := &jail{base: base, outer: filepath.Join(base, "o1", "o2")}
	j.sentinel = filepath.Join(j.outer, "sentinel")
	j.dir = filepath.Join(j.outer, "layer")
	require.NoError(t, os.MkdirAll(j.dir, 0o755))
	require.NoError(t, os.WriteFile(j.sentinel, []byte("keep"), 0o644))
	return j
}

// check fails the test if anything outside j.dir was created or changed.
func (j *jail) check(t testing.TB) {
	t.Helper()
	allowed := map[string]bool{"o1": true, "o1/o2": true, "o1/o2/sentinel": true, "o1/o2/layer": true}
	err := filepath.WalkDir(j.base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(j.base, p)
		if rel == "." || allowed[rel] || strings.HasPrefix(rel, "o1/o2/layer/") {
			if rel == "o1/o2/layer" {
				return fs.SkipDir
			}
			return nil
		}
		t.Errorf("Apply created %s outside the layer directory", p)
		return nil
	})
	require.NoError(t, err)
	fi, err := os.Lstat(j.sentinel)
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular(), "sentinel mode = %v, want regular file", fi.Mode())
	got, err := os.ReadFile(j.sentinel)
	require.NoError(t, err)
	require.Equal(t, "keep", string(got), "sentinel content = %q, want %q", got, "keep")
	require.EqualValues(t, 1, fi.Sys().(*syscall.Stat_t).Nlink, "sentinel nlink, want 1")
	for _, p := range []string{j.base, filepath.Join(j.base, "o1"), j.outer} {
		_, err := unix.Lgetxattr(p, "trusted.overlay.opaque", make([]byte, 16))
		require.ErrorIs(t, err, unix.ENODATA, "xattr trusted.overlay.opaque on %s: got %v, want ENODATA", p, err)
	}
}

func lstat(t testing.TB, p string) *unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Lstat(p, &st), "lstat %s", p)
	return &st
}

// in returns the path of p in the layer; "{outer}" in p stands for the
// jail's outer directory as an absolute path seen from the layer root.
func (j *jail) in(p string) string {
	return filepath.Join(j.dir, strings.ReplaceAll(p, "{outer}", j.outer))
}
