//go:build linux

package dock

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/nettest"
)

func TestRename(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	ch := watchEvents(t, e, func(ev *Event) bool { return ev.Action == "rename" })
	a, err := e.Create(ctx, Config{Image: "busybox", Name: "ren-a"})
	require.NoError(t, err)
	b, err := e.Create(ctx, Config{Image: "busybox", Name: "ren-b"})
	require.NoError(t, err)

	for _, tc := range []struct {
		name, want string
		is         error
	}{
		{"ren-b", `Conflict. The container name "/ren-b" is already in use by container "` + b.ID() + `". You have to remove (or rename) that container to be able to reuse that name.`, ErrExist},
		{"/ren-b", `Conflict. The container name "/ren-b"`, ErrExist},
		{"ren-a", "Renaming a container with the same name as its current name", ErrInvalid},
		{"", "Neither old nor new names may be empty", ErrInvalid},
		{"bad name", "Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", ErrInvalid},
	} {
		err := a.Rename(ctx, tc.name)
		require.Error(t, err, "Rename(%q)", tc.name)
		assert.Contains(t, err.Error(), tc.want, "Rename(%q)", tc.name)
		assert.ErrorIs(t, err, tc.is, "Rename(%q)", tc.name)
	}

	require.NoError(t, a.Rename(ctx, "/ren-c"))
	// Every reader sees the new name: lookups, Inspect (this handle's,
	// which Create made, and a new one's), the list, another engine.
	got, err := e.Container("ren-c")
	require.NoError(t, err)
	assert.Equal(t, a.ID(), got.ID(), "Container(new name)")
	_, err = e.Container("ren-a")
	assert.ErrorIs(t, err, ErrNotFound, "Container(old name)")
	info, err := a.Inspect(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ren-c", info.Name)
	assert.Equal(t, "ren-c", info.Config.Name)
	rec, err := a.knownRecord()
	require.NoError(t, err)
	assert.Equal(t, "ren-c", rec.Name, "the record Create's handle starts with")
	list, err := e.Containers(ctx)
	require.NoError(t, err)
	var names []string
	for _, i := range list {
		names = append(names, i.Name)
	}
	assert.ElementsMatch(t, []string{"ren-b", "ren-c"}, names)
	other := openRoot(t, e.Root())
	got, err = other.Container("ren-c")
	require.NoError(t, err)
	assert.Equal(t, a.ID(), got.ID(), "another engine's Container(new name)")

	// The old name is free, the new one taken.
	_, err = e.Create(ctx, Config{Image: "busybox", Name: "ren-a"})
	assert.NoError(t, err, "Create with the old name")
	_, err = e.Create(ctx, Config{Image: "busybox", Name: "ren-c"})
	var conflict *nameConflict
	assert.True(t, errors.As(err, &conflict), "Create with the new name: %v", err)

	// One event, for the rename that happened.
	_, evs := eventsUntil(t, ch, "container rename")
	assert.Equal(t, a.ID(), evs[0].Actor.ID)
	assert.Equal(t, "ren-c", evs[0].Actor.Attributes["name"])
	assert.Equal(t, "ren-a", evs[0].Actor.Attributes["oldName"])
}

func TestRenameNetworkName(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	_, err := e.CreateNetwork(ctx, "renames", NetworkSubnet("10.61.0.0/24"))
	require.NoError(t, err)
	c := startDetached(t, e, Config{Name: "ren-old", Network: "renames", IPv4Address: mustAddr("10.61.0.20"), Cmd: []string{"sleep", "60"}})
	require.NoError(t, c.Rename(ctx, "ren-new"))
	// The name server reloads the state as it changes: allow it a moment.
	got := sh(t, e, Config{Network: "renames"}, `for i in $(seq 100); do nslookup ren-new >/dev/null 2>&1 && break; sleep 0.1; done
		for n in ren-new ren-old; do nslookup $n >/dev/null 2>&1 && echo $n found || echo $n none; done`)
	assert.Equal(t, "ren-new found\nren-old none\n", got)
	require.NoError(t, c.Remove(ctx, RemoveForce()))
	require.NoError(t, e.RemoveNetwork(ctx, "renames"))
	assertNoNetLeak(t, before)
}

// A detached container's monitor, which writes the die (and with
// AutoRemove the destroy), writes the name the container has when it
// exits, not the one it started with.
func TestRenameDetachedEvents(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	// The engine's stop and the monitor's destroy may come in either
	// order: only the monitor's events are followed.
	ch := watchEvents(t, e, func(ev *Event) bool {
		return ev.Type == EventContainer && (ev.Action == "rename" || ev.Action == "die" || ev.Action == "destroy")
	})
	c, err := e.Create(ctx, Config{Image: "busybox", Name: "ren-before", Cmd: []string{"sleep", "100"}, AutoRemove: true})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	require.NoError(t, c.Rename(ctx, "ren-after"))
	require.NoError(t, c.Stop(ctx, 0))
	got, evs := eventsUntil(t, ch, "container destroy")
	require.Equal(t, []string{"container rename", "container die", "container destroy"}, got)
	for _, ev := range evs {
		assert.Equal(t, "ren-after", ev.Actor.Attributes["name"], "%s event's name", ev.Action)
	}
}
