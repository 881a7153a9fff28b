//go:build linux

package dock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

var anonName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// volumeImage commits, on busybox, a layer with /data holding a file
// (owner 12:34, mode 640), a symlink and a subdirectory, with VOLUME
// /data: an image of two layers, so that the copy reads an overlay.
func volumeImage(t *testing.T, e *Engine) {
	t.Helper()
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c",
		`mkdir -p /data/sub && echo hello > /data/f && chown 12:34 /data/f && chmod 640 /data/f &&
		 ln -s f /data/link && echo g > /data/sub/g && chmod 750 /data && touch -t 200102030405.06 /data/f`}})
	require.NoError(t, err)
	startWait(t, c)
	_, err = c.Commit(ctx, "vimg", CommitChange("VOLUME /data"))
	require.NoError(t, err)
	require.NoError(t, c.Remove(ctx))
}

// startWait starts c and returns its output and exit code.
func startWait(t *testing.T, c *Container) string {
	t.Helper()
	ctx := context.Background()
	var out syncBuffer
	c.Stdout, c.Stderr = &out, &out
	require.NoError(t, c.Start(ctx))
	st, err := c.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, st.Code, "output %q", out.String())
	return out.String()
}

func volumeNames(t *testing.T, e *Engine) map[string]bool {
	t.Helper()
	vols, err := e.Volumes(context.Background())
	require.NoError(t, err)
	names := map[string]bool{}
	for _, v := range vols {
		names[v.Name] = v.Anonymous
	}
	return names
}

// An image's VOLUME becomes an anonymous volume holding a copy of the
// image's content, kept across restarts, new for each container, listed,
// and removed only with RemoveVolumes or PruneVolumes.
func TestAnonymousVolumeFromImage(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	volumeImage(t, e)

	script := `cat /data/f; stat -c '%u:%g %a' /data/f /data; readlink /data/link; cat /data/sub/g; echo run >> /data/runs; cat /data/runs`
	c1, err := e.Create(ctx, Config{Image: "vimg", Cmd: []string{"sh", "-c", script}})
	require.NoError(t, err)
	info, err := c1.Inspect(ctx)
	require.NoError(t, err)
	require.Len(t, info.Mounts, 1)
	mp := info.Mounts[0]
	assert.Equal(t, "volume", mp.Type)
	assert.Equal(t, "/data", mp.Target)
	assert.True(t, mp.Anonymous)
	assert.Regexp(t, anonName, mp.Name)
	assert.Equal(t, e.path("volumes", mp.Name, "_data"), mp.Source)
	v1 := mp.Name

	// Times are copied: the image's mtime, not the copy's.
	fi, err := os.Lstat(filepath.Join(mp.Source, "f"))
	require.NoError(t, err)
	assert.Equal(t, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC), fi.ModTime().UTC())

	assert.Equal(t, "hello\n12:34 640\n0:0 750\nf\ng\nrun\n", startWait(t, c1))
	assert.Equal(t, "hello\n12:34 640\n0:0 750\nf\ng\nrun\nrun\n", startWait(t, c1), "a restart keeps the volume")
	assert.Equal(t, map[string]bool{v1: true}, volumeNames(t, e))

	c2, err := e.Create(ctx, Config{Image: "vimg", Cmd: []string{"sh", "-c", script}})
	require.NoError(t, err)
	info2, err := c2.Inspect(ctx)
	require.NoError(t, err)
	require.Len(t, info2.Mounts, 1)
	v2 := info2.Mounts[0].Name
	assert.NotEqual(t, v1, v2, "a second container gets a new volume")
	assert.Equal(t, "hello\n12:34 640\n0:0 750\nf\ng\nrun\n", startWait(t, c2))

	named, err := e.CreateVolume(ctx, "keep")
	require.NoError(t, err)
	assert.False(t, named.Anonymous)
	// rm without -v keeps the volume; rm -v removes it.
	require.NoError(t, c1.Remove(ctx))
	require.NoError(t, c2.Remove(ctx, RemoveVolumes()))
	assert.Equal(t, map[string]bool{v1: true, "keep": false}, volumeNames(t, e))

	// prune removes unused anonymous volumes only; -a every unused one.
	rep, err := e.PruneVolumes(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{v1}, rep.Deleted)
	assert.Equal(t, map[string]bool{"keep": false}, volumeNames(t, e))
	rep, err = e.PruneVolumes(ctx, PruneAll())
	require.NoError(t, err)
	assert.Equal(t, []string{"keep"}, rep.Deleted)

	// CreateVolume("") makes an anonymous volume.
	v, err := e.CreateVolume(ctx, "")
	require.NoError(t, err)
	assert.Regexp(t, anonName, v.Name)
	assert.True(t, v.Anonymous)
}

