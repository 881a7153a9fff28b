//go:build linux

package dock

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// tarEntry is one entry of a tar stream read back by readTar.
type tarEntry struct {
	hdr  tar.Header
	body string
}

// readTar reads a whole tar stream and closes it.
func readTar(t *testing.T, r io.ReadCloser) []tarEntry {
	t.Helper()
	defer r.Close()
	var out []tarEntry
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		body, err := io.ReadAll(tr)
		require.NoError(t, err)
		out = append(out, tarEntry{hdr: *hdr, body: string(body)})
	}
}

func entryNames(ents []tarEntry) []string {
	var out []string
	for _, e := range ents {
		out = append(out, e.hdr.Name)
	}
	return out
}

func find(ents []tarEntry, name string) *tarEntry {
	for i := range ents {
		if ents[i].hdr.Name == name {
			return &ents[i]
		}
	}
	return nil
}

// runningContainer starts a busybox container that runs script and then
// sleeps, and waits until the script has created /ready.
func runningContainer(t *testing.T, e *Engine, cfg Config, script string) *Container {
	t.Helper()
	ctx := context.Background()
	cfg.Image = "busybox"
	cfg.Cmd = []string{"sh", "-c", script + "; touch /ready; exec sleep 1000"}
	c, err := e.Create(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	t.Cleanup(func() { c.Remove(context.Background(), RemoveForce()) })
	var err2 error
	waitFor(t, "the container's script", func() bool {
		_, err2 = c.StatPath(ctx, "/ready")
		if err2 != nil && !errors.Is(err2, ErrNotFound) {
			t.Fatalf("StatPath: %v", err2)
		}
		return err2 == nil
	})
	return c
}

// exitedContainer runs script to its end in a busybox container, which
// is kept.
func exitedContainer(t *testing.T, e *Engine, cfg Config, script string) *Container {
	t.Helper()
	ctx := context.Background()
	cfg.Image = "busybox"
	cfg.Cmd = []string{"sh", "-c", script}
	c, err := e.Create(ctx, cfg)
	require.NoError(t, err)
	var errb bytes.Buffer
	c.Stderr = &errb
	require.NoError(t, c.Start(ctx))
	st, err := c.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, st.Code, "script %q: %s", script, errb.String())
	return c
}

func TestSplitCpPath(t *testing.T) {
	for _, tc := range []struct {
		in, abs, dir, base, name, statName string
	}{
		{"/etc/passwd", "/etc/passwd", "/etc/", "passwd", "passwd", "passwd"},
		{"etc/passwd", "/etc/passwd", "/etc/", "passwd", "passwd", "passwd"},
		{"/etc/", "/etc/", "/etc/", "", "etc", "etc"},
		{"/etc/.", "/etc/.", "/etc/", ".", ".", "."},
		{"/etc/../tmp//x", "/tmp/x", "/tmp/", "x", "x", "x"},
		{"/", "/", "/", "", ".", "/"},
		{"/.", "/", "/", "", ".", "/"},
		{".", "/", "/", "", ".", "/"},
		{"", "/", "/", "", ".", "/"},
		{"../../x", "/x", "/", "x", "x", "x"},
	} {
		cp := splitCpPath(tc.in)
		got := []string{cp.abs, cp.dir, cp.base, cp.name, cp.statName()}
		want := []string{tc.abs, tc.dir, tc.base, tc.name, tc.statName}
		assert.Equal(t, want, got, "splitCpPath(%q)", tc.in)
	}
}

func TestFileMode(t *testing.T) {
	for _, tc := range []struct {
		in   uint32
		want fs.FileMode
	}{
		{0o100644, 0o644},
		{0o040755, fs.ModeDir | 0o755},
		{0o041777, fs.ModeDir | fs.ModeSticky | 0o777},
		{0o120777, fs.ModeSymlink | 0o777},
		{0o104755, fs.ModeSetuid | 0o755},
		{0o102755, fs.ModeSetgid | 0o755},
		{0o020666, fs.ModeDevice | fs.ModeCharDevice | 0o666},
		{0o060660, fs.ModeDevice | 0o660},
		{0o010644, fs.ModeNamedPipe | 0o644},
		{0o140755, fs.ModeSocket | 0o755},
	} {
		assert.Equal(t, tc.want, fileMode(tc.in), "fileMode(%#o)", tc.in)
	}
}

