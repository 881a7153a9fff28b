package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func apply(t testing.TB, dir string, b []byte, opt Options) (Stats, error) {
	t.Helper()
	return Apply(context.Background(), dir, bytes.NewReader(b), opt)
}

func TestApplyNormal(t *testing.T) {
	requireRoot(t)
	owned := func(uid, gid int, mode int64) func(*tar.Header) {
		return func(h *tar.Header) { h.Uid, h.Gid, h.Mode = uid, gid, mode }
	}
	xattrs := func(h *tar.Header) {
		h.PAXRecords = map[string]string{
			"SCHILY.xattr.user.foo":               "bar",
			"SCHILY.xattr.trusted.overlay.opaque": "y",
			"SCHILY.xattr.trusted.foo":            "x",
			"SCHILY.xattr.security.capability":    "\x01\x00\x00\x02\x00\x20\x00\x00",
			"SCHILY.xattr.user.overlay.x":         "1",
		}
	}
	ents := []tent{
		dir("etc/").with(owned(0, 0, 0o755)),
		reg("etc/hosts", "127.0.0.1 localhost\n").with(owned(1000, 1001, 0o640)),
		sym("etc/localtime", "/usr/share/zoneinfo/UTC").with(owned(5, 6, 0o777)),
		reg("etc/xa", "x").with(xattrs),
		reg("bin/su", "#!su").with(owned(0, 0, 0o4755)), // parent "bin" implicit
		hlink("bin/su2", "bin/su"),
		dir("tmp/").with(owned(0, 0, 0o1777)),
		reg("usr/bin/sgid", "g").with(owned(0, 42, 0o2755)),
		{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o620, Uid: 7, Gid: 8, ModTime: testTime}},
		dir("ro/").with(owned(0, 0, 0o555)),
		reg("ro/f", "in a read-only dir"),
		reg("empty", ""),
		reg("dup", "one"),
		reg("dup", "two"),
		dir("dupdir/"),
		reg("dupdir/f", "gone"),
		sym("dupdir", "etc"),
		dir("keepdir/"),
		reg("keepdir/f", "kept"),
		dir("keepdir/").with(owned(3, 4, 0o750)),
		dir("./").with(owned(0, 0, 0o711)),
	}
	j := newJail(t)
	st, err := apply(t, j.dir, makeTar(t, ents...), Options{})
	require.NoError(t, err, "Apply(normal)")
	j.check(t)
	require.Equal(t, Stats{Files: int64(len(ents)), Bytes: int64(len("127.0.0.1 localhost\n") + 1 + 4 + 1 + 18 + 3 + 3 + 4 + 4)}, st,
		"Apply(normal) stats = %+v", st)

	tests := []struct {
		path     string
		typ      uint32
		mode     uint32
		uid, gid uint32
		body     string // regular files
		link     string // symlinks
	}{
		{path: ".", typ: unix.S_IFDIR, mode: 0o711},
		{path: "etc", typ: unix.S_IFDIR, mode: 0o755},
		{path: "etc/hosts", typ: unix.S_IFREG, mode: 0o640, uid: 1000, gid: 1001, body: "127.0.0.1 localhost\n"},
		{path: "etc/localtime", typ: unix.S_IFLNK, mode: 0o777, uid: 5, gid: 6, link: "/usr/share/zoneinfo/UTC"},
		{path: "bin/su", typ: unix.S_IFREG, mode: 0o4755, body: "#!su"},
		{path: "bin/su2", typ: unix.S_IFREG, mode: 0o4755, body: "#!su"},
		{path: "tmp", typ: unix.S_IFDIR, mode: 0o1777},
		{path: "usr/bin/sgid", typ: unix.S_IFREG, mode: 0o2755, gid: 42, body: "g"},
		{path: "run/fifo", typ: unix.S_IFIFO, mode: 0o620, uid: 7, gid: 8},
		{path: "ro", typ: unix.S_IFDIR, mode: 0o555},
		{path: "ro/f", typ: unix.S_IFREG, mode: 0o644, body: "in a read-only dir"},
		{path: "empty", typ: unix.S_IFREG, mode: 0o644, body: ""},
		{path: "dup", typ: unix.S_IFREG, mode: 0o644, body: "two"},
		{path: "dupdir", typ: unix.S_IFLNK, mode: 0o777, link: "etc"},
		{path: "keepdir", typ: unix.S_IFDIR, mode: 0o750, uid: 3, gid: 4},
		{path: "keepdir/f", typ: unix.S_IFREG, mode: 0o644, body: "kept"},
	}
	for _, tt := range tests {
		p := filepath.Join(j.dir, tt.path)
		st := lstat(t, p)
		require.Equal(t, tt.typ, st.Mode&unix.S_IFMT, "Apply: %s type = %#o, want %#o", tt.path, st.Mode&unix.S_IFMT, tt.typ)
		if tt.typ != unix.S_IFLNK {
			require.Equal(t, tt.mode, st.Mode&0o7777, "Apply: %s mode = %#o, want %#o", tt.path, st.Mode&0o7777, tt.mode)
		}
		require.Equal(t, [2]uint32{tt.uid, tt.gid}, [2]uint32{st.Uid, st.Gid}, "Apply: %s owner = %d:%d, want %d:%d", tt.path, st.Uid, st.Gid, tt.uid, tt.gid)
		if tt.path != "." && tt.path != "bin" {
			require.Equal(t, testTime.Unix(), st.Mtim.Sec, "Apply: %s mtime sec = %d, want %d", tt.path, st.Mtim.Sec, testTime.Unix())
			require.EqualValues(t, testTime.Nanosecond(), st.Mtim.Nsec, "Apply: %s mtime nsec = %d, want %d", tt.path, st.Mtim.Nsec, testTime.Nanosecond())
		}
		switch tt.typ {
		case unix.S_IFREG:
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			require.Equal(t, tt.body, string(got), "Apply: %s content = %q, want %q", tt.path, got, tt.body)
		case unix.S_IFLNK:
			got, err := os.Readlink(p)
			require.NoError(t, err)
			require.Equal(t, tt.link, got, "Apply: %s target = %q, want %q", tt.path, got, tt.link)
		}
	}
	su, su2 := lstat(t, filepath.Join(j.dir, "bin/su")), lstat(t, filepath.Join(j.dir, "bin/su2"))
	require.Equal(t, su.Ino, su2.Ino, "Apply: bin/su2 inode = %d, want bin/su's %d", su2.Ino, su.Ino)

	xa := filepath.Join(j.dir, "etc/xa")
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr(xa, "user.foo", buf)
	require.NoError(t, err, "Apply: xattr user.foo missing")
	require.Equal(t, "bar", string(buf[:n]), "Apply: xattr user.foo = %q, want %q", buf[:n], "bar")
	for _, name := range []string{"trusted.overlay.opaque", "trusted.foo", "security.capability", "user.overlay.x"} {
		_, err := unix.Lgetxattr(xa, name, buf)
		require.ErrorIs(t, err, unix.ENODATA, "Apply: xattr %s = %v, want dropped (ENODATA)", name, err)
	}
}

