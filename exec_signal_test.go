package dock

import (
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExecSignalKill: SIGKILL ends the exec's process itself (the relay
// cannot forward it), and nothing of it is left in the container.
func TestExecSignalKill(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "60"}})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	defer c.Remove(ctx, RemoveForce())

	p := c.Exec(ExecConfig{Cmd: []string{"sleep", "601"}})
	require.NoError(t, p.Start(ctx))
	require.NoError(t, p.Signal(syscall.SIGKILL))
	st, err := p.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 137, st.Code)

	ps := c.Exec(ExecConfig{Cmd: []string{"ps", "-o", "args"}})
	var out bytes.Buffer
	ps.Stdout = &out
	require.NoError(t, ps.Start(ctx))
	_, err = ps.Wait(ctx)
	require.NoError(t, err)
	assert.False(t, strings.Contains(out.String(), "sleep 601"), "left in the container:\n%s", out.String())
}
