package dock

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeSized writes a file of n bytes at path, making its directory.
func writeSized(t *testing.T, path string, n int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("x"), n), 0o644))
}

// importTar imports a one-file image tagged ref ("" for none).
func importTar(t *testing.T, e *Engine, ref, content string) *Image {
	t.Helper()
	dir := t.TempDir()
	writeSized(t, filepath.Join(dir, "f"), len(content))
	img, err := e.ImportDir(context.Background(), dir, ref, ImportMessage(content))
	require.NoError(t, err)
	return img
}

func TestDiskUsageAndPrune(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	other := importTar(t, e, "other:1", "other")
	dangling := importTar(t, e, "", "dangling-content")

	c1, err := e.Create(ctx, Config{Image: "busybox", Name: "df1"})
	require.NoError(t, err)
	c2, err := e.Create(ctx, Config{Image: "busybox", Name: "df2"})
	require.NoError(t, err)
	writeSized(t, e.path("containers", c2.ID(), "upper", "written"), 1000)
	_, err = e.CreateVolume(ctx, "named")
	require.NoError(t, err)
	writeSized(t, e.path("volumes", "named", "_data", "f"), 500)
	c3, err := e.Create(ctx, Config{Image: "busybox", Mounts: []Mount{{Type: "volume", Target: "/anon"}}})
	require.NoError(t, err)
	info3, err := c3.Inspect(ctx)
	require.NoError(t, err)
	anon := info3.Mounts[0].Name
	writeSized(t, e.path("volumes", anon, "_data", "f"), 300)
	require.NoError(t, c3.Remove(ctx)) // its anonymous volume stays, unused

	// The build cache: a cache mount, a step whose image is gone, one
	// whose image is there, a context's stat cache.
	writeSized(t, e.path("cache", "build-mounts", "m1", "f"), 200)
	gone, kept := strings.Repeat("a", 64), strings.Repeat("b", 64)
	writeSized(t, e.path("cache", "build", gone), 0)
	require.NoError(t, os.WriteFile(e.path("cache", "build", gone), []byte("sha256:"+strings.Repeat("0", 64)), 0o600))
	require.NoError(t, os.WriteFile(e.path("cache", "build", kept), []byte(busybox.ID), 0o600))
	writeSized(t, e.path("cache", "build", "files-0123.json"), 50)

	du, err := e.DiskUsage(ctx)
	require.NoError(t, err)
	images := map[string]ImageUsage{}
	for _, u := range du.Images {
		images[u.Image.ID] = u
	}
	require.Len(t, images, 3)
	assert.Equal(t, 2, images[busybox.ID].Containers, "containers of busybox")
	assert.Equal(t, 0, images[other.ID].Containers)
	assert.Equal(t, busybox.Size+other.Size+dangling.Size, du.LayersSize, "LayersSize")
	assert.Zero(t, images[busybox.ID].SharedSize)
	sizes := map[string]int64{}
	for _, c := range du.Containers {
		sizes[c.Info.Name] = c.Size.RW
		assert.Equal(t, c.Size.RW+busybox.Size, c.Size.RootFS, "RootFS of %s", c.Info.Name)
	}
	assert.Equal(t, map[string]int64{"df1": 0, "df2": 1000}, sizes, "containers' sizes")
	vols := map[string]VolumeUsage{}
	for _, v := range du.Volumes {
		vols[v.Volume.Name] = v
	}
	assert.Equal(t, int64(500), vols["named"].Size)
	assert.Equal(t, int64(300), vols[anon].Size)
	assert.Zero(t, vols[anon].RefCount)
	cache := map[string]BuildCacheRecord{}
	for _, r := range du.BuildCache {
		cache[r.ID] = r
	}
	require.Len(t, cache, 4, "build cache records: %+v", du.BuildCache)
	assert.Equal(t, BuildCacheRecord{ID: "m1", Type: "exec.cachemount", Description: "cache mount", Size: 200,
		Created: cache["m1"].Created, LastUsed: cache["m1"].LastUsed}, cache["m1"])
	assert.True(t, cache[kept].Shared)
	assert.Equal(t, "step of "+busybox.ID, cache[kept].Description)
	assert.Equal(t, int64(50), cache["files-0123.json"].Size)

	// A system prune removes the containers, the dangling image, the
	// cache mount and the step of an image that is gone; it keeps the
	// volumes, the tagged images and the rest of the cache.
	rep, err := e.PruneSystem(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{c1.ID(), c2.ID()}, rep.Containers)
	assert.Empty(t, rep.Volumes)
	assert.Contains(t, rep.Images, "Deleted: "+dangling.ID)
	assert.NotContains(t, rep.Images, "Deleted: "+other.ID)
	assert.ElementsMatch(t, []string{"m1", gone}, rep.BuildCache)
	assert.GreaterOrEqual(t, rep.SpaceReclaimed, int64(1000+200+dangling.Size), "SpaceReclaimed")
	_, err = e.Volume(ctx, anon)
	assert.NoError(t, err, "the anonymous volume after prune without volumes")

	// -a --volumes: every image (no container is left), the anonymous
	// volume (not the named one), all the build cache.
	rep, err = e.PruneSystem(ctx, PruneAll(), PruneWithVolumes())
	require.NoError(t, err)
	assert.Empty(t, rep.Containers)
	assert.Equal(t, []string{anon}, rep.Volumes)
	assert.Contains(t, rep.Images, "Deleted: "+busybox.ID)
	assert.Contains(t, rep.Images, "Deleted: "+other.ID)
	assert.ElementsMatch(t, []string{kept, "files-0123.json"}, rep.BuildCache)
	du, err = e.DiskUsage(ctx)
	require.NoError(t, err)
	assert.Empty(t, du.Images)
	assert.Empty(t, du.Containers)
	assert.Len(t, du.Volumes, 1)
	assert.Empty(t, du.BuildCache)
	assert.Zero(t, du.LayersSize)
}

func TestHistory(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	c, err := e.Create(ctx, Config{Image: "busybox"})
	require.NoError(t, err)
	writeSized(t, e.path("containers", c.ID(), "upper", "new"), 100)
	img, err := c.Commit(ctx, "hist:1", CommitMessage("a change"), CommitChange("CMD [\"true\"]"))
	require.NoError(t, err)
	h, err := e.History(ctx, "hist:1")
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.Equal(t, img.ID, h[0].ID)
	assert.Equal(t, []string{"hist:1"}, h[0].Tags)
	assert.Equal(t, "a change", h[0].Comment)
	assert.Positive(t, h[0].Size, "the committed layer's size")
	assert.Equal(t, img.Created, h[0].Created)
	// The step before is the parent's, busybox.
	assert.Equal(t, busybox.ID, h[1].ID)
	assert.Equal(t, []string{"busybox:latest"}, h[1].Tags)
	assert.Equal(t, busybox.Size, h[1].Size)

	// An image with no parent in the store: its earlier steps have no ID.
	var buf bytes.Buffer
	require.NoError(t, e.Save(ctx, &buf, []string{"hist:1"}))
	other := openRoot(t, t.TempDir())
	_, err = other.Load(ctx, &buf)
	require.NoError(t, err)
	h, err = other.History(ctx, "hist:1")
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.Equal(t, img.ID, h[0].ID)
	assert.Empty(t, h[1].ID, "a step whose image is not in the store")
	_, err = e.History(ctx, "nope:1")
	assert.ErrorIs(t, err, ErrNotFound)
}