// A named volume gets the image's content once, while it is empty;
// NoCopy leaves it empty; a bind or tmpfs over a VOLUME path takes its
// place.
func TestAnonymousVolumeCopyRules(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	volumeImage(t, e)

	nv := []Mount{{Type: "volume", Source: "nv", Target: "/data"}}
	assert.Equal(t, "f link sub \n", sh(t, e, Config{Image: "vimg", Mounts: nv}, `ls /data | tr '\n' ' '; echo; rm /data/f; echo mine > /data/mine`))
	assert.Equal(t, "link mine sub \n", sh(t, e, Config{Image: "vimg", Mounts: nv}, `ls /data | tr '\n' ' '; echo`), "not copied again into a volume that is not empty")
	// The same volume at two places: the first copy fills it.
	assert.Equal(t, "hello\n", sh(t, e, Config{Image: "vimg", Mounts: []Mount{
		{Type: "volume", Source: "twice", Target: "/data"}, {Type: "volume", Source: "twice", Target: "/other"},
	}}, `cat /other/f`))

	assert.Equal(t, "empty\n", sh(t, e, Config{Image: "vimg", Mounts: []Mount{{Type: "volume", Source: "nocopy", Target: "/data", NoCopy: true}}},
		`[ -z "$(ls -A /data)" ] && echo empty`))
	assert.Equal(t, "empty\n", sh(t, e, Config{Image: "vimg", Mounts: []Mount{{Type: "volume", Target: "/data", NoCopy: true}}},
		`[ -z "$(ls -A /data)" ] && echo empty`), "anonymous, nocopy")

	before := volumeNames(t, e)
	host := t.TempDir()
	assert.Equal(t, "empty\n", sh(t, e, Config{Image: "vimg", Mounts: []Mount{{Type: "bind", Source: host, Target: "/data/"}}},
		`[ -z "$(ls -A /data)" ] && echo empty`))
	assert.Equal(t, "empty\n", sh(t, e, Config{Image: "vimg", Mounts: []Mount{{Type: "tmpfs", Target: "/data"}}},
		`[ -z "$(ls -A /data)" ] && echo empty`))
	assert.Equal(t, before, volumeNames(t, e), "a bind or tmpfs over the VOLUME path makes no volume")
	entries, err := os.ReadDir(host)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing is copied into a bind mount")

	_, err = e.Create(ctx, Config{Image: "vimg", Mounts: []Mount{{Type: "bind", Source: host, Target: "/x", NoCopy: true}}})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = e.Create(ctx, Config{Image: "vimg", Mounts: []Mount{{Type: "volume", Target: "/x", Options: []string{"nocopy"}}}})
	assert.ErrorIs(t, err, ErrInvalid)
}