// TestArchivePathStopped copies out of a container that was created and
// never started, and out of one that ran and exited: the image's files,
// the container's changes, Docker's names.
func TestArchivePathStopped(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	created, err := e.Create(ctx, Config{Image: "busybox", Name: "fresh"})
	require.NoError(t, err)
	exited := exitedContainer(t, e, Config{}, `mkdir -p /d/sub && echo one > /d/one && echo two > /d/sub/two && ln -s /d/one /d/link && chmod 640 /d/one`)

	st, rc, err := created.ArchivePath(ctx, "/etc/passwd")
	require.NoError(t, err)
	assert.Equal(t, "passwd", st.Name)
	assert.Equal(t, fs.FileMode(0o644), st.Mode)
	ents := readTar(t, rc)
	require.Equal(t, []string{"passwd"}, entryNames(ents))
	assert.Contains(t, ents[0].body, "root:x:0:0")
	assert.Equal(t, st.Size, int64(len(ents[0].body)))

	_, rc, err = exited.ArchivePath(ctx, "d")
	require.NoError(t, err)
	ents = readTar(t, rc)
	assert.Equal(t, []string{"d/", "d/link", "d/one", "d/sub/", "d/sub/two"}, entryNames(ents))
	assert.Equal(t, "one\n", find(ents, "d/one").body)
	assert.Equal(t, int64(0o640), find(ents, "d/one").hdr.Mode)
	assert.Equal(t, "/d/one", find(ents, "d/link").hdr.Linkname)

	// "/." copies the contents; a trailing "/" names the directory.
	_, rc, err = exited.ArchivePath(ctx, "/d/.")
	require.NoError(t, err)
	assert.Equal(t, []string{"./", "./link", "./one", "./sub/", "./sub/two"}, entryNames(readTar(t, rc)))
	st, rc, err = exited.ArchivePath(ctx, "/d/sub/")
	require.NoError(t, err)
	assert.Equal(t, "sub", st.Name)
	assert.True(t, st.Mode.IsDir())
	assert.Equal(t, []string{"sub/", "sub/two"}, entryNames(readTar(t, rc)))

	// The last element is not followed; StatPath tells where it leads.
	st, rc, err = exited.ArchivePath(ctx, "/d/link")
	require.NoError(t, err)
	assert.Equal(t, []string{"link"}, entryNames(readTar(t, rc)))
	assert.Equal(t, fs.ModeSymlink, st.Mode.Type())
	assert.Equal(t, "/d/one", st.LinkTarget)
}

// TestStatPathErrors checks Docker's errors: a missing path, a trailing
// slash on a file, a file on the way.
func TestStatPathErrors(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Name: "web"})
	require.NoError(t, err)

	_, err = c.StatPath(ctx, "/nope")
	var nf *PathNotFoundError
	require.ErrorAs(t, err, &nf)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.EqualError(t, err, "Could not find the file /nope in container web")
	_, _, err = c.ArchivePath(ctx, "/nope/x")
	assert.EqualError(t, err, "Could not find the file /nope/x in container web")

	for _, p := range []string{"/etc/passwd/", "/etc/passwd/.", "/etc/passwd/x"} {
		_, err = c.StatPath(ctx, p)
		assert.ErrorIs(t, err, ErrInvalid, "StatPath(%q)", p)
	}
	st, err := c.StatPath(ctx, "/")
	require.NoError(t, err)
	assert.Equal(t, "/", st.Name)
	assert.True(t, st.Mode.IsDir())
}

