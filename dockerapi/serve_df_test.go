package dockerapi

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

func TestServeDiskUsage(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	v, err := a.engine.CreateVolume(ctx, "dfvol")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("0123456789"), 0o644))
	_, err = a.engine.CreateVolume(ctx, "idle")
	require.NoError(t, err)
	_, err = a.engine.Create(ctx, dock.Config{Image: "busybox", Name: "stopped", Cmd: []string{"true"},
		Mounts: []dock.Mount{{Type: "volume", Source: "dfvol", Target: "/data"}}})
	require.NoError(t, err)
	runningContainer(t, a, "running")

	// The Go client, at the newest version: counts and sizes, the
	// objects with verbose.
	all := client.DiskUsageOptions{Containers: true, Images: true, Volumes: true, BuildCache: true, Verbose: true}
	du, err := a.client.DiskUsage(ctx, all)
	require.NoError(t, err)
	assert.EqualValues(t, 1, du.Images.TotalCount)
	assert.EqualValues(t, 1, du.Images.ActiveCount)
	assert.Positive(t, du.Images.TotalSize)
	require.Len(t, du.Images.Items, 1)
	assert.EqualValues(t, 2, du.Images.Items[0].Containers)
	assert.Equal(t, []string{"busybox:latest"}, du.Images.Items[0].RepoTags)
	assert.EqualValues(t, 2, du.Containers.TotalCount)
	assert.EqualValues(t, 1, du.Containers.ActiveCount)
	require.Len(t, du.Containers.Items, 2)
	assert.EqualValues(t, 2, du.Volumes.TotalCount)
	assert.EqualValues(t, 1, du.Volumes.ActiveCount)
	assert.EqualValues(t, 10, du.Volumes.TotalSize)
	assert.EqualValues(t, 0, du.Volumes.Reclaimable, "the used volume holds the bytes")
	i := slices.IndexFunc(du.Volumes.Items, func(v volume.Volume) bool { return v.Name == "dfvol" })
	require.GreaterOrEqual(t, i, 0)
	assert.EqualValues(t, 10, du.Volumes.Items[i].UsageData.Size)
	assert.EqualValues(t, 1, du.Volumes.Items[i].UsageData.RefCount)
	assert.EqualValues(t, 0, du.BuildCache.TotalCount)

	// Without verbose: no objects.
	du, err = a.client.DiskUsage(ctx, client.DiskUsageOptions{Volumes: true})
	require.NoError(t, err)
	assert.EqualValues(t, 2, du.Volumes.TotalCount)
	assert.Nil(t, du.Volumes.Items)

	// A client at 1.51 reads the lists and gets the same counts.
	old, err := client.New(client.WithHost("unix://"+a.sock), client.WithAPIVersion("1.51"))
	require.NoError(t, err)
	defer old.Close()
	legacy, err := old.DiskUsage(ctx, all)
	require.NoError(t, err)
	assert.EqualValues(t, 1, legacy.Images.ActiveCount)
	assert.EqualValues(t, 2, legacy.Containers.TotalCount)
	assert.EqualValues(t, 1, legacy.Containers.ActiveCount)
	assert.EqualValues(t, 10, legacy.Volumes.TotalSize)

	// The shapes on the wire, by version.
	keys := func(path string) map[string]json.RawMessage {
		t.Helper()
		status, _, body := a.do(t, http.MethodGet, path, "")
		require.Equal(t, http.StatusOK, status, body)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(body), &m))
		return m
	}
	m := keys("/v1.51/system/df")
	assert.ElementsMatch(t, []string{"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}, mapKeys(m))
	m = keys("/v1.51/system/df?type=volume")
	assert.JSONEq(t, "null", string(m["Images"]), "not asked for")
	assert.Contains(t, string(m["Volumes"]), `"UsageData":{"RefCount":1,"Size":10}`)
	m = keys("/v1.52/system/df")
	assert.ElementsMatch(t, []string{"LayersSize", "Images", "Containers", "Volumes", "BuildCache",
		"ImageUsage", "ContainerUsage", "VolumeUsage", "BuildCacheUsage"}, mapKeys(m))
	m = keys("/v1.52/system/df?verbose=1")
	assert.ElementsMatch(t, []string{"ImageUsage", "ContainerUsage", "VolumeUsage", "BuildCacheUsage"}, mapKeys(m))
	m = keys("/v1.53/system/df?type=volume&type=container")
	assert.ElementsMatch(t, []string{"VolumeUsage", "ContainerUsage"}, mapKeys(m))
	assert.NotContains(t, string(m["VolumeUsage"]), "Items")

	status, _, body := a.do(t, http.MethodGet, "/system/df?type=nope", "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"message":"unknown object type: nope"}`, body)
}

func mapKeys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
