package dock

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/nettest"
)

// Docker's messages for restart policies it refuses, at Create.
func TestRestartPolicyValidate(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		policy RestartPolicy
		rm     bool
		want   string // "" when valid
	}{
		{RestartPolicy{}, false, ""},
		{RestartPolicy{Name: "no"}, false, ""},
		{RestartPolicy{Name: "always"}, false, ""},
		{RestartPolicy{Name: "unless-stopped"}, false, ""},
		{RestartPolicy{Name: "on-failure"}, false, ""},
		{RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}, false, ""},
		{RestartPolicy{Name: "no"}, true, ""},
		{RestartPolicy{Name: "on-failure", MaximumRetryCount: -1}, false, "invalid restart policy: maximum retry count cannot be negative"},
		{RestartPolicy{Name: "always", MaximumRetryCount: 2}, false, "invalid restart policy: maximum retry count can only be used with 'on-failure'"},
		{RestartPolicy{Name: "unless-stopped", MaximumRetryCount: -2}, false, "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative"},
		{RestartPolicy{Name: "sometimes"}, false, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"},
		{RestartPolicy{Name: "always"}, true, "can't create 'AutoRemove' container with restart policy"},
	} {
		t.Run(fmt.Sprintf("%s:%d,rm=%v", tc.policy.Name, tc.policy.MaximumRetryCount, tc.rm), func(t *testing.T) {
			c, err := e.Create(ctx, Config{Image: "busybox", RestartPolicy: tc.policy, AutoRemove: tc.rm})
			if tc.want == "" {
				require.NoError(t, err)
				require.NoError(t, c.Remove(ctx))
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	noContainers(t, e)
}

// The decisions of the restart manager, Docker's.
func TestRestartPolicyDecisions(t *testing.T) {
	for _, tc := range []struct {
		policy        RestartPolicy
		code, count   int
		stopped       bool
		restart, boot bool
	}{
		{RestartPolicy{}, 1, 0, false, false, false},
		{RestartPolicy{Name: "no"}, 1, 0, false, false, false},
		{RestartPolicy{Name: "always"}, 0, 5, false, true, true},
		{RestartPolicy{Name: "always"}, 0, 0, true, false, true},
		{RestartPolicy{Name: "unless-stopped"}, 0, 0, false, true, true},
		{RestartPolicy{Name: "unless-stopped"}, 1, 0, true, false, false},
		{RestartPolicy{Name: "on-failure"}, 0, 0, false, false, false},
		{RestartPolicy{Name: "on-failure"}, 1, 100, false, true, true},
		{RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}, 1, 1, false, true, true},
		{RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}, 1, 2, false, false, false},
		{RestartPolicy{Name: "on-failure"}, 1, 0, true, false, false},
	} {
		if got := tc.policy.restarts(tc.code, tc.stopped, tc.count); got != tc.restart {
			t.Errorf("%+v.restarts(%d, %v, %d) = %v, want %v", tc.policy, tc.code, tc.stopped, tc.count, got, tc.restart)
		}
		if got := tc.policy.restoredAtBoot(tc.code, tc.stopped, tc.count); got != tc.boot {
			t.Errorf("%+v.restoredAtBoot(%d, %v, %d) = %v, want %v", tc.policy, tc.code, tc.stopped, tc.count, got, tc.boot)
		}
	}
	ms := time.Millisecond
	for _, tc := range []struct{ prev, ran, want time.Duration }{
		{0, 0, 100 * ms},
		{100 * ms, time.Second, 200 * ms},
		{200 * ms, 9 * time.Second, 400 * ms},
		{400 * ms, 10 * time.Second, 100 * ms},
		{40 * time.Second, 0, time.Minute},
		{time.Minute, 0, time.Minute},
	} {
		if got := nextBackoff(tc.prev, tc.ran); got != tc.want {
			t.Errorf("nextBackoff(%v, %v) = %v, want %v", tc.prev, tc.ran, got, tc.want)
		}
	}
}

// waitState polls the container's state until ok holds (at most 30 s).
func waitState(t *testing.T, c *Container, what string, ok func(State) bool) State {
	t.Helper()
	var st State
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		st, err = c.State(context.Background())
		require.NoError(t, err)
		if ok(st) {
			return st
		}
	}
	t.Fatalf("container %s: %s: never; last state %+v", c.ID()[:12], what, st)
	return st
}

