package dock

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestart: docker restart's meaning. A running container is stopped
// and started again detached (a new process, its log goes on), an exited
// one is started, an AutoRemove one is kept through the restart and
// still removed when it ends later, whether a monitor or the engine saw
// it exit.
func TestRestart(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	logs := func(c *Container) string {
		var b bytes.Buffer
		require.NoError(t, c.Logs(ctx, &b, &b, LogOptions{}))
		return b.String()
	}
	waitLog := func(c *Container, want string) {
		t.Helper()
		for i := 0; i < 500 && logs(c) != want; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		require.Equal(t, want, logs(c))
	}

	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo up; exec sleep 600"}})
	require.NoError(t, err)
	defer c.Remove(ctx, RemoveForce())
	require.NoError(t, c.StartDetached(ctx))
	waitLog(c, "up\n")
	before, err := c.State(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Restart(ctx, time.Second))
	after, err := c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusRunning, after.Status)
	assert.NotEqual(t, before.Pid, after.Pid, "a new process")
	assert.True(t, after.StartedAt.After(before.StartedAt))
	waitLog(c, "up\nup\n")

	// Exited: started.
	require.NoError(t, c.Stop(ctx, time.Second))
	require.NoError(t, c.Restart(ctx, time.Second))
	st, err := c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusRunning, st.Status)

	// AutoRemove, detached (the monitor sees the exit) and attached (the
	// engine does): kept through the restart, removed at the end.
	for _, detached := range []bool{true, false} {
		ar, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "600"}, AutoRemove: true})
		require.NoError(t, err)
		if detached {
			require.NoError(t, ar.StartDetached(ctx))
		} else {
			require.NoError(t, ar.Start(ctx))
		}
		require.NoError(t, ar.Restart(ctx, 0), "detached %v", detached)
		st, err := ar.State(ctx)
		require.NoError(t, err, "detached %v: kept", detached)
		assert.Equal(t, StatusRunning, st.Status, "detached %v", detached)
		require.NoError(t, ar.Stop(ctx, 0))
		gone := false
		for i := 0; i < 500 && !gone; i++ {
			_, err := e.Container(ar.ID())
			gone = errors.Is(err, ErrNotFound)
			time.Sleep(10 * time.Millisecond)
		}
		assert.True(t, gone, "detached %v: removed when it ended after the restart", detached)
	}

	// Removed: not found.
	require.NoError(t, c.Remove(ctx, RemoveForce()))
	assert.ErrorIs(t, c.Restart(ctx, 0), ErrNotFound)
}
