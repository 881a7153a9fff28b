package dock

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A signal to a paused container: SIGKILL and the stop signal (any
// signal without one) unpause it, so that it gets it, as docker kill
// does; another signal waits for Unpause.
func TestSignalPaused(t *testing.T) {
	e := testEngine(t)
	// A container that stays frozen fails the test at this bound.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, tc := range []struct {
		name       string
		stopSignal string
		sig        syscall.Signal
		thaws      bool
	}{
		{"kill", "", syscall.SIGKILL, true},
		{"kill with a stop signal", "USR2", syscall.SIGKILL, true},
		{"no stop signal", "", syscall.SIGTERM, true},
		{"the stop signal", "USR2", syscall.SIGUSR2, true},
		{"another signal", "USR2", syscall.SIGTERM, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "trap 'exit 7' TERM USR2; echo trapped; sleep 600 & wait"}, StopSignal: tc.stopSignal})
			require.NoError(t, err)
			t.Cleanup(func() { c.Remove(context.Background(), RemoveForce()) })
			require.NoError(t, c.StartDetached(ctx))
			require.Eventually(t, func() bool {
				var out strings.Builder
				return c.Logs(ctx, &out, nil, LogOptions{}) == nil && out.String() == "trapped\n"
			}, time.Minute, 10*time.Millisecond, "the trap is set")
			require.NoError(t, c.Pause(ctx))
			require.NoError(t, c.Signal(ctx, tc.sig))
			st, err := c.State(ctx)
			require.NoError(t, err)
			if !tc.thaws {
				assert.Equal(t, StatusPaused, st.Status, "Signal(%v) with stop signal %q", tc.sig, tc.stopSignal)
				require.NoError(t, c.Unpause(ctx))
			}
			exit, err := c.Wait(ctx)
			require.NoError(t, err)
			if tc.sig == syscall.SIGKILL {
				assert.Equal(t, 9, exit.Signal, "Signal(KILL) with stop signal %q", tc.stopSignal)
			} else {
				assert.Equal(t, 7, exit.Code, "Signal(%v) with stop signal %q: the trap's exit", tc.sig, tc.stopSignal)
			}
		})
	}
}