// TestArchivePathRunning copies from a running container what its
// process wrote, and what is in its volume and bind mount, and not what
// is on its tmpfs or kernel filesystems.
func TestArchivePathRunning(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	bind := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bind, "fromhost"), []byte("host\n"), 0o644))
	c := runningContainer(t, e, Config{Mounts: []Mount{
		{Type: "volume", Source: "vol", Target: "/data"},
		{Type: "bind", Source: bind, Target: "/srv/bind", ReadOnly: true},
		{Type: "tmpfs", Target: "/scratch"},
	}}, `echo live > /live && echo invol > /data/f && echo intmpfs > /scratch/f`)

	_, rc, err := c.ArchivePath(ctx, "/live")
	require.NoError(t, err)
	assert.Equal(t, "live\n", readTar(t, rc)[0].body)
	_, rc, err = c.ArchivePath(ctx, "/data")
	require.NoError(t, err)
	ents := readTar(t, rc)
	require.NotNil(t, find(ents, "data/f"), "entries %q", entryNames(ents))
	assert.Equal(t, "invol\n", find(ents, "data/f").body)
	_, rc, err = c.ArchivePath(ctx, "/srv")
	require.NoError(t, err)
	ents = readTar(t, rc)
	require.NotNil(t, find(ents, "srv/bind/fromhost"), "entries %q", entryNames(ents))
	assert.Equal(t, "host\n", find(ents, "srv/bind/fromhost").body)

	_, err = c.StatPath(ctx, "/scratch/f")
	assert.ErrorIs(t, err, ErrNotFound, "a tmpfs is the container's only")
	_, err = c.StatPath(ctx, "/proc/1/status")
	assert.ErrorIs(t, err, ErrNotFound, "/proc is not the container's procfs")
	hosts, err := c.StatPath(ctx, "/etc/hosts")
	require.NoError(t, err)
	assert.NotZero(t, hosts.Size, "/etc/hosts is the engine's file")
}

// TestExtractToDir copies into running and stopped containers, into the
// root filesystem and into a volume, with Docker's rules.
func TestExtractToDir(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	archiveOf := func(ents ...testutil.TarEntry) io.Reader {
		return bytes.NewReader(testutil.Tar(t, ents...))
	}
	for _, running := range []bool{false, true} {
		name := map[bool]string{false: "stopped", true: "running"}[running]
		t.Run(name, func(t *testing.T) {
			cfg := Config{Mounts: []Mount{{Type: "volume", Source: "v-" + name, Target: "/data"}}}
			var c *Container
			if running {
				c = runningContainer(t, e, cfg, `mkdir /dir`)
			} else {
				c = exitedContainer(t, e, cfg, `mkdir /dir`)
			}
			err := c.ExtractToDir(ctx, "/tmp", archiveOf(
				testutil.TarEntry{Name: "./", Mode: 0o700},
				testutil.TarEntry{Name: "a/", Mode: 0o750, Uid: 1000, Gid: 1000},
				testutil.TarEntry{Name: "a/f", Body: "hello\n", Mode: 0o600, Uid: 1000, Gid: 1000},
				testutil.TarEntry{Name: ".wh.g", Body: "plain\n"},
			))
			require.NoError(t, err)
			st, err := c.StatPath(ctx, "/tmp")
			require.NoError(t, err)
			assert.Equal(t, fs.ModeDir|fs.ModeSticky|0o777, st.Mode, "the entry ./ leaves the directory alone")
			_, rc, err := c.ArchivePath(ctx, "/tmp/a")
			require.NoError(t, err)
			ents := readTar(t, rc)
			require.Equal(t, []string{"a/", "a/f"}, entryNames(ents))
			assert.Equal(t, "hello\n", ents[1].body)
			assert.Equal(t, [3]int64{1000, 1000, 0o600}, [3]int64{int64(ents[1].hdr.Uid), int64(ents[1].hdr.Gid), ents[1].hdr.Mode})
			_, err = c.StatPath(ctx, "/tmp/.wh.g")
			assert.NoError(t, err, "a .wh. name is a plain file")

			// Into the volume: the volume's directory on the host has it.
			require.NoError(t, c.ExtractToDir(ctx, "/data", archiveOf(testutil.TarEntry{Name: "v", Body: "vol\n"})))
			got, err := os.ReadFile(e.path("volumes", "v-"+name, "_data", "v"))
			require.NoError(t, err)
			assert.Equal(t, "vol\n", string(got))

			// A file over a directory, with and without NoOverwriteDirNonDir.
			err = c.ExtractToDir(ctx, "/", archiveOf(testutil.TarEntry{Name: "dir", Body: "x"}), NoOverwriteDirNonDir())
			assert.ErrorIs(t, err, ErrInvalid)
			st, err = c.StatPath(ctx, "/dir")
			require.NoError(t, err)
			assert.True(t, st.Mode.IsDir(), "refused: /dir is still a directory")
			require.NoError(t, c.ExtractToDir(ctx, "/", archiveOf(testutil.TarEntry{Name: "dir", Body: "x"})))
			st, err = c.StatPath(ctx, "/dir")
			require.NoError(t, err)
			assert.True(t, st.Mode.IsRegular(), "replaced by default")

			// The destination must be an existing directory.
			err = c.ExtractToDir(ctx, "/nope", archiveOf(testutil.TarEntry{Name: "x"}))
			assert.ErrorIs(t, err, ErrNotFound)
			err = c.ExtractToDir(ctx, "/etc/passwd", archiveOf(testutil.TarEntry{Name: "x"}))
			assert.EqualError(t, err, "invalid argument: extraction point is not a directory")
		})
	}
}