// hookProcesses lists the processes that run a restart or health hook of
// the container (or its monitor turned into one).
func hookProcesses(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	envs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, f := range envs {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(data, []byte{0}) {
			if v, ok := strings.CutPrefix(string(kv), "_DOCK_HOOK="); ok && strings.Contains(v, id) {
				out = append(out, filepath.Base(filepath.Dir(f))+": "+v)
			}
		}
	}
	return out
}

// assertNoHooks waits (at most 30 s) for the container's hooks to end:
// one that just recorded the final state may still be exiting.
func assertNoHooks(t *testing.T, id string) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if left = hookProcesses(t, id); len(left) == 0 {
			return
		}
	}
	t.Errorf("hook processes of %s left: %v", id[:12], left)
}

// runs counts the runs of a container that logs "run" once per run.
func runs(t *testing.T, c *Container) int {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, c.Logs(context.Background(), &out, &out, LogOptions{}))
	return strings.Count(out.String(), "run\n")
}

// waitRuns waits (at most 30 s) until the container has logged n runs.
// A failure says what happened: the log of every run and the state (a
// policy's start that failed ends it, its error in State.Exit.Err).
func waitRuns(t *testing.T, c *Container, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); runs(t, c) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			var out bytes.Buffer
			require.NoError(t, c.Logs(context.Background(), &out, &out, LogOptions{Timestamps: true}))
			st, err := c.State(context.Background())
			require.NoError(t, err)
			t.Fatalf("container %s: %d runs, want %d; state %+v; log:\n%s", c.ID()[:12], runs(t, c), n, st, out.String())
		}
	}
}

// on-failure:2 restarts a failing container twice, then leaves it exited
// with RestartCount 2; the waits between are the policy's.
func TestRestartPolicyOnFailure(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo run; exit 3"},
		RestartPolicy: RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	st := waitState(t, c, "exited after 2 restarts", func(st State) bool {
		return st.Status == StatusExited && st.RestartCount == 2
	})
	assertNoHooks(t, c.ID())
	st, err = c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusExited, st.Status)
	assert.Equal(t, 2, st.RestartCount)
	assert.Equal(t, 3, st.Exit.Code)
	assert.Equal(t, 3, runs(t, c), "the first run and two restarts")
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, info.State.RestartCount)

	// A user's start sets the count back.
	require.NoError(t, c.StartDetached(ctx))
	st, err = c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, st.RestartCount)
	require.NoError(t, c.Remove(ctx, RemoveForce()))
	assertNoHooks(t, c.ID())
	assert.Empty(t, dockCgroups(t, c.ID()))
}

// A container with a terminal gets a new one at each restart.
func TestRestartPolicyTTY(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Tty: true, Cmd: []string{"sh", "-c", "tty && echo run; exit 1"},
		RestartPolicy: RestartPolicy{Name: "on-failure", MaximumRetryCount: 1}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	waitState(t, c, "exited after a restart", func(st State) bool {
		return st.Status == StatusExited && st.RestartCount == 1
	})
	assertNoHooks(t, c.ID())
	var out bytes.Buffer
	require.NoError(t, c.Logs(ctx, &out, &out, LogOptions{}))
	assert.Equal(t, "/dev/pts/0\r\nrun\r\n/dev/pts/0\r\nrun\r\n", out.String())
}

