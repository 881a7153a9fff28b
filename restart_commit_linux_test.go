package dock

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/procstat"
)

// A detached start whose init runs, exits and is reaped before the start
// commits (a short command on a busy machine) hands the exit to the
// restart policy all the same. The commit recorded neither the monitor
// nor the init's start time (it read them from the init's /proc entry,
// gone), and removed the exit the monitor had written; the monitor,
// turned into the policy's process, took the run for someone else's,
// or found the start's lock taken and yielded: the policy ended,
// silently (TestRestartPolicyBridge's flake).
func TestRestartPolicyInitExitsBeforeCommit(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox",
		// The first run waits for /go, which the held commit makes.
		Cmd:           []string{"sh", "-c", "until [ -e /go ]; do sleep 0.01; done; echo run; exit 3"},
		RestartPolicy: RestartPolicy{Name: "on-failure", MaximumRetryCount: 1}})
	require.NoError(t, err)
	testHookCommit = func(s *starting) { holdCommit(t, c, s.p.pid) }
	t.Cleanup(func() { testHookCommit = nil })
	require.NoError(t, c.StartDetached(ctx))
	testHookCommit = nil
	st := waitState(t, c, "exited after a restart", func(st State) bool {
		return st.Status == StatusExited && st.RestartCount == 1
	})
	assert.Equal(t, 3, st.Exit.Code, "%+v", st)
	assert.Empty(t, st.Exit.Err)
	assert.Equal(t, 2, runs(t, c), "the first run and the restart")
	assertNoHooks(t, c.ID())
}

// holdCommit holds a start's commit until its init (pid) has run and
// exited, and its monitor has become the restart policy's process and
// waits for the start's lock (or is gone, having yielded).
func holdCommit(t *testing.T, c *Container, pid int) {
	monitor, err := procstat.Parent(pid)
	require.NoError(t, err)
	monitorStart, err := procstat.StartTime(monitor)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(fmt.Sprintf("/proc/%d/root/go", pid), nil, 0o644))
	lock := c.dir("start.lock")
	holds := func() bool {
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", monitor))
		return slices.ContainsFunc(fds, func(fd string) bool { l, _ := os.Readlink(fd); return l == lock })
	}
	for deadline := time.Now().Add(30 * time.Second); procstat.Alive(monitor, monitorStart) && !holds(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("the monitor of %s never waited for the start's lock", c.ID()[:12])
			return
		}
	}
	require.False(t, procstat.Alive(pid, 0), "the init has exited")
}