// TestExtractToDirSymlinkDest extracts through a symlink to a directory,
// as docker cp does, and as the container's user with CopyUIDGID.
func TestExtractToDirSymlinkDest(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c := exitedContainer(t, e, Config{User: "dockuser"}, `ln -s /home/dockuser /tmp/link`)
	tarball := testutil.Tar(t, testutil.TarEntry{Name: "f", Body: "x", Uid: 42, Gid: 43})
	require.NoError(t, c.ExtractToDir(ctx, "/tmp/link", bytes.NewReader(tarball)))
	_, rc, err := c.ArchivePath(ctx, "/home/dockuser/f")
	require.NoError(t, err)
	ents := readTar(t, rc)
	assert.Equal(t, [2]int{42, 43}, [2]int{ents[0].hdr.Uid, ents[0].hdr.Gid}, "the archive's owner by default")

	require.NoError(t, c.ExtractToDir(ctx, "/tmp/link", bytes.NewReader(tarball), CopyUIDGID()))
	_, rc, err = c.ArchivePath(ctx, "/home/dockuser/f")
	require.NoError(t, err)
	ents = readTar(t, rc)
	assert.Equal(t, [2]int{1000, 1000}, [2]int{ents[0].hdr.Uid, ents[0].hdr.Gid}, "CopyUIDGID: the container's user")
}

// TestExtractToDirReadOnly refuses a read-only root filesystem and a
// read-only volume, but not a writable volume of a read-only container.
func TestExtractToDirReadOnly(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", ReadOnly: true, Mounts: []Mount{
		{Type: "volume", Source: "rw", Target: "/rw"},
		{Type: "volume", Source: "ro", Target: "/ro", ReadOnly: true},
	}})
	require.NoError(t, err)
	tarball := testutil.Tar(t, testutil.TarEntry{Name: "f", Body: "x"})
	err = c.ExtractToDir(ctx, "/tmp", bytes.NewReader(tarball))
	assert.EqualError(t, err, "container rootfs is marked read-only", "Docker's words")
	assert.ErrorIs(t, err, ErrReadOnly)
	assert.ErrorIs(t, err, ErrInvalid, "Docker's 400")
	err = c.ExtractToDir(ctx, "/ro", bytes.NewReader(tarball))
	assert.EqualError(t, err, "mounted volume is marked read-only")
	assert.ErrorIs(t, err, ErrReadOnly)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.NoError(t, c.ExtractToDir(ctx, "/rw", bytes.NewReader(tarball)))
	err = c.ExtractToDir(ctx, "/rw", bytes.NewReader([]byte("no tar")))
	assert.NotErrorIs(t, err, ErrReadOnly, "another refusal")
}