// docker run --rm and AutoRemove take the anonymous volumes with the
// container, attached or detached, but neither named volumes nor an
// anonymous volume that another container mounts.
func TestAnonymousVolumeAutoRemove(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	volumeImage(t, e)

	// Engine.Run is docker run --rm.
	sh(t, e, Config{Image: "vimg", Mounts: []Mount{{Type: "volume", Source: "named", Target: "/named"}}}, `true`)
	assert.Equal(t, map[string]bool{"named": false}, volumeNames(t, e))

	for _, detached := range []bool{false, true} {
		c, err := e.Create(ctx, Config{Image: "vimg", Cmd: []string{"true"}, AutoRemove: true,
			Mounts: []Mount{{Type: "volume", Target: "/extra"}}})
		require.NoError(t, err)
		info, err := c.Inspect(ctx)
		require.NoError(t, err)
		require.Len(t, info.Mounts, 2)
		shared := info.Mounts[0].Name // /extra
		require.Equal(t, "/extra", info.Mounts[0].Target)
		// Another container mounts the first anonymous volume by name.
		other, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"true"}, Mounts: []Mount{{Type: "volume", Source: shared, Target: "/s"}}})
		require.NoError(t, err)
		if detached {
			require.NoError(t, c.StartDetached(ctx))
		} else {
			require.NoError(t, c.Start(ctx))
			_, err := c.Wait(ctx)
			require.NoError(t, err)
		}
		require.Eventually(t, func() bool {
			_, err := e.Container(c.ID())
			return errors.Is(err, ErrNotFound)
		}, 10*time.Second, 10*time.Millisecond, "container removed (detached %v)", detached)
		require.Eventually(t, func() bool {
			_, err := e.Volume(ctx, info.Mounts[1].Name)
			return errors.Is(err, ErrNotFound)
		}, 10*time.Second, 10*time.Millisecond, "the image's anonymous volume removed (detached %v)", detached)
		assert.Equal(t, map[string]bool{"named": false, shared: true}, volumeNames(t, e), "detached %v", detached)
		require.NoError(t, other.Remove(ctx, RemoveVolumes()))
		assert.Equal(t, map[string]bool{"named": false}, volumeNames(t, e))
	}
}

// hostileImage imports a root filesystem whose VOLUME paths are symlinks
// that lead out of it, absolutely and relatively, towards host.
func hostileImage(t *testing.T, e *Engine, host string, vols ...string) {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("image-passwd\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "a"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "a", "x"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "plain"), []byte("file"), 0o644))
	require.NoError(t, os.Symlink("/etc", filepath.Join(root, "etclink")))
	require.NoError(t, os.Symlink(host, filepath.Join(root, "abs")))
	require.NoError(t, os.Symlink("../../../../../../../../.."+host, filepath.Join(root, "rel")))
	require.NoError(t, os.Symlink("../../../../../../../../..", filepath.Join(root, "up")))
	volumes := map[string]struct{}{}
	for _, v := range vols {
		volumes[v] = struct{}{}
	}
	_, err := e.ImportDir(context.Background(), root, "hostile", ImportConfig(ocispec.ImageConfig{
		Cmd: []string{"true"}, Volumes: volumes,
	}))
	require.NoError(t, err)
}

// The image's symlinks resolve inside its root filesystem: no host file is
// copied, nothing is written on the host; bad VOLUME paths, and those
// through a symlink to a path the image lacks (a host path), are refused
// and leave nothing behind.
func TestAnonymousVolumeHostileImage(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	host := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(host, "secret"), []byte("host secret"), 0o600))
	hostileImage(t, e, host, "/etclink", "/up/etc")

	c, err := e.Create(ctx, Config{Image: "hostile"})
	require.NoError(t, err)
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	got := map[string]map[string]string{}
	for _, m := range info.Mounts {
		files := map[string]string{}
		entries, err := os.ReadDir(m.Source)
		require.NoError(t, err)
		for _, ent := range entries {
			data, _ := os.ReadFile(filepath.Join(m.Source, ent.Name()))
			files[ent.Name()] = string(data)
		}
		got[m.Target] = files
	}
	assert.Equal(t, map[string]map[string]string{
		"/etclink": {"passwd": "image-passwd\n"}, // the image's /etc
		"/up/etc":  {"passwd": "image-passwd\n"}, // .. stops at the image's root
	}, got)
	entries, err := os.ReadDir(host)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing written on the host")
	require.NoError(t, c.Remove(ctx, RemoveVolumes()))
	assert.Empty(t, volumeNames(t, e))

	// Bad VOLUME paths, and a failure after a first volume was made and
	// filled: an error, and no container, volume or file left behind.
	_, err = e.CreateVolume(ctx, "pre")
	require.NoError(t, err)
	for _, vols := range [][]string{{"/plain"}, {"/a", "/plain"}, {"data"}, {"/"}, {"/.."}, {"/a/../.."}, {"/abs"}, {"/a", "/rel"}} {
		t.Run(vols[len(vols)-1], func(t *testing.T) {
			e.RemoveImage(ctx, "hostile", RemoveForce())
			hostileImage(t, e, host, vols...)
			for _, mounts := range [][]Mount{nil, {{Type: "volume", Source: "pre", Target: "/a"}}} {
				_, err := e.Create(ctx, Config{Image: "hostile", Mounts: mounts})
				require.ErrorIs(t, err, ErrInvalid)
				cs, err := e.Containers(ctx)
				require.NoError(t, err)
				assert.Empty(t, cs)
				assert.Equal(t, map[string]bool{"pre": false}, volumeNames(t, e))
				empty, err := emptyDir(e.path("volumes", "pre", "_data"))
				require.NoError(t, err)
				assert.True(t, empty, "the copy into a volume that existed is undone")
				tmp, err := os.ReadDir(e.path("tmp"))
				require.NoError(t, err)
				assert.Empty(t, tmp)
			}
		})
	}
}

