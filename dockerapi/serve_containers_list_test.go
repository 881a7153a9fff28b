package dockerapi

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// TestServeContainersListSeesOtherProcesses: the server's engine keeps
// what it read of each container between requests; what another process
// (here another engine on the same state directory, which shares nothing
// in memory) does to a container, and what the monitor records of a
// container that exits on its own, is in the next list.
func TestServeContainersListSeesOtherProcesses(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	other, err := dock.Open(a.engine.Root())
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })

	// row lists with all=1, twice (the second from what the first read
	// and kept, once a tick of the clock has passed: see dock's
	// containers_cache.go), and returns the container's row.
	row := func(step, id string) *container.Summary {
		t.Helper()
		var got *container.Summary
		for i := range 2 {
			if i == 1 {
				time.Sleep(20 * time.Millisecond) // the coarse clock passes the change's stamp
			}
			res, err := a.client.ContainerList(ctx, client.ContainerListOptions{All: true})
			require.NoError(t, err, step)
			var r *container.Summary
			for _, s := range res.Items {
				if s.ID == id {
					r = &s
				}
			}
			if i == 1 {
				require.Equal(t, got == nil, r == nil, "%s: listed the second time as the first", step)
				if r != nil {
					require.Equal(t, got.State, r.State, "%s: the second list as the first", step)
					require.Equal(t, got.Names, r.Names, "%s: the second list as the first", step)
				}
			}
			got = r
		}
		return got
	}
	running := func(step, id string) bool {
		t.Helper()
		res, err := a.client.ContainerList(ctx, client.ContainerListOptions{})
		require.NoError(t, err, step)
		for _, s := range res.Items {
			if s.ID == id {
				return true
			}
		}
		return false
	}

	c, err := other.Create(ctx, dock.Config{Image: "busybox", Name: "elsewhere", Cmd: []string{"sleep", "600"}})
	require.NoError(t, err)
	id := c.ID()
	r := row("created", id)
	require.NotNil(t, r, "created: listed")
	assert.Equal(t, container.StateCreated, r.State)
	assert.Equal(t, []string{"/elsewhere"}, r.Names)
	assert.False(t, running("created", id), "created: not in ps")

	require.NoError(t, c.StartDetached(ctx))
	assert.Equal(t, container.StateRunning, row("started", id).State)
	assert.True(t, running("started", id), "started: in ps")
	require.NoError(t, c.Pause(ctx))
	assert.Equal(t, container.StatePaused, row("paused", id).State)
	require.NoError(t, c.Unpause(ctx))
	assert.Equal(t, container.StateRunning, row("unpaused", id).State)
	require.NoError(t, c.Rename(ctx, "renamed-elsewhere"))
	assert.Equal(t, []string{"/renamed-elsewhere"}, row("renamed", id).Names)
	require.NoError(t, c.Kill(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	r = row("killed", id)
	assert.Equal(t, container.StateExited, r.State)
	assert.True(t, strings.HasPrefix(r.Status, "Exited (137) "), "killed: Status %q", r.Status)
	assert.False(t, running("killed", id), "killed: not in ps")
	require.NoError(t, c.Remove(ctx))
	assert.Nil(t, row("removed", id), "removed: not listed")

	// A detached container that exits on its own: its monitor records
	// the exit (in C), nobody else.
	c, err = other.Create(ctx, dock.Config{Image: "busybox", Cmd: []string{"sh", "-c", `trap "exit 3" USR1; while :; do sleep 0.05; done`}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	assert.Equal(t, container.StateRunning, row("running", c.ID()).State)
	st, err := c.State(ctx)
	require.NoError(t, err)
	testutil.WaitCaught(t, st.Pid, syscall.SIGUSR1)
	require.NoError(t, syscall.Kill(st.Pid, syscall.SIGUSR1))
	exitFile := filepath.Join(a.engine.Root(), "containers", c.ID(), "exit.json")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(exitFile); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the monitor never recorded the exit")
	}
	r = row("exited", c.ID())
	assert.Equal(t, container.StateExited, r.State)
	assert.True(t, strings.HasPrefix(r.Status, "Exited (3) "), "exited: Status %q", r.Status)
	assert.False(t, running("exited", c.ID()), "exited: not in ps")
}

// ListContainers leaves out by their state and ID, before it reads
// them, the containers that docker ps would not show (those that do not
// run, without All) or that the id, status and exited filters refuse; it
// keeps those that before and since name, which place the others. A
// container whose record cannot be read shows which it reads.
func TestListContainersReadsWhatItShows(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	var ids []string
	for _, name := range []string{"oldest", "middle", "broken"} {
		c, err := e.Create(ctx, dock.Config{Image: "busybox", Name: name})
		require.NoError(t, err)
		ids = append(ids, c.ID())
	}
	record := filepath.Join(e.Root(), "containers", ids[2], "config.json")
	data, err := os.ReadFile(record)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(record, []byte("{"), 0o600))
	defer os.WriteFile(record, data, 0o600)

	names := func(opts ContainerListOptions, filters ...string) []string {
		t.Helper()
		for _, f := range filters {
			require.NoError(t, opts.Filters.Set(f))
		}
		list, err := ListContainers(ctx, e, opts)
		require.NoError(t, err, "ListContainers(%+v)", opts)
		out := []string{}
		for _, lc := range list {
			out = append(out, lc.Info.Name)
		}
		return out
	}
	assert.Equal(t, []string{}, names(ContainerListOptions{}), "ps: none runs")
	assert.Equal(t, []string{}, names(ContainerListOptions{}, "status=exited"))
	assert.Equal(t, []string{}, names(ContainerListOptions{All: true}, "exited=0"))
	assert.Equal(t, []string{"oldest"}, names(ContainerListOptions{All: true}, "id="+ids[0][:12]))
	assert.Equal(t, []string{"oldest"}, names(ContainerListOptions{All: true}, "id="+ids[0][:12], "before=middle"))
	assert.Equal(t, []string{"middle"}, names(ContainerListOptions{All: true}, "id="+ids[1][:12], "since=oldest"))
	assert.Equal(t, []string{"middle", "oldest"}, names(ContainerListOptions{}, "status=created", "id="+ids[0][:12], "id="+ids[1][:12]))
	_, err = ListContainers(ctx, e, ContainerListOptions{All: true})
	assert.Error(t, err, "ps -a reads every record")
}