func TestApplyIgnoreOwner(t *testing.T) {
	requireRoot(t)
	j := newJail(t)
	_, err := apply(t, j.dir, makeTar(t, reg("f", "x").with(func(h *tar.Header) { h.Uid, h.Gid = 1000, 1000 })), Options{IgnoreOwner: true})
	require.NoError(t, err)
	st := lstat(t, filepath.Join(j.dir, "f"))
	require.Equal(t, uint32(os.Geteuid()), st.Uid, "Apply(IgnoreOwner) uid = %d, want %d", st.Uid, os.Geteuid())
}

func TestApplyWhiteouts(t *testing.T) {
	requireRoot(t)
	j := newJail(t)
	_, err := apply(t, j.dir, makeTar(t,
		reg(".wh.foo", ""),
		dir("d/"),
		reg("d/.wh..wh..opq", ""),
		reg("d/x", "x"),
		reg("e/.wh.bar", ""), // parent e implicit
		reg("same", "kept"),
		reg(".wh.same", ""), // does not hide its own layer
		reg(".wh..wh..opq", ""),
		reg(".wh..wh.aufs", ""),
	), Options{})
	require.NoError(t, err, "Apply(whiteouts)")
	j.check(t)
	for _, p := range []string{"foo", "e/bar"} {
		st := lstat(t, filepath.Join(j.dir, p))
		require.Equal(t, uint32(unix.S_IFCHR), st.Mode&unix.S_IFMT, "Apply: %s type = %#o, want char device", p, st.Mode&unix.S_IFMT)
		require.Zero(t, st.Rdev, "Apply: %s rdev = %d, want 0/0", p, st.Rdev)
	}
	buf := make([]byte, 8)
	for _, p := range []string{"d", "."} {
		n, err := unix.Lgetxattr(filepath.Join(j.dir, p), "trusted.overlay.opaque", buf)
		require.NoError(t, err, "Apply: %s has no trusted.overlay.opaque", p)
		require.Equal(t, "y", string(buf[:n]), "Apply: %s trusted.overlay.opaque = %q, want y", p, buf[:n])
	}
	got, err := os.ReadFile(filepath.Join(j.dir, "same"))
	require.NoError(t, err)
	require.Equal(t, "kept", string(got), "Apply: same = %q, want %q", got, "kept")
	names := listTree(t, j.dir)
	for _, n := range names {
		require.NotContains(t, n, ".wh.", "Apply left whiteout file %s", n)
	}
}

