package dock

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCreateExec: the create step records exec_create then, and Start
// exec_start only; an exec still running when its container is removed
// records its exec_die before the container's destroy, with the host's
// PID namespace too (where the exec does not die with the init). A
// container that does not run, or a bad configuration, is refused.
func TestCreateExec(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for _, pid := range []string{"", "host"} {
		t.Run("pid="+pid, func(t *testing.T) {
			ch := watchEvents(t, e, func(ev *Event) bool { return ev.Type == EventContainer })
			c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "600"}, PID: pid})
			require.NoError(t, err)
			require.NoError(t, c.StartDetached(ctx))
			p, err := c.CreateExec(ctx, ExecConfig{Cmd: []string{"sleep", "300"}})
			require.NoError(t, err)
			got, _ := eventsUntil(t, ch, "container exec_create: sleep 300")
			assert.Equal(t, []string{"container create", "container start", "container exec_create: sleep 300"}, got)
			require.NoError(t, p.Start(ctx))
			require.NoError(t, c.Remove(ctx, RemoveForce()))
			// exec_die and the monitor's die come in either order.
			got, evs := eventsUntil(t, ch, "container destroy")
			assert.ElementsMatch(t, []string{"container exec_start: sleep 300", "container kill", "container exec_die", "container die", "container destroy"}, got)
			for _, ev := range evs {
				if strings.HasPrefix(ev.Action, "exec_") {
					assert.Equal(t, p.ID(), ev.Actor.Attributes["execID"], ev.Action)
				}
			}
			st, err := p.Wait(ctx)
			require.NoError(t, err)
			assert.Equal(t, 137, st.Code)
		})
	}

	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "600"}})
	require.NoError(t, err)
	t.Cleanup(func() { c.Remove(context.Background(), RemoveForce()) })
	_, err = c.CreateExec(ctx, ExecConfig{Cmd: []string{"true"}})
	assert.ErrorIs(t, err, ErrNotRunning)
	require.NoError(t, c.StartDetached(ctx))
	_, err = c.CreateExec(ctx, ExecConfig{})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = c.CreateExec(ctx, ExecConfig{Cmd: []string{"true"}, WorkingDir: "tmp"})
	assert.ErrorIs(t, err, ErrInvalid)
	require.NoError(t, c.Pause(ctx))
	_, err = c.CreateExec(ctx, ExecConfig{Cmd: []string{"true"}})
	assert.ErrorIs(t, err, ErrPaused)
}
