package dock

import (
	"context"
	"path/filepath"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resolveConfig follows the rules of Docker's merge of a container's
// config with its image's (daemon/commit.go merge in moby).
func TestResolveConfig(t *testing.T) {
	img := ocispec.ImageConfig{
		Entrypoint: []string{"/entry"}, Cmd: []string{"serve"},
		Env:        []string{"PATH=/bin", "A=image", "B=image"},
		WorkingDir: "/srv", User: "app", StopSignal: "SIGQUIT",
		Labels:  map[string]string{"l1": "image", "l2": "image"},
		Volumes: map[string]struct{}{"/data": {}},
	}
	for _, tt := range []struct {
		name string
		cfg  Config
		want ResolvedConfig
	}{
		{"image defaults", Config{}, ResolvedConfig{
			Entrypoint: []string{"/entry"}, Cmd: []string{"serve"}, Env: []string{"PATH=/bin", "A=image", "B=image"},
			WorkingDir: "/srv", User: "app", StopSignal: "SIGQUIT",
			Labels: map[string]string{"l1": "image", "l2": "image"}, Volumes: []string{"/data"},
		}},
		{"config over image", Config{
			Cmd: []string{"other"}, Env: []string{"B=mine", "C=mine", "NOEQ"}, WorkingDir: "/w", User: "root",
			StopSignal: "SIGTERM", Labels: map[string]string{"l2": "mine"},
			Mounts: []Mount{{Type: "volume", Target: "/anon/"}, {Type: "volume", Source: "named", Target: "/named"}, {Type: "bind", Source: "/h", Target: "/b"}},
		}, ResolvedConfig{
			Entrypoint: []string{"/entry"}, Cmd: []string{"other"},
			// Docker's order: the container's variables, then the
			// image's it does not set.
			Env:        []string{"B=mine", "C=mine", "PATH=/bin", "A=image"},
			WorkingDir: "/w", User: "root", StopSignal: "SIGTERM",
			Labels: map[string]string{"l1": "image", "l2": "mine"}, Volumes: []string{"/anon", "/data"},
		}},
		{"an entrypoint drops the image's cmd", Config{Entrypoint: []string{"/bin/sh"}}, ResolvedConfig{
			Entrypoint: []string{"/bin/sh"}, Env: img.Env, WorkingDir: "/srv", User: "app", StopSignal: "SIGQUIT",
			Labels: img.Labels, Volumes: []string{"/data"},
		}},
		{"entrypoint reset, as docker run --entrypoint ''", Config{Entrypoint: []string{""}, Cmd: []string{"ls"}}, ResolvedConfig{
			Entrypoint: []string{""}, Cmd: []string{"ls"}, Env: img.Env, WorkingDir: "/srv", User: "app", StopSignal: "SIGQUIT",
			Labels: img.Labels, Volumes: []string{"/data"},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, resolveConfig(&tt.cfg, &img))
		})
	}
	got := resolveConfig(&Config{}, &ocispec.ImageConfig{Cmd: []string{"sh"}})
	assert.Equal(t, ResolvedConfig{Cmd: []string{"sh"}}, got, "nothing else set: no labels, no volumes, no PATH")
}

// Inspect reports what docker inspect shows beyond the Config: the
// resolved configuration, kept when the image goes, the log file, the
// /etc files and the overlay's directories.
func TestInspectResolvedAndPaths(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	_, err := e.ImportDir(ctx, t.TempDir(), "defaults", ImportConfig(ocispec.ImageConfig{
		Entrypoint: []string{"/bin/echo"}, Cmd: []string{"hi"}, Env: []string{"A=1"}, WorkingDir: "/tmp",
		Labels: map[string]string{"from": "image"},
	}))
	require.NoError(t, err)
	c, err := e.Create(ctx, Config{Image: "defaults", Env: []string{"B=2"}, Labels: map[string]string{"own": "yes"}})
	require.NoError(t, err)
	require.NoError(t, e.Tag(ctx, "busybox", "defaults")) // the image is no longer tagged so
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	assert.Equal(t, ResolvedConfig{
		Entrypoint: []string{"/bin/echo"}, Cmd: []string{"hi"}, Env: []string{"B=2", "A=1"}, WorkingDir: "/tmp",
		Labels: map[string]string{"from": "image", "own": "yes"},
	}, info.Resolved)
	assert.Equal(t, []string{"/bin/echo", "hi"}, info.Args)

	dir := filepath.Join(e.Root(), "containers", info.ID)
	assert.Equal(t, filepath.Join(dir, "json.log"), info.LogPath)
	assert.Equal(t, filepath.Join(dir, "resolv.conf"), info.ResolvConfPath)
	assert.Equal(t, filepath.Join(dir, "hostname"), info.HostnamePath)
	assert.Equal(t, filepath.Join(dir, "hosts"), info.HostsPath)
	for _, p := range []string{info.ResolvConfPath, info.HostnamePath, info.HostsPath} {
		assert.FileExists(t, p)
	}
	s := info.Storage
	assert.Equal(t, "overlay2", s.Driver)
	assert.Equal(t, filepath.Join(dir, "upper"), s.UpperDir)
	assert.Equal(t, filepath.Join(dir, "work"), s.WorkDir)
	assert.Equal(t, filepath.Join(dir, "rootfs"), s.MergedDir)
	require.Len(t, s.LowerDirs, 1)
	assert.DirExists(t, s.LowerDirs[0])

	// A container created before records kept the resolved config
	// shows its process as it was resolved.
	rec, err := c.record()
	require.NoError(t, err)
	rec.Resolved = nil
	assert.Equal(t, ResolvedConfig{
		Cmd: []string{"/bin/echo", "hi"}, Env: rec.Process.Env, WorkingDir: "/tmp", Labels: map[string]string{"own": "yes"},
	}, resolvedFromProcess(rec))
}

func TestPredefinedNetworkID(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	for _, name := range []string{"bridge", "host", "none"} {
		n, err := e.Network(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, n.ID, PredefinedNetworkID(name), name)
	}
	assert.Empty(t, PredefinedNetworkID("nope"))
}