// TestExport writes the whole root filesystem, without the volumes'
// contents, named from the root.
func TestExport(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c := exitedContainer(t, e, Config{Mounts: []Mount{{Type: "volume", Source: "exp", Target: "/data"}}},
		`echo added > /added && rm /etc/os-release && echo secret > /data/invol`)
	rc, err := c.Export(ctx)
	require.NoError(t, err)
	ents := readTar(t, rc)
	got := entryNames(ents)
	for _, want := range []string{"bin/", "bin/busybox", "bin/sh", "etc/passwd", "added", "data/", "etc/mtab"} {
		assert.Contains(t, got, want, "the init layer's /etc/mtab too, as docker export has it")
	}
	assert.NotContains(t, got, "etc/os-release", "deleted in the container")
	assert.NotContains(t, got, "data/invol", "a volume's contents are not exported")
	assert.Equal(t, "added\n", find(ents, "added").body)
	for _, n := range got {
		assert.False(t, strings.HasPrefix(n, "/") || strings.HasPrefix(n, "./"), "entry %q", n)
	}
}

// TestChanges lists what a container added, changed and deleted, as
// docker diff, without the engine's mount points.
func TestChanges(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	fresh, err := e.Create(ctx, Config{Image: "busybox"})
	require.NoError(t, err)
	got, err := fresh.Changes(ctx)
	require.NoError(t, err)
	assert.Empty(t, got, "a container that never ran")

	c := exitedContainer(t, e, Config{Mounts: []Mount{{Type: "volume", Target: "/vol"}}},
		`echo x > /new && mkdir -p /newdir/sub && rm /etc/os-release && echo y >> /etc/passwd && echo z > /vol/f`)
	got, err = c.Changes(ctx)
	require.NoError(t, err)
	var lines []string
	for _, ch := range got {
		lines = append(lines, ch.Kind.String()+" "+ch.Path)
	}
	assert.Equal(t, []string{
		"C /etc", "D /etc/os-release", "C /etc/passwd", "A /new", "A /newdir", "A /newdir/sub",
	}, lines)
}

