package layerdiff

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/archive"
	"github.com/go-dock/dock/internal/testutil"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// upper builds an overlayfs upper directory by hand: a new file, a deleted
// file (0/0 device), an opaque directory and a symlink.
func upper(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "etc", "new"), []byte("new\n"), 0o640))
	require.NoError(t, unix.Mknod(filepath.Join(dir, "etc", "gone"), unix.S_IFCHR|0o000, 0))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "opq"), 0o755))
	require.NoError(t, unix.Setxattr(filepath.Join(dir, "opq"), "trusted.overlay.opaque", []byte("y"), 0))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "opq", "kept"), []byte("k"), 0o644))
	require.NoError(t, os.Symlink("/etc/new", filepath.Join(dir, "link")))
	return dir
}

func entries(t *testing.T, b []byte) map[string]*tar.Header {
	out := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out[h.Name] = h
	}
}

func TestWrite(t *testing.T) {
	testutil.RequireRoot(t)
	dir := upper(t)
	epoch := time.Unix(1000, 0)
	var a, b bytes.Buffer
	require.NoError(t, Write(context.Background(), &a, dir, Options{SourceDateEpoch: epoch}))
	require.NoError(t, Write(context.Background(), &b, dir, Options{SourceDateEpoch: epoch}))
	require.Equal(t, a.Bytes(), b.Bytes(), "deterministic")

	es := entries(t, a.Bytes())
	names := []string{}
	for n := range es {
		names = append(names, n)
	}
	require.ElementsMatch(t, []string{"etc/", "etc/.wh.gone", "etc/new", "link", "opq/", "opq/.wh..wh..opq", "opq/kept"}, names)
	require.Equal(t, byte(tar.TypeReg), es["etc/.wh.gone"].Typeflag)
	require.Equal(t, int64(0o640), es["etc/new"].Mode)
	require.Equal(t, byte(tar.TypeSymlink), es["link"].Typeflag)
	for _, h := range es {
		require.False(t, h.ModTime.After(epoch), h.Name)
		require.Empty(t, h.Uname)
	}

	// Round trip: onto a plain directory holding the lower layer, the
	// whiteouts delete.
	lower := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(lower, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(lower, "etc", "gone"), nil, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(lower, "opq"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(lower, "opq", "old"), nil, 0o644))
	_, err := archive.Apply(context.Background(), lower, bytes.NewReader(a.Bytes()), archive.Options{PlainWhiteouts: true})
	require.NoError(t, err)
	require.NoFileExists(t, filepath.Join(lower, "etc", "gone"))
	require.NoFileExists(t, filepath.Join(lower, "opq", "old"))
	require.FileExists(t, filepath.Join(lower, "opq", "kept"))
	data, err := os.ReadFile(filepath.Join(lower, "etc", "new"))
	require.NoError(t, err)
	require.Equal(t, "new\n", string(data))

	// And into an overlayfs layer directory, they become overlayfs
	// whiteouts again.
	layer := t.TempDir()
	_, err = archive.Apply(context.Background(), layer, bytes.NewReader(a.Bytes()), archive.Options{})
	require.NoError(t, err)
	var st unix.Stat_t
	require.NoError(t, unix.Lstat(filepath.Join(layer, "etc", "gone"), &st))
	require.Equal(t, uint32(unix.S_IFCHR), st.Mode&unix.S_IFMT)
	buf := make([]byte, 4)
	n, err := unix.Getxattr(filepath.Join(layer, "opq"), "trusted.overlay.opaque", buf)
	require.NoError(t, err)
	require.Equal(t, "y", string(buf[:n]))
}
