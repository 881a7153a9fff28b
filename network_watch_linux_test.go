package dock

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/nettest"
)

// killAndCheckExit kills c (since its start: it exits by itself) and
// checks, at its die (which its monitor writes once the network is back),
// that its endpoint is gone, and once Wait returns, that its published
// port, if any, is free; it reports whether the hook's marker is left (the
// monitor's hook took the network back, not an engine).
func killAndCheckExit(t *testing.T, e *Engine, c *Container, port int, since time.Time) (markerLeft bool) {
	t.Helper()
	ctx := context.Background()
	if since.IsZero() {
		since = time.Now()
		require.NoError(t, c.Kill(ctx))
	}
	for _, err := range e.Events(ctx, EventOptions{Since: since, Filter: func(ev *Event) bool {
		return ev.Actor.ID == c.ID() && ev.Action == "die"
	}}) {
		require.NoError(t, err)
		s, err := netStore.Read()
		require.NoError(t, err)
		for _, n := range s.Networks {
			assert.Nil(t, n.Endpoint(c.ID()), "the endpoint at the die, on %s", n.Name)
		}
		break
	}
	_, err := c.Wait(ctx)
	require.NoError(t, err)
	if port > 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort("", itoa(port)))
		require.NoError(t, err, "the published port once the exit is recorded")
		ln.Close()
	}
	_, err = os.Stat(c.dir(hookMarker))
	return err == nil
}

// The engine that started a detached container takes its network back at
// the exit, in its own process (the marker goes with it), before the
// exit is recorded; so does the monitor's hook once that engine is closed
// (the marker stays: the hook leaves it).
func TestNetworkWatch(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ports := []PortMapping{{HostPort: 8091, ContainerPort: 80}}
	for i := range 3 {
		c := startDetached(t, e, Config{Network: "bridge", Cmd: []string{"sleep", "600"}, Ports: ports})
		assert.False(t, killAndCheckExit(t, e, c, 8091, time.Time{}), "run %d: the hook's marker left: the engine did not take the network back", i)
		require.NoError(t, c.Remove(context.Background()))
	}
	// Runs so short that the init is gone before the start commits.
	for i := range 5 {
		since := time.Now()
		c := startDetached(t, e, Config{Network: "bridge", Cmd: []string{"true"}, Ports: ports})
		assert.False(t, killAndCheckExit(t, e, c, 8091, since), "short run %d: the hook's marker left: the engine did not take the network back", i)
		require.NoError(t, c.Remove(context.Background()))
	}

	closed, err := Open(e.Root())
	require.NoError(t, err)
	started := startDetached(t, closed, Config{Network: "bridge", Cmd: []string{"sleep", "600"}, Ports: ports})
	require.NoError(t, closed.Close())
	c, err := e.Container(started.ID())
	require.NoError(t, err)
	assert.True(t, killAndCheckExit(t, e, c, 8091, time.Time{}), "the marker gone: the closed engine took the network back")
	require.NoError(t, c.Remove(context.Background()))
	assertNoNetLeak(t, before)
}

// An engine gone while it watches (its program exited without Close, or
// was killed) leaves the network to the hook: its lock went with it, the
// monitor does not wait for it.
func TestNetworkWatchEngineGone(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DOCK_TEST_HELPER=start-detached", "DOCK_TEST_ROOT="+e.Root(), "DOCK_TEST_NETWORK=bridge")
	out, err := cmd.Output()
	require.NoError(t, err)
	c, err := e.Container(strings.TrimSpace(string(out)))
	require.NoError(t, err)
	t.Cleanup(func() { c.Remove(context.Background(), RemoveForce()) })
	assert.True(t, killAndCheckExit(t, e, c, 0, time.Time{}), "the marker gone: the engine gone took the network back")
	require.NoError(t, c.Remove(context.Background()))
	assertNoNetLeak(t, before)
}
