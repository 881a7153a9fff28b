package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// treeEntries is a rich tree for round trips (no devices, no whiteouts).
func treeEntries() []tent {
	owned := func(uid, gid int, mode int64) func(*tar.Header) {
		return func(h *tar.Header) { h.Uid, h.Gid, h.Mode = uid, gid, mode }
	}
	return []tent{
		dir("bin/"),
		reg("bin/su", "#!su").with(owned(0, 0, 0o4755)),
		hlink("bin/su-link", "bin/su"),
		hlink("usr.su", "bin/su"),
		dir("etc/").with(owned(0, 0, 0o750)),
		reg("etc/hosts", strings.Repeat("127.0.0.1 localhost\n", 100)).with(owned(1000, 1001, 0o640)),
		reg("etc/xa", "x").with(func(h *tar.Header) { h.PAXRecords = map[string]string{"SCHILY.xattr.user.foo": "bar\x00baz"} }),
		sym("etc/localtime", "/usr/share/zoneinfo/UTC").with(owned(5, 6, 0o777)),
		sym("etc/rel", "../bin"),
		dir("tmp/").with(owned(0, 0, 0o1777)),
		dir("empty/"),
		{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o620, Uid: 7, Gid: 8, ModTime: testTime}},
		reg("big", strings.Repeat("0123456789abcdef", 200_000)),
		reg(strings.Repeat("long/", 40)+"name", "deep"),
		reg("a.txt", "sorted before a/"),
		reg("a/b", "in a"),
	}
}

// describe lists the tree under root: path, type, mode, owner, mtime
// seconds, content digest, link target, user xattrs, and hardlink group.
func describe(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	inodes := map[uint64]string{}
	require.NoError(t, filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		st := lstat(t, p)
		s := fmt.Sprintf("%s %#o %#o %d:%d %d", rel, st.Mode&unix.S_IFMT, st.Mode&0o7777, st.Uid, st.Gid, st.Mtim.Sec)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			s += fmt.Sprintf(" %x", sha256.Sum256(b))
			if st.Nlink > 1 {
				if first, ok := inodes[st.Ino]; ok {
					s += " =" + first
				} else {
					inodes[st.Ino] = rel
				}
			}
		case unix.S_IFLNK:
			l, err := os.Readlink(p)
			require.NoError(t, err)
			s += " -> " + l
		}
		if buf := make([]byte, 64); st.Mode&unix.S_IFMT != unix.S_IFLNK {
			if n, err := unix.Lgetxattr(p, "user.foo", buf); err == nil {
				s += fmt.Sprintf(" user.foo=%q", buf[:n])
			}
		}
		out = append(out, s)
		return nil
	}))
	return out
}

func writeDir(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteDir(context.Background(), &buf, dir), "WriteDir(%s)", dir)
	return buf.Bytes()
}

func TestWriteDirRoundTrip(t *testing.T) {
	requireRoot(t)
	src := t.TempDir()
	_, err := apply(t, src, makeTar(t, treeEntries()...), Options{})
	require.NoError(t, err, "Apply(tree)")
	// Skipped by WriteDir: a socket, and trusted.* xattrs.
	l, err := net.Listen("unix", filepath.Join(src, "sock"))
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, unix.Lsetxattr(filepath.Join(src, "etc/xa"), "trusted.foo", []byte("x"), 0))

	b1, b2 := writeDir(t, src), writeDir(t, src)
	require.True(t, bytes.Equal(b1, b2), "WriteDir(%s) twice: outputs differ (%d and %d bytes)", src, len(b1), len(b2))

	// The stream itself.
	var names []string
	tr := tar.NewReader(bytes.NewReader(b1))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, hdr.Name)
		require.Empty(t, hdr.Uname+hdr.Gname, "WriteDir: %s uname/gname = %q/%q, want empty", hdr.Name, hdr.Uname, hdr.Gname)
		require.True(t, hdr.AccessTime.IsZero() && hdr.ChangeTime.IsZero(), "WriteDir: %s has atime/ctime", hdr.Name)
		for k := range hdr.PAXRecords {
			require.False(t, strings.HasPrefix(k, "SCHILY.xattr.trusted."), "WriteDir: %s has %s, want trusted.* dropped", hdr.Name, k)
		}
		switch hdr.Name {
		case "bin/su":
			require.Equal(t, byte(tar.TypeReg), hdr.Typeflag, "WriteDir: bin/su type = %q, want regular", hdr.Typeflag)
		case "bin/su-link", "usr.su":
			require.Equal(t, byte(tar.TypeLink), hdr.Typeflag, "WriteDir: %s type = %q, want hardlink", hdr.Name, hdr.Typeflag)
			require.Equal(t, "bin/su", hdr.Linkname, "WriteDir: %s linkname = %q, want bin/su", hdr.Name, hdr.Linkname)
		case "etc/xa":
			require.Equal(t, "bar\x00baz", hdr.PAXRecords["SCHILY.xattr.user.foo"], "WriteDir: etc/xa user.foo")
		}
	}
	require.NotContains(t, names, "sock", "WriteDir wrote a socket")
	require.Equal(t, []string{"a/", "a/b", "a.txt", "big", "bin/", "bin/su", "bin/su-link"}, names[:7],
		"WriteDir order = %v, want depth first, each directory sorted", names)

	dst := t.TempDir()
	_, err = apply(t, dst, b1, Options{})
	require.NoError(t, err, "Apply(WriteDir(tree))")
	require.NoError(t, l.Close())
	want, got := describe(t, src), describe(t, dst)
	require.Equal(t, want, got, "Apply(WriteDir(tree)) tree = %v, want %v", got, want)
	require.Contains(t, strings.Join(got, "\n"), "usr.su 0100000 04755 0:0", "round trip lost the setuid hardlink")
}

func TestWriteDirContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o644))
	err := WriteDir(ctx, io.Discard, dir)
	require.ErrorIs(t, err, context.Canceled, "WriteDir(cancelled) = %v, want context.Canceled", err)
}

func TestApplyContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	j := newJail(t)
	_, err := Apply(ctx, j.dir, bytes.NewReader(makeTar(t, reg("f", "x"))), Options{IgnoreOwner: true})
	require.ErrorIs(t, err, context.Canceled, "Apply(cancelled) = %v, want context.Canceled", err)
	require.Empty(t, listTree(t, j.dir), "Apply(cancelled) wrote files")
}