func TestApplyPlainWhiteouts(t *testing.T) {
	requireRoot(t)
	j := newJail(t)
	_, err := apply(t, j.dir, makeTar(t, reg("foo", "lower"), dir("d/"), reg("d/old", "lower"), dir("d/sub/"), reg("d/sub/x", "x"), reg("keep", "lower")), Options{})
	require.NoError(t, err)
	_, err = apply(t, j.dir, makeTar(t,
		reg("d/new", "upper"), reg(".wh.foo", ""), reg("d/.wh..wh..opq", ""), reg(".wh.absent", ""),
	), Options{PlainWhiteouts: true})
	require.NoError(t, err, "Apply(PlainWhiteouts)")
	j.check(t)
	got := listTree(t, j.dir)
	require.Equal(t, []string{"d", "d/new", "keep"}, got, "Apply(PlainWhiteouts) tree = %v", got)
}

func listTree(t testing.TB, root string) []string {
	t.Helper()
	var names []string
	require.NoError(t, filepath.WalkDir(root, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel, _ := filepath.Rel(root, p); rel != "." {
			names = append(names, rel)
		}
		return nil
	}))
	return names
}

// rawTar returns a one-entry ustar archive whose name field is raw, bypassing
// the checks of archive/tar's writer.
func rawTar(t testing.TB, name string, body string) []byte {
	t.Helper()
	b := makeTar(t, tent{hdr: tar.Header{Typeflag: tar.TypeReg, Name: strings.Repeat("a", len(name)), Mode: 0o644, Size: int64(len(body)), Format: tar.FormatUSTAR, ModTime: testTime.Truncate(time.Second)}, body: body})
	copy(b[:100], name)
	copy(b[148:156], "        ")
	var sum int64
	for _, c := range b[:512] {
		sum += int64(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func TestApplyHostile(t *testing.T) {
	requireRoot(t)
	passwd, err := os.ReadFile("/etc/passwd")
	require.NoError(t, err)
	var shadow unix.Stat_t
	require.NoError(t, unix.Lstat("/etc/shadow", &shadow))

	type check func(t *testing.T, j *jail)
	exists := func(p string, typ uint32) check {
		return func(t *testing.T, j *jail) {
			st := lstat(t, j.in(p))
			require.Equal(t, typ, st.Mode&unix.S_IFMT, "Apply: %s type = %#o, want %#o", p, st.Mode&unix.S_IFMT, typ)
		}
	}
	absent := func(p string) check {
		return func(t *testing.T, j *jail) {
			_, err := os.Lstat(j.in(p))
			require.ErrorIs(t, err, os.ErrNotExist, "Apply: %s exists, want absent", p)
		}
	}
	tests := []struct {
		desc    string
		tar     func(t *testing.T, j *jail) []byte
		opt     Options
		wantErr error
		check   check
	}{
		{desc: "../../x", wantErr: ErrUnsafe,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg("../../x", "x")) }},
		{desc: "/abs/x lands inside", check: exists("abs/x", unix.S_IFREG),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg("/abs/x", "x")) }},
		{desc: "a/../../x", wantErr: ErrUnsafe,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg("a/../../x", "x")) }},
		{desc: "NUL in raw name ends it", check: exists("a", unix.S_IFREG),
			tar: func(t *testing.T, j *jail) []byte { return rawTar(t, "a\x00/../../../../x", "x") }},
		{desc: "5 KiB name", wantErr: ErrUnsafe,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg(strings.Repeat("a/", 2560)+"x", "x")) }},
		{desc: "d -> / then d/etc/passwd", check: func(t *testing.T, j *jail) {
			got, err := os.ReadFile(filepath.Join(j.dir, "etc/passwd"))
			require.NoError(t, err)
			require.Equal(t, "pwned", string(got), "Apply: dir/etc/passwd = %q, want pwned", got)
		}, tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("d", "/"), reg("d/etc/passwd", "pwned")) }},
		{desc: "d -> ../.. then d/x", check: exists("x", unix.S_IFREG),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("d", "../.."), reg("d/x", "x")) }},
		{desc: "d -> host dir then d/sentinel", check: exists("{outer}/sentinel", unix.S_IFREG),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("d", j.outer), reg("d/sentinel", "pwned")) }},
		{desc: "d -> ../../.. then d/o1/o2/sentinel", check: exists("o1/o2/sentinel", unix.S_IFREG),
			tar: func(t *testing.T, j *jail) []byte {
				return makeTar(t, sym("d", "../../.."), reg("d/o1/o2/sentinel", "pwned"))
			}},
		{desc: "dir then symlink in its place", check: exists("{outer}/g", unix.S_IFREG),
			tar: func(t *testing.T, j *jail) []byte {
				return makeTar(t, dir("d/"), reg("d/f", "f"), sym("d", j.outer), reg("d/g", "g"))
			}},
		{desc: "hardlink ../../etc/shadow", wantErr: ErrUnsafe, check: absent("x"),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, hlink("x", "../../etc/shadow")) }},
		{desc: "hardlink /etc/shadow", wantErr: ErrUnsafe, check: absent("x"),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, hlink("x", "/etc/shadow")) }},
		{desc: "hardlink through l -> /etc", wantErr: ErrUnsafe, check: absent("x"),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("l", "/etc"), hlink("x", "l/shadow")) }},
		{desc: "hardlink through l -> host dir", wantErr: ErrUnsafe, check: absent("x"),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("l", j.outer), hlink("x", "l/sentinel")) }},
		{desc: "hardlink through symlink to own file", check: exists("x", unix.S_IFREG),
			tar: func(t *testing.T, j *jail) []byte {
				return makeTar(t, sym("l", "/etc"), reg("l/shadow", "mine"), hlink("x", "l/shadow"))
			}},
		{desc: "hardlink to a symlink", check: exists("x", unix.S_IFLNK),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("s", "/etc/shadow"), hlink("x", "s")) }},
		{desc: "whiteout .wh.", wantErr: ErrUnsafe,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg(".wh.", "")) }},
		{desc: "whiteout .wh..", wantErr: ErrUnsafe,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg(".wh..", "")) }},
		{desc: "whiteout .wh...", wantErr: ErrUnsafe,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg("d/.wh...", "")) }},
		{desc: "whiteout ../.wh.x", wantErr: ErrUnsafe,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg("../.wh.x", "")) }},
		{desc: "opaque under l -> host dir", check: func(t *testing.T, j *jail) {
			_, err := unix.Lgetxattr(j.in("{outer}"), "trusted.overlay.opaque", make([]byte, 8))
			require.NoError(t, err, "Apply: opaque xattr not on the confined directory")
		}, tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("l", j.outer), reg("l/.wh..wh..opq", "")) }},
		{desc: "whiteout under l -> host dir", check: exists("{outer}/sentinel", unix.S_IFCHR),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("l", j.outer), reg("l/.wh.sentinel", "")) }},
		{desc: "plain whiteout under l -> host dir", opt: Options{PlainWhiteouts: true}, check: exists("l", unix.S_IFLNK),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("l", j.outer), reg("l/.wh.sentinel", "")) }},
		{desc: "plain opaque under l -> host dir", opt: Options{PlainWhiteouts: true}, check: exists("l", unix.S_IFLNK),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, sym("l", j.outer), reg("l/.wh..wh..opq", "")) }},
		{desc: "block device 8:0", wantErr: ErrUnsafe, check: absent("sda"),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, devEnt("sda", tar.TypeBlock, 8, 0)) }},
		{desc: "char device 1:3", wantErr: ErrUnsafe, check: absent("null"),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, devEnt("null", tar.TypeChar, 1, 3)) }},
		{desc: "char device 0:0", wantErr: ErrUnsafe, check: absent("wh"),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, devEnt("wh", tar.TypeChar, 0, 0)) }},
		{desc: "char device allowed", opt: Options{AllowDevices: true}, check: exists("null", unix.S_IFCHR),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, devEnt("null", tar.TypeChar, 1, 3)) }},
		{desc: "root as a file", wantErr: ErrUnsafe,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg(".", "")) }},
		{desc: "unsupported type", wantErr: ErrUnsafe,
			tar: func(t *testing.T, j *jail) []byte {
				return makeTar(t, tent{hdr: tar.Header{Typeflag: 'V', Name: "vol"}})
			}},
		{desc: "header claims 1 TiB", wantErr: ErrLimit, check: absent("big"),
			tar: func(t *testing.T, j *jail) []byte {
				var buf bytes.Buffer
				tw := tar.NewWriter(&buf)
				require.NoError(t, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "big", Size: 1 << 40, Mode: 0o644}))
				_, err := tw.Write(make([]byte, 4096))
				require.NoError(t, err)
				return buf.Bytes()
			}},
		{desc: "MaxBytes across files", opt: Options{MaxBytes: 10}, wantErr: ErrLimit, check: absent("b"),
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg("a", "123456"), reg("b", "123456")) }},
		{desc: "MaxFiles exceeded", opt: Options{MaxFiles: 3}, wantErr: ErrLimit, check: absent("4"),
			tar: func(t *testing.T, j *jail) []byte {
				return makeTar(t, reg("1", ""), reg("2", ""), reg("3", ""), reg("4", ""), reg("5", ""))
			}},
		{desc: "truncated content", wantErr: io.ErrUnexpectedEOF,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg("f", strings.Repeat("x", 1000)))[:512+500] }},
		{desc: "truncated header", wantErr: io.ErrUnexpectedEOF,
			tar: func(t *testing.T, j *jail) []byte { return makeTar(t, reg("f", "x"), reg("g", "y"))[:1024+100] }},
		{desc: "truncated at an entry boundary", wantErr: io.ErrUnexpectedEOF,
			tar: func(t *testing.T, j *jail) []byte { b := makeTar(t, reg("f", "x")); return b[:len(b)-1024] }},
		{desc: "empty stream", wantErr: io.ErrUnexpectedEOF,
			tar: func(t *testing.T, j *jail) []byte { return nil }},
		{desc: "padding after the end", check: exists("f", unix.S_IFREG),
			tar: func(t *testing.T, j *jail) []byte { return append(makeTar(t, reg("f", "x")), make([]byte, 9<<10)...) }},
		{desc: "over 1 MiB after the end", wantErr: ErrLimit,
			tar: func(t *testing.T, j *jail) []byte { return append(makeTar(t, reg("f", "x")), make([]byte, 2<<20)...) }},
		{desc: "garbage", wantErr: tar.ErrHeader,
			tar: func(t *testing.T, j *jail) []byte { return bytes.Repeat([]byte("garbage!"), 128) }},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			j := newJail(t)
			_, err := apply(t, j.dir, tt.tar(t, j), tt.opt)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr, "Apply(%s) = %v, want %v", tt.desc, err, tt.wantErr)
			} else {
				require.NoError(t, err, "Apply(%s)", tt.desc)
			}
			j.check(t)
			if tt.check != nil {
				tt.check(t, j)
			}
			got, err := os.ReadFile("/etc/passwd")
			require.NoError(t, err)
			require.Equal(t, passwd, got, "Apply(%s) changed /etc/passwd", tt.desc)
			var st unix.Stat_t
			require.NoError(t, unix.Lstat("/etc/shadow", &st))
			require.Equal(t, shadow.Nlink, st.Nlink, "Apply(%s): /etc/shadow nlink = %d, want %d", tt.desc, st.Nlink, shadow.Nlink)
		})
	}
}
