package dock

import (
	"archive/tar"
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// PruneContainers removes the created and exited containers, newest
// first, with the size of their layers, keeps the running ones and the
// volumes, and narrows to PruneUntil and PruneLabel.
func TestPruneContainers(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	create := func(cfg Config) *Container {
		t.Helper()
		cfg.Image = "busybox"
		c, err := e.Create(ctx, cfg)
		require.NoError(t, err)
		return c
	}
	created := create(Config{Cmd: []string{"true"}, Labels: map[string]string{"app": "x"}})
	exited := create(Config{Cmd: []string{"sh", "-c", "head -c 3000 /dev/zero > /f"}, Mounts: []Mount{{Type: "volume", Target: "/data"}}})
	require.NoError(t, exited.Start(ctx))
	_, err := exited.Wait(ctx)
	require.NoError(t, err)
	running := create(Config{Cmd: []string{"sleep", "60"}})
	require.NoError(t, running.Start(ctx))
	kept := create(Config{Cmd: []string{"true"}, Labels: map[string]string{"keep": ""}})
	volumes, err := e.Volumes(ctx)
	require.NoError(t, err)
	require.Len(t, volumes, 1)

	// Options the prune does not take, and those the others do not.
	_, err = e.PruneContainers(ctx, PruneAll())
	assert.ErrorIs(t, err, ErrInvalid, "PruneContainers(PruneAll())")
	_, err = e.PruneContainers(ctx, PruneLabel("=x", true))
	assert.ErrorIs(t, err, ErrInvalid, "PruneContainers(PruneLabel(=x))")
	_, err = e.PruneSystem(ctx, PruneUntil(time.Now()))
	assert.ErrorIs(t, err, ErrInvalid, "PruneSystem(PruneUntil)")
	_, err = e.PruneVolumes(ctx, PruneUntil(time.Now()))
	assert.ErrorIs(t, err, ErrInvalid, "PruneVolumes(PruneUntil)")
	_, err = e.PruneNetworks(ctx, PruneAll())
	assert.ErrorIs(t, err, ErrInvalid, "PruneNetworks(PruneAll)")

	// Only what was created before the first: nothing.
	rep, err := e.PruneContainers(ctx, PruneUntil(time.Unix(1, 0)))
	require.NoError(t, err)
	assert.Empty(t, rep.Deleted, "PruneContainers(PruneUntil(1970))")
	// label=app=y and label=app: none has the first.
	rep, err = e.PruneContainers(ctx, PruneLabel("app=y", true), PruneLabel("app", true))
	require.NoError(t, err)
	assert.Empty(t, rep.Deleted, "PruneContainers(label app=y)")

	info, err := created.Inspect(ctx)
	require.NoError(t, err)
	rep, err = e.PruneContainers(ctx, PruneUntil(info.Created))
	require.NoError(t, err)
	assert.Empty(t, rep.Deleted, "PruneContainers(until the first's creation)")

	rep, err = e.PruneContainers(ctx, PruneLabel("keep", false))
	require.NoError(t, err)
	assert.Equal(t, []string{exited.ID(), created.ID()}, rep.Deleted, "PruneContainers(label!=keep)")
	assert.GreaterOrEqual(t, rep.SpaceReclaimed, int64(3000))
	for _, c := range []*Container{created, exited} {
		_, err := e.Container(c.ID())
		assert.ErrorIs(t, err, ErrNotFound, "a pruned container")
	}
	volumes, err = e.Volumes(ctx)
	require.NoError(t, err)
	assert.Len(t, volumes, 1, "the pruned container's anonymous volume is kept")

	rep, err = e.PruneContainers(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{kept.ID()}, rep.Deleted)
	assert.Zero(t, rep.SpaceReclaimed)
	st, err := running.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusRunning, st.Status, "the running container")

	rep, err = e.PruneContainers(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{}, rep.Deleted, "nothing left to prune")
}