// always restarts a container that exited 0; Wait returns at an exit;
// Stop ends the restarts, whether the container runs or waits to
// restart.
func TestRestartPolicyAlways(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for _, policy := range []string{"always", "unless-stopped"} {
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo run"},
			RestartPolicy: RestartPolicy{Name: policy}})
		require.NoError(t, err)
		require.NoError(t, c.StartDetached(ctx))
		ex, err := c.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, 0, ex.Code)
		waitState(t, c, policy+": restarted twice", func(st State) bool { return st.RestartCount >= 2 })
		require.NoError(t, c.Stop(ctx, time.Second))
		st, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, StatusExited, st.Status, policy)
		// Exited, the stop marker there, no hook left: nothing starts it.
		assertNoHooks(t, c.ID())
		st2, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, StatusExited, st2.Status, "%s: not restarted after Stop", policy)
		assert.Equal(t, st.RestartCount, st2.RestartCount, policy)
		// A restart the Stop canceled counted, as in Docker.
		n := runs(t, c)
		assert.True(t, n == st.RestartCount || n == st.RestartCount+1, "%s: %d runs, RestartCount %d", policy, n, st.RestartCount)
	}

	// Stopped while it runs (exiting with a failure, on the stop
	// signal): no restart either.
	r, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "trap 'exit 7' TERM; echo run; while :; do sleep 0.05; done"},
		RestartPolicy: RestartPolicy{Name: "always"}})
	require.NoError(t, err)
	require.NoError(t, r.StartDetached(ctx))
	waitRuns(t, r, 1) // the trap is set
	require.NoError(t, r.Stop(ctx, 10*time.Second))
	assertNoHooks(t, r.ID())
	st, err := r.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusExited, st.Status)
	assert.Equal(t, 0, st.RestartCount)
	assert.Equal(t, 7, st.Exit.Code)

	// Killed: no restart.
	require.NoError(t, r.StartDetached(ctx))
	require.NoError(t, r.Kill(ctx))
	_, err = r.Wait(ctx)
	require.NoError(t, err)
	assertNoHooks(t, r.ID())
	st, err = r.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusExited, st.Status)
	assert.Equal(t, 137, st.Exit.Code)
}

// Stop and Remove -f at every moment of a restart loop (running, handing
// over, waiting, starting) leave the container exited, or gone, with no
// process of the policy left.
func TestRestartPolicyStopRemoveRaces(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for i := range 10 {
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "exit 1"},
			RestartPolicy: RestartPolicy{Name: "always"}})
		require.NoError(t, err)
		require.NoError(t, c.StartDetached(ctx))
		time.Sleep(time.Duration(i) * 20 * time.Millisecond) // another moment of the loop each time
		if i%2 == 0 {
			require.NoError(t, c.Stop(ctx, time.Second), "round %d", i)
			st, err := c.State(ctx)
			require.NoError(t, err)
			assert.Equal(t, StatusExited, st.Status, "round %d: stopped", i)
			assertNoHooks(t, c.ID())
			st, err = c.State(ctx)
			require.NoError(t, err)
			assert.Equal(t, StatusExited, st.Status, "round %d: still stopped", i)
		}
		require.NoError(t, c.Remove(ctx, RemoveForce()), "round %d", i)
		assertNoHooks(t, c.ID())
		assert.Empty(t, dockCgroups(t, c.ID()), "round %d: cgroups", i)
	}
	noContainers(t, e)
}

