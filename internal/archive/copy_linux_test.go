package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Tests of what a copy of files ("docker cp") needs beyond a layer:
// ApplyAt and WriteTree, and the options for copies.

// copyOpts is what the engine sets for docker cp.
var copyOpts = Options{MaxFiles: -1, MaxBytes: -1, NoWhiteouts: true, SkipRoot: true}

func applyAt(t testing.TB, dir string, b []byte, opt Options) error {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	_, err = ApplyAt(context.Background(), fd, bytes.NewReader(b), opt)
	return err
}

func TestApplyAtCopy(t *testing.T) {
	requireRoot(t)
	j := newJail(t)
	require.NoError(t, unix.Chmod(j.dir, 0o1777))
	err := applyAt(t, j.dir, makeTar(t,
		dir("./").with(func(h *tar.Header) { h.Mode = 0o700; h.Uid = 5 }),
		reg(".wh.f", "plain"),
		dir(".wh..wh..opq/"),
		reg("d/.wh..wh..opq", "also plain"),
	), copyOpts)
	require.NoError(t, err)
	st := lstat(t, j.dir)
	require.Equal(t, uint32(0o1777), st.Mode&0o7777, "SkipRoot: the directory's mode is kept")
	require.Equal(t, uint32(0), st.Uid, "SkipRoot: the directory's owner is kept")
	got, err := os.ReadFile(filepath.Join(j.dir, ".wh.f"))
	require.NoError(t, err)
	require.Equal(t, "plain", string(got), "NoWhiteouts: .wh.f is a file")
	require.True(t, lstat(t, filepath.Join(j.dir, ".wh..wh..opq")).Mode&unix.S_IFMT == unix.S_IFDIR)
	_, err = os.ReadFile(filepath.Join(j.dir, "d", ".wh..wh..opq"))
	require.NoError(t, err)
	j.check(t)
}

func TestApplyNoOverwriteDirNonDir(t *testing.T) {
	requireRoot(t)
	j := newJail(t)
	require.NoError(t, os.Mkdir(filepath.Join(j.dir, "d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(j.dir, "d", "keep"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(j.dir, "f"), nil, 0o644))
	opt := copyOpts
	opt.NoOverwriteDirNonDir = true
	for _, tc := range []struct {
		name string
		ent  tent
	}{
		{"file over dir", reg("d", "x")},
		{"symlink over dir", sym("d", "/")},
		{"dir over file", dir("f/")},
	} {
		err := applyAt(t, j.dir, makeTar(t, tc.ent), opt)
		require.ErrorIs(t, err, ErrOverwrite, tc.name)
	}
	require.FileExists(t, filepath.Join(j.dir, "d", "keep"))
	require.NoError(t, applyAt(t, j.dir, makeTar(t, reg("f", "new"), dir("d/")), opt), "same kinds replace and merge")
	require.FileExists(t, filepath.Join(j.dir, "d", "keep"))
	require.NoError(t, applyAt(t, j.dir, makeTar(t, reg("d", "x")), copyOpts), "replaced without the option")
	require.True(t, lstat(t, filepath.Join(j.dir, "d")).Mode&unix.S_IFMT == unix.S_IFREG)
	j.check(t)
}

func TestApplyOwner(t *testing.T) {
	requireRoot(t)
	j := newJail(t)
	opt := copyOpts
	opt.Owner = func(uid, gid int) (int, int, error) {
		if uid == 99 {
			return 0, 0, errors.New("unmapped")
		}
		return uid + 100000, gid + 100000, nil
	}
	err := applyAt(t, j.dir, makeTar(t,
		reg("a/b/f", "x").with(func(h *tar.Header) { h.Uid, h.Gid = 7, 8 }),
		sym("a/l", "f").with(func(h *tar.Header) { h.Uid, h.Gid = 9, 9 }),
	), opt)
	require.NoError(t, err)
	for p, want := range map[string][2]uint32{"a": {100000, 100000}, "a/b": {100000, 100000}, "a/b/f": {100007, 100008}, "a/l": {100009, 100009}} {
		st := lstat(t, filepath.Join(j.dir, p))
		require.Equal(t, want, [2]uint32{st.Uid, st.Gid}, "owner of %s", p)
	}
	err = applyAt(t, j.dir, makeTar(t, reg("g", "x").with(func(h *tar.Header) { h.Uid = 99 })), opt)
	require.ErrorContains(t, err, "unmapped")
	j.check(t)
}

// TestChmodNodeRefusesSymlink: a fifo replaced by a symlink (to a file
// outside) before its mode is set is refused, and the file is unchanged.
func TestChmodNodeRefusesSymlink(t *testing.T) {
	requireRoot(t)
	j := newJail(t)
	require.NoError(t, os.Chmod(j.sentinel, 0o600))
	require.NoError(t, os.Symlink(j.sentinel, filepath.Join(j.dir, "p")))
	fd, err := unix.Open(j.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	err = chmodNode(fd, "p", 0o666)
	require.ErrorIs(t, err, ErrUnsafe)
	require.Equal(t, uint32(0o600), lstat(t, j.sentinel).Mode&0o7777, "the symlink's target was changed")
	require.NoError(t, unix.Mkfifo(filepath.Join(j.dir, "q"), 0o600))
	require.NoError(t, chmodNode(fd, "q", 0o640))
	require.Equal(t, uint32(0o640), lstat(t, filepath.Join(j.dir, "q")).Mode&0o7777)
}

func TestWriteTreeNames(t *testing.T) {
	requireRoot(t)
	src := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(src, "d", "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "d", "f"), []byte("f"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "d", "sub", "g"), []byte("g"), 0o644))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(src, "d", "l")))
	fd, err := unix.Open(src, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	dfd, err := unix.Openat(fd, "d", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(dfd)
	list := func(dirfd int, base, name string, opt WriteOptions) []string {
		var buf bytes.Buffer
		require.NoError(t, WriteTree(context.Background(), &buf, dirfd, base, name, opt))
		var out []string
		tr := tar.NewReader(&buf)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				return out
			}
			require.NoError(t, err)
			out = append(out, hdr.Name)
		}
	}
	for _, tc := range []struct {
		dirfd      int
		base, name string
		want       []string
	}{
		{fd, "d", "d", []string{"d/", "d/f", "d/l", "d/sub/", "d/sub/g"}},
		{fd, "d", "renamed", []string{"renamed/", "renamed/f", "renamed/l", "renamed/sub/", "renamed/sub/g"}},
		{dfd, "", ".", []string{"./", "./f", "./l", "./sub/", "./sub/g"}},
		{dfd, "", "", []string{"f", "l", "sub/", "sub/g"}},
		{dfd, "f", "f", []string{"f"}},
		{dfd, "l", "l", []string{"l"}},
	} {
		require.Equal(t, tc.want, list(tc.dirfd, tc.base, tc.name, WriteOptions{}), "WriteTree(%q, %q)", tc.base, tc.name)
	}
	var uids []int
	hook := WriteOptions{Header: func(h *tar.Header) error { h.Uid = 42; uids = append(uids, h.Uid); return nil }}
	var buf bytes.Buffer
	require.NoError(t, WriteTree(context.Background(), &buf, dfd, "f", "f", hook))
	hdr, err := tar.NewReader(&buf).Next()
	require.NoError(t, err)
	require.Equal(t, 42, hdr.Uid, "the Header hook changes the header")
	err = WriteTree(context.Background(), io.Discard, fd, "d", "d", WriteOptions{Header: func(*tar.Header) error { return errors.New("stop") }})
	require.ErrorContains(t, err, "stop")
}
