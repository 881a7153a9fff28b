package dock

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Volume labels are kept with the volume, shown by Volume and Volumes,
// and select what PruneVolumes removes.
func TestVolumeLabels(t *testing.T) {
	ctx := context.Background()
	e, err := Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })

	v, err := e.CreateVolume(ctx, "web", VolumeLabel("app", "web"), VolumeLabel("tier", "front"), VolumeLabel("tier", "edge"))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"app": "web", "tier": "edge"}, v.Labels)
	plain, err := e.CreateVolume(ctx, "plain")
	require.NoError(t, err)
	assert.Nil(t, plain.Labels)
	require.NoError(t, os.WriteFile(filepath.Join(plain.Mountpoint, "f"), []byte("12345"), 0o644))

	// An existing volume is returned as it is: the options change nothing.
	again, err := e.CreateVolume(ctx, "web", VolumeLabel("app", "other"))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"app": "web", "tier": "edge"}, again.Labels)

	vols, err := e.Volumes(ctx)
	require.NoError(t, err)
	require.Len(t, vols, 2)
	assert.Equal(t, "web", vols[1].Name)
	assert.Equal(t, "edge", vols[1].Labels["tier"])

	_, err = e.CreateVolume(ctx, "bad", VolumeLabel("", "x"))
	assert.ErrorIs(t, err, ErrInvalid, "VolumeLabel with no key")
	_, err = e.Volume(ctx, "bad")
	assert.ErrorIs(t, err, ErrNotFound, "a refused volume is not made")

	// PruneLabel narrows the prune; label! keeps the labelled ones.
	rep, err := e.PruneVolumes(ctx, PruneAll(), PruneLabel("app=nosuch", true))
	require.NoError(t, err)
	assert.Empty(t, rep.Deleted)
	rep, err = e.PruneVolumes(ctx, PruneAll(), PruneLabel("app", false))
	require.NoError(t, err)
	assert.Equal(t, []string{"plain"}, rep.Deleted)
	assert.Equal(t, int64(5), rep.SpaceReclaimed)
	rep, err = e.PruneVolumes(ctx, PruneAll(), PruneLabel("app=web", true))
	require.NoError(t, err)
	assert.Equal(t, []string{"web"}, rep.Deleted)

	_, err = e.PruneVolumes(ctx, PruneUntil(time.Now()))
	assert.ErrorIs(t, err, ErrInvalid, "PruneVolumes(PruneUntil)")
}

// PruneNetworks' filters: until the creation time, labels.
func TestPruneNetworksFilters(t *testing.T) {
	ctx := context.Background()
	e := testNetworks(t)
	old, err := e.CreateNetwork(ctx, "old", NetworkLabel("keep", "yes"))
	require.NoError(t, err)
	_, err = e.CreateNetwork(ctx, "plain")
	require.NoError(t, err)

	removed, err := e.PruneNetworks(ctx, PruneUntil(old.Created))
	require.NoError(t, err)
	assert.Empty(t, removed, "nothing was created before the first")
	removed, err = e.PruneNetworks(ctx, PruneLabel("keep", false))
	require.NoError(t, err)
	assert.Equal(t, []string{"plain"}, removed)
	removed, err = e.PruneNetworks(ctx, PruneLabel("keep=no", true))
	require.NoError(t, err)
	assert.Empty(t, removed)
	removed, err = e.PruneNetworks(ctx, PruneLabel("keep=yes", true), PruneUntil(time.Now().Add(time.Hour)))
	require.NoError(t, err)
	assert.Equal(t, []string{"old"}, removed)
	_, err = e.PruneNetworks(ctx, PruneAll())
	assert.ErrorIs(t, err, ErrInvalid)
}