// Remove -f while the policy waits to restart leaves nothing: no process,
// no cgroup, no network, no mount.
func TestRestartPolicyRemoveDuringBackoff(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	mounts := readFile(t, "/proc/self/mountinfo")
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"false"},
		RestartPolicy: RestartPolicy{Name: "always"}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	st := waitState(t, c, "restarting", func(st State) bool { return st.Status == StatusRestarting })
	assert.Equal(t, 0, st.Pid)
	assert.Equal(t, 1, st.Exit.Code)
	err = c.Remove(ctx)
	require.ErrorIs(t, err, ErrRunning, "a restarting container is removed by force only")
	require.NoError(t, c.Remove(ctx, RemoveForce()))
	_, err = e.Container(c.ID())
	require.ErrorIs(t, err, ErrNotFound)
	assertNoHooks(t, c.ID())
	assert.Empty(t, dockCgroups(t, c.ID()), "cgroups")
	assert.Equal(t, mounts, readFile(t, "/proc/self/mountinfo"), "host mounts")
	tmp, err := os.ReadDir(e.path("tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp)
}

// On a bridge network with a published port, each restart takes the
// network down and up again (the port held by each run's monitor), and
// Remove -f while the policy waits leaves no network behind.
func TestRestartPolicyBridge(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Network: "bridge",
		// Each run logs its address, and "run" when it is the bridge's.
		Cmd:           []string{"sh", "-c", "a=$(ip -4 -o addr show eth0); echo \"eth0: ${a:-none}\"; case $a in *'inet 172.17.0.'*) echo run;; esac; exit 1"},
		Ports:         []PortMapping{{HostPort: 8089, ContainerPort: 80}},
		RestartPolicy: RestartPolicy{Name: "on-failure"}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	waitRuns(t, c, 3)
	waitState(t, c, "restarting", func(st State) bool { return st.Status == StatusRestarting })
	require.NoError(t, c.Remove(ctx, RemoveForce()))
	assertNoHooks(t, c.ID())
	assert.Empty(t, dockCgroups(t, c.ID()), "cgroups")
	assertNoNetLeak(t, before)
}

// An attached container's restart policy outlives the program's wait: the
// container restarts detached.
func TestRestartPolicyAttached(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo run; exit 2"},
		RestartPolicy: RestartPolicy{Name: "on-failure", MaximumRetryCount: 1}})
	require.NoError(t, err)
	var out syncBuffer
	c.Stdout = &out
	require.NoError(t, c.Start(ctx))
	ex, err := c.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, ex.Code)
	assert.Equal(t, "run\n", out.String())
	waitState(t, c, "restarted once, then exited", func(st State) bool {
		return st.Status == StatusExited && st.RestartCount == 1
	})
	assertNoHooks(t, c.ID())
	assert.Equal(t, 2, runs(t, c))
}

// After a reboot (every process gone, none of them recording anything),
// RestoreContainers starts what dockerd starts when it starts.
func TestRestoreContainers(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	start := func(name string, policy RestartPolicy, stop bool) *Container {
		c, err := e.Create(ctx, Config{Image: "busybox", Name: name, Cmd: []string{"sleep", "600"}, RestartPolicy: policy})
		require.NoError(t, err)
		require.NoError(t, c.StartDetached(ctx))
		if stop {
			require.NoError(t, c.Stop(ctx, 0))
		}
		return c
	}
	always := start("always-stopped", RestartPolicy{Name: "always"}, true)
	unlessStopped := start("unless-stopped-stopped", RestartPolicy{Name: "unless-stopped"}, true)
	unless := start("unless-stopped-running", RestartPolicy{Name: "unless-stopped"}, false)
	onFailure := start("on-failure-running", RestartPolicy{Name: "on-failure"}, false)
	none := start("no-running", RestartPolicy{}, false)
	// The reboot: monitors first, so that nothing records the exits.
	for _, c := range []*Container{unless, onFailure, none} {
		st, err := c.State(ctx)
		require.NoError(t, err)
		require.NoError(t, syscall.Kill(st.Monitor, syscall.SIGKILL))
		require.NoError(t, waitProcessExit(ctx, st.Monitor, st.MonitorStart))
		require.NoError(t, syscall.Kill(st.Pid, syscall.SIGKILL))
		waitState(t, c, "exited", func(st State) bool { return st.Status == StatusExited })
	}
	started, err := e.RestoreContainers(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{always.ID(), unless.ID(), onFailure.ID()}, started)
	for _, c := range []*Container{always, unless, onFailure} {
		st, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, StatusRunning, st.Status)
	}
	for _, c := range []*Container{unlessStopped, none} {
		st, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, StatusExited, st.Status)
	}
}