// TestArchiveStartLock: a copy out of a stopped container leaves the
// start lock once its view is built: a Start works while the stream is
// read, and the copy goes on to its end. A copy into the container holds
// the lock until it is done: a Start meanwhile fails at once instead of
// mounting the container's upper directory a second time.
func TestArchiveStartLock(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"true"}})
	require.NoError(t, err)
	_, rc, err := c.ArchivePath(ctx, "/bin")
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx), "Start while a copy out is read")
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	ents := readTar(t, rc)
	assert.NotNil(t, find(ents, "bin/sh"), "the copy read after the Start")
	views, err := filepath.Glob(filepath.Join(e.path("tmp"), "view-*"))
	require.NoError(t, err)
	assert.Empty(t, views, "the view's scratch directory after Close")

	pr, pw := io.Pipe()
	extracted := make(chan error, 1)
	go func() { extracted <- c.ExtractToDir(ctx, "/tmp", pr) }()
	tw := tar.NewWriter(pw)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "x", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg}))
	_, err = tw.Write([]byte("x")) // the extraction has begun, and waits for more
	require.NoError(t, err)
	err = c.Start(ctx)
	assert.ErrorIs(t, err, ErrRunning, "Start while a copy in is written")
	require.NoError(t, tw.Close())
	require.NoError(t, pw.Close())
	require.NoError(t, <-extracted)
	require.NoError(t, c.Start(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
}

// TestArchiveStreamCloseEarly closes a stream before its end: the writer
// stops, and the container can be used again.
func TestArchiveStreamCloseEarly(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox"})
	require.NoError(t, err)
	rc, err := c.Export(ctx)
	require.NoError(t, err)
	_, err = io.ReadFull(rc, make([]byte, 1024))
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.NoError(t, rc.Close(), "Close twice")
	_, err = c.StatPath(ctx, "/bin/sh")
	require.NoError(t, err)
}

// TestArchiveContext ends a stream with its context.
func TestArchiveContext(t *testing.T) {
	e := testEngine(t)
	c, err := e.Create(context.Background(), Config{Image: "busybox"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := c.Export(ctx)
	require.NoError(t, err)
	defer rc.Close()
	cancel()
	_, err = io.Copy(io.Discard, rc)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestArchiveUserns copies in and out of a container with a user
// namespace, stopped and running: owners are the container's on both
// sides (its root is root in the archive), and the host's files are the
// mapped IDs.
func TestArchiveUserns(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for d := e.Root(); d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			os.Chmod(d, fi.Mode().Perm()|0o011)
		}
	}
	maps := []IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	for _, running := range []bool{false, true} {
		name := map[bool]string{false: "stopped", true: "running"}[running]
		t.Run(name, func(t *testing.T) {
			cfg := Config{UIDMap: maps, GIDMap: maps, Mounts: []Mount{{Type: "volume", Source: "uv-" + name, Target: "/data"}}}
			var c *Container
			if running {
				c = runningContainer(t, e, cfg, `echo mine > /mine && chown 1000:1000 /mine`)
			} else {
				c = exitedContainer(t, e, cfg, `echo mine > /mine && chown 1000:1000 /mine`)
			}
			_, rc, err := c.ArchivePath(ctx, "/bin/busybox")
			require.NoError(t, err)
			ents := readTar(t, rc)
			assert.Equal(t, [2]int{0, 0}, [2]int{ents[0].hdr.Uid, ents[0].hdr.Gid}, "an image file: root inside")
			_, rc, err = c.ArchivePath(ctx, "/mine")
			require.NoError(t, err)
			ents = readTar(t, rc)
			assert.Equal(t, [2]int{1000, 1000}, [2]int{ents[0].hdr.Uid, ents[0].hdr.Gid}, "the container's chown")

			tarball := testutil.Tar(t, testutil.TarEntry{Name: "in", Body: "x", Uid: 7, Gid: 8})
			require.NoError(t, c.ExtractToDir(ctx, "/data", bytes.NewReader(tarball)))
			fi, err := os.Stat(e.path("volumes", "uv-"+name, "_data", "in"))
			require.NoError(t, err)
			st := fi.Sys().(*syscall.Stat_t)
			assert.Equal(t, [2]uint32{100007, 100008}, [2]uint32{st.Uid, st.Gid}, "mapped on the host")
			_, rc, err = c.ArchivePath(ctx, "/data/in")
			require.NoError(t, err)
			ents = readTar(t, rc)
			assert.Equal(t, [2]int{7, 8}, [2]int{ents[0].hdr.Uid, ents[0].hdr.Gid}, "and back")

			bad := testutil.Tar(t, testutil.TarEntry{Name: "unmapped", Body: "x", Uid: 70000})
			assert.ErrorIs(t, c.ExtractToDir(ctx, "/data", bytes.NewReader(bad)), ErrInvalid)
		})
	}
}

// TestArchiveNoLeaks copies in and out many times, from a stopped and a
// running container: no goroutine, descriptor or mount is left, and the
// views' mounts never show in the process's mount namespace.
func TestArchiveNoLeaks(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	cfg := Config{Mounts: []Mount{{Type: "volume", Source: "leak", Target: "/data"}}}
	stopped := exitedContainer(t, e, cfg, `true`)
	running := runningContainer(t, e, cfg, `true`)
	tarball := testutil.Tar(t, testutil.TarEntry{Name: "f", Body: "x"})
	cycle := func(c *Container) {
		_, err := c.StatPath(ctx, "/data")
		require.NoError(t, err)
		_, rc, err := c.ArchivePath(ctx, "/etc")
		require.NoError(t, err)
		readTar(t, rc)
		require.NoError(t, c.ExtractToDir(ctx, "/data", bytes.NewReader(tarball)))
		rc, err = c.Export(ctx)
		require.NoError(t, err)
		_, err = io.ReadFull(rc, make([]byte, 512))
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		_, err = c.StatPath(ctx, "/nope")
		require.ErrorIs(t, err, ErrNotFound)
	}
	cycle(stopped) // warm up: the namespace thread
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)
	mounts := readFile(t, "/proc/self/mountinfo")
	for range 10 {
		cycle(stopped)
		cycle(running)
	}
	for i := 0; i < 200 && runtime.NumGoroutine() > goroutines; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", goroutines, n, buf[:runtime.Stack(buf, true)])
	}
	assert.Equal(t, fds, countFDs(t), "open descriptors")
	assert.Equal(t, mounts, readFile(t, "/proc/self/mountinfo"), "the process's mounts")
}