// With a user namespace, the copies are owned as the container sees the
// image's files: through the ID maps; IDs outside them become the
// container's root.
func TestAnonymousVolumeUserns(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "data", "d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "data", "f"), []byte("f"), 0o644))
	require.NoError(t, os.Lchown(filepath.Join(root, "data", "f"), 12, 34))
	require.NoError(t, os.Lchown(filepath.Join(root, "data", "d"), 70000, 70000))
	_, err := e.ImportDir(ctx, root, "uimg", ImportConfig(ocispec.ImageConfig{
		Cmd: []string{"true"}, Volumes: map[string]struct{}{"/data": {}, "/empty": {}},
	}))
	require.NoError(t, err)
	m := []IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	c, err := e.Create(ctx, Config{Image: "uimg", UIDMap: m, GIDMap: m})
	require.NoError(t, err)
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	owner := func(p string) [2]uint32 {
		var st unix.Stat_t
		require.NoError(t, unix.Lstat(p, &st))
		return [2]uint32{st.Uid, st.Gid}
	}
	require.Len(t, info.Mounts, 2)
	data, empty := info.Mounts[0].Source, info.Mounts[1].Source
	assert.Equal(t, [2]uint32{100000, 100000}, owner(data))
	assert.Equal(t, [2]uint32{100012, 100034}, owner(filepath.Join(data, "f")))
	assert.Equal(t, [2]uint32{100000, 100000}, owner(filepath.Join(data, "d")), "unmapped IDs become the container's root")
	assert.Equal(t, [2]uint32{100000, 100000}, owner(empty), "a new empty volume belongs to the container's root")
	require.NoError(t, c.Remove(ctx, RemoveVolumes()))
	assert.Empty(t, volumeNames(t, e))
}

// A RUN step after VOLUME writes into the layer, as with BuildKit, and
// leaves no volume behind; the built image's containers then get the
// written content copied into their anonymous volume.
func TestAnonymousVolumeBuild(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nVOLUME /data\nRUN mkdir /data && echo built > /data/f\n"), 0o644))
	_, err := e.Build(ctx, dir, BuildTag("vbuilt"))
	require.NoError(t, err)
	assert.Empty(t, volumeNames(t, e), "RUN makes no volume")
	assert.Equal(t, "built\n", sh(t, e, Config{Image: "vbuilt"}, `cat /data/f; grep -q ' /data ' /proc/mounts || echo not a mount`))
	assert.Empty(t, volumeNames(t, e), "Run removed the anonymous volume")
}