// The filters of PruneContainers: not running, created before until,
// docker's label (all) and label! (not all).
func TestPruneSelects(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	info := func(st Status, labels map[string]string) *Info {
		return &Info{Created: t0, State: State{Status: st}, Config: Config{Labels: labels}}
	}
	ab := map[string]string{"a": "1", "b": "2"}
	for _, tc := range []struct {
		name string
		opts []PruneOption
		info *Info
		want bool
	}{
		{"exited", nil, info(StatusExited, nil), true},
		{"created", nil, info(StatusCreated, nil), true},
		{"running", nil, info(StatusRunning, nil), false},
		{"paused", nil, info(StatusPaused, nil), false},
		{"until after", []PruneOption{PruneUntil(t0.Add(time.Second))}, info(StatusExited, nil), true},
		{"until at", []PruneOption{PruneUntil(t0)}, info(StatusExited, nil), false},
		{"label key", []PruneOption{PruneLabel("a", true)}, info(StatusExited, ab), true},
		{"label key=value", []PruneOption{PruneLabel("a=1", true)}, info(StatusExited, ab), true},
		{"label other value", []PruneOption{PruneLabel("a=2", true)}, info(StatusExited, ab), false},
		{"label all", []PruneOption{PruneLabel("a", true), PruneLabel("c", true)}, info(StatusExited, ab), false},
		{"label missing", []PruneOption{PruneLabel("c", true)}, info(StatusExited, nil), false},
		{"label! has it", []PruneOption{PruneLabel("a", false)}, info(StatusExited, ab), false},
		{"label! lacks it", []PruneOption{PruneLabel("c", false)}, info(StatusExited, ab), true},
		{"label! has all", []PruneOption{PruneLabel("a", false), PruneLabel("b=2", false)}, info(StatusExited, ab), false},
		{"label! has not all", []PruneOption{PruneLabel("a", false), PruneLabel("c", false)}, info(StatusExited, ab), true},
		{"label and label!", []PruneOption{PruneLabel("a", true), PruneLabel("b=3", false)}, info(StatusExited, ab), true},
	} {
		o, err := applyPruneOptions(tc.opts)
		require.NoError(t, err)
		if got := o.selects(tc.info); got != tc.want {
			t.Errorf("%s: selects(%+v) = %v, want %v", tc.name, tc.info.Config.Labels, got, tc.want)
		}
	}
	_, err := applyPruneOptions([]PruneOption{PruneUntil(time.Time{})})
	assert.ErrorIs(t, err, ErrInvalid, "PruneUntil(zero)")
}

// Prune takes PruneUntil and PruneLabel as docker image prune's until and
// label filters.
func TestPruneImagesFilters(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(ref string, created time.Time, labels map[string]string) {
		t.Helper()
		var buf bytes.Buffer
		require.NoError(t, tar.NewWriter(&buf).Close())
		_, err := e.Import(ctx, &buf, ref, ImportConfig(ocispec.ImageConfig{Labels: labels}), ImportCreated(created))
		require.NoError(t, err)
	}
	mk("a", old, map[string]string{"team": "x"})
	mk("b", old, map[string]string{"team": "y"})
	mk("c", time.Now(), map[string]string{"team": "y"})
	tags := func() []string {
		imgs, err := e.Images(ctx)
		require.NoError(t, err)
		var out []string
		for _, img := range imgs {
			out = append(out, img.RepoTags...)
		}
		slices.Sort(out)
		return out
	}

	rep, err := e.Prune(ctx, PruneAll(), PruneLabel("team=x", true))
	require.NoError(t, err)
	require.Contains(t, rep.Deleted, "Untagged: a:latest")
	require.Equal(t, []string{"b:latest", "busybox:latest", "c:latest"}, tags())

	_, err = e.Prune(ctx, PruneAll(), PruneLabel("team", true), PruneUntil(old.Add(time.Hour)))
	require.NoError(t, err)
	require.Equal(t, []string{"busybox:latest", "c:latest"}, tags(), "until keeps the newer c")

	_, err = e.Prune(ctx, PruneAll(), PruneLabel("team", false))
	require.NoError(t, err)
	require.Equal(t, []string{"c:latest"}, tags(), "label! removes those without the label")
}