// FuzzSplitCpPath: whatever path a client sends, the split path is
// absolute, clean but for a trailing "/" or "/.", never climbs with "..",
// and its directory and base make it up again.
func FuzzSplitCpPath(f *testing.F) {
	for _, s := range []string{"/etc/passwd", "etc/", "/a/.", "..", "../../x/./", "/", "", ".", "a//b/../c/.", "\x00/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		cp := splitCpPath(p)
		if !strings.HasPrefix(cp.abs, "/") || cp.dir+cp.base != cp.abs {
			t.Fatalf("splitCpPath(%q) = %+v", p, cp)
		}
		trimmed := strings.TrimSuffix(strings.TrimSuffix(cp.abs, "/."), "/")
		if trimmed == "" {
			trimmed = "/"
		}
		if path.Clean(trimmed) != trimmed {
			t.Fatalf("splitCpPath(%q).abs = %q, not clean", p, cp.abs)
		}
		for _, c := range strings.Split(trimmed, "/") {
			if c == ".." {
				t.Fatalf("splitCpPath(%q).abs = %q climbs", p, cp.abs)
			}
		}
		if cp.name == "" || strings.Contains(cp.name, "/") {
			t.Fatalf("splitCpPath(%q).name = %q", p, cp.name)
		}
	})
}

// TestArchivePathEtcFiles: docker cp of a container's generated /etc
// files copies what the container sees, with no mount of its own too.
func TestArchivePathEtcFiles(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c := runningContainer(t, e, Config{Hostname: "cphost"}, `true`)
	_, rc, err := c.ArchivePath(ctx, "/etc/hostname")
	require.NoError(t, err)
	assert.Equal(t, "cphost\n", readTar(t, rc)[0].body)
}

// TestArchivePathStopDuringRead stops a running container while a copy
// from it is still being read: the Stop completes, and so does the copy.
func TestArchivePathStopDuringRead(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "100"}})
	require.NoError(t, err)
	defer c.Remove(ctx, RemoveForce())
	require.NoError(t, c.StartDetached(ctx))
	_, rc, err := c.ArchivePath(ctx, "/bin")
	require.NoError(t, err)
	defer rc.Close()
	_, err = io.ReadFull(rc, make([]byte, 512)) // the copy has begun
	require.NoError(t, err)

	sctx, cancel := context.WithTimeout(ctx, time.Minute) // not a timing: a hang fails
	defer cancel()
	require.NoError(t, c.Stop(sctx, 0), "Stop while a copy is read")
	st, err := c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusExited, st.Status)

	// Started again, it runs from a new mount of its root; the copy
	// goes on to its end.
	require.NoError(t, c.StartDetached(sctx), "Start while a copy is read")
	rest, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.NotEmpty(t, rest)
	require.NoError(t, rc.Close())
	out, err := runExec(t, c, "ls", "/bin/sh")
	require.NoError(t, err)
	assert.Equal(t, "/bin/sh\n", out)
}
