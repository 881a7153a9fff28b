package dockerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// The library's ErrPaused is Docker's 409, wherever it comes from (an
// exec or attach that meets a pause after the handler's check).
func TestServePausedStatus(t *testing.T) {
	err := fmt.Errorf("exec: container 0123456789ab: %w", dock.ErrPaused)
	assert.Equal(t, http.StatusConflict, statusOf(err), "statusOf(%v)", err)
}

// A paused container through the API, as Docker answers: kill and stop
// end it (Docker unpauses it for the signal), restart runs it again;
// remove without force, exec create and exec start are Docker's 409s.
func TestServePaused(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	paused := func(name string) *dock.Container {
		t.Helper()
		c := createBusybox(t, a, dock.Config{Name: name, Cmd: []string{"sleep", "600"}})
		require.NoError(t, c.StartDetached(ctx))
		require.NoError(t, c.Pause(ctx))
		return c
	}
	statusIs := func(c *dock.Container, want dock.Status, what string) {
		t.Helper()
		st, err := c.State(ctx)
		require.NoError(t, err)
		require.Equal(t, want, st.Status, what)
	}

	t.Run("kill", func(t *testing.T) {
		c := paused("k")
		status, _, body := a.do(t, "POST", "/containers/k/kill", "")
		require.Equal(t, http.StatusNoContent, status, body)
		exit, err := c.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, 9, exit.Signal, "killed")
	})
	t.Run("kill with a signal", func(t *testing.T) {
		// No stop signal: Docker unpauses it for any signal (which
		// sleep, its PID 1, ignores).
		c := paused("ks")
		status, _, body := a.do(t, "POST", "/containers/ks/kill?signal=SIGTERM", "")
		require.Equal(t, http.StatusNoContent, status, body)
		statusIs(c, dock.StatusRunning, "unpaused by the signal")
	})
	for _, query := range []string{"t=1", "t=1&signal=SIGTERM"} {
		t.Run("stop "+query, func(t *testing.T) {
			c := paused("s")
			t.Cleanup(func() { c.Remove(context.Background(), dock.RemoveForce()) })
			status, _, body := a.do(t, "POST", "/containers/s/stop?"+query, "")
			require.Equal(t, http.StatusNoContent, status, body)
			statusIs(c, dock.StatusExited, "stopped")
		})
	}
	t.Run("restart", func(t *testing.T) {
		c := paused("r")
		status, _, body := a.do(t, "POST", "/containers/r/restart?t=1", "")
		require.Equal(t, http.StatusNoContent, status, body)
		statusIs(c, dock.StatusRunning, "restarted")
	})
	t.Run("remove", func(t *testing.T) {
		c := paused("rm")
		status, _, body := a.do(t, "DELETE", "/containers/rm", "")
		requireError(t, status, body, http.StatusConflict, `cannot remove container "/rm": container is paused and must be unpaused first`)
		statusIs(c, dock.StatusPaused, "not removed")
		status, _, body = a.do(t, "DELETE", "/containers/rm?force=1", "")
		require.Equal(t, http.StatusNoContent, status, body)
	})
	t.Run("exec", func(t *testing.T) {
		c := createBusybox(t, a, dock.Config{Name: "x", Cmd: []string{"sleep", "600"}})
		require.NoError(t, c.StartDetached(ctx))
		status, _, body := a.do(t, "POST", "/containers/x/exec", `{"Cmd":["true"]}`)
		require.Equal(t, http.StatusCreated, status, body)
		var created container.ExecCreateResponse
		require.NoError(t, json.Unmarshal([]byte(body), &created))
		require.NoError(t, c.Pause(ctx))
		status, _, body = a.do(t, "POST", "/containers/x/exec", `{"Cmd":["true"]}`)
		requireError(t, status, body, http.StatusConflict, "Container x is paused, unpause the container before exec")
		status, _, body = a.do(t, "POST", "/exec/"+created.ID+"/start", `{"Detach":true}`)
		requireError(t, status, body, http.StatusConflict, "Container "+c.ID()+" is paused, unpause the container before exec")
		statusIs(c, dock.StatusPaused, "still paused")
	})
}
