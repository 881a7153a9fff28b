package dock

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Docker's messages for health checks it refuses, at Create.
func TestHealthcheckValidate(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		hc   Healthcheck
		want string
	}{
		{Healthcheck{Test: []string{"CMD", "true"}, Interval: time.Second}, ""},
		{Healthcheck{Test: []string{"CMD-SHELL", "true"}}, ""},
		{Healthcheck{Test: []string{"NONE"}}, ""},
		{Healthcheck{Retries: 2}, ""}, // the image's test, or none
		{Healthcheck{Test: []string{"CMD"}}, "healthcheck test [CMD] has no command"},
		{Healthcheck{Test: []string{"CMD-SHELL", "a", "b"}}, "CMD-SHELL takes one command line"},
		{Healthcheck{Test: []string{"true"}}, "the first element must be NONE, CMD or CMD-SHELL"},
		{Healthcheck{Test: []string{"CMD", "true"}, Interval: time.Microsecond}, "Interval in Healthcheck cannot be less than 1ms"},
		{Healthcheck{Test: []string{"CMD", "true"}, Timeout: -time.Second}, "Timeout in Healthcheck cannot be less than 1ms"},
		{Healthcheck{Test: []string{"CMD", "true"}, StartPeriod: 1}, "StartPeriod in Healthcheck cannot be less than 1ms"},
		{Healthcheck{Test: []string{"CMD", "true"}, StartInterval: 1}, "StartInterval in Healthcheck cannot be less than 1ms"},
		{Healthcheck{Test: []string{"CMD", "true"}, Retries: -1}, "Retries in Healthcheck cannot be negative"},
	} {
		t.Run(fmt.Sprint(tc.hc), func(t *testing.T) {
			hc := tc.hc
			c, err := e.Create(ctx, Config{Image: "busybox", Healthcheck: &hc})
			if tc.want == "" {
				require.NoError(t, err)
				require.NoError(t, c.Remove(ctx))
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// The container's health check over the image's, field by field, as
// dockerd merges them.
func TestMergeHealthcheck(t *testing.T) {
	image := &Healthcheck{Test: []string{"CMD", "img"}, Interval: time.Second, Timeout: 2 * time.Second,
		StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 5}
	assert.Nil(t, mergeHealthcheck(nil, nil))
	assert.Equal(t, image, mergeHealthcheck(nil, image))
	assert.Equal(t, &Healthcheck{Test: []string{"CMD-SHELL", "mine"}, Interval: time.Second, Timeout: 2 * time.Second,
		StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 1},
		mergeHealthcheck(&Healthcheck{Test: []string{"CMD-SHELL", "mine"}, Retries: 1}, image))
	assert.Equal(t, &Healthcheck{Test: []string{"NONE"}, Interval: time.Second, Timeout: 2 * time.Second,
		StartPeriod: 3 * time.Second, StartInterval: 4 * time.Second, Retries: 5},
		mergeHealthcheck(&Healthcheck{Test: []string{"NONE"}}, image))
	assert.Equal(t, &Healthcheck{Interval: time.Minute}, mergeHealthcheck(&Healthcheck{Interval: time.Minute}, nil))
}

// Each result moves the health as Docker's monitor does.
func TestHealthRecord(t *testing.T) {
	started := time.Unix(1000, 0)
	hc := Healthcheck{Retries: 2, StartPeriod: 10 * time.Second}
	at := func(s int, code int) HealthResult {
		return HealthResult{Start: started.Add(time.Duration(s) * time.Second), ExitCode: code, Output: fmt.Sprint(s)}
	}
	h := &Health{Status: HealthStarting}
	h.record(at(1, 1), hc, started)
	h.record(at(2, 1), hc, started)
	assert.Equal(t, HealthStarting, h.Status, "failures within the start period do not count")
	assert.Equal(t, 0, h.FailingStreak)
	h.record(at(11, 1), hc, started)
	assert.Equal(t, HealthStarting, h.Status)
	assert.Equal(t, 1, h.FailingStreak)
	h.record(at(12, 1), hc, started)
	assert.Equal(t, HealthUnhealthy, h.Status, "Retries failures")
	assert.Equal(t, 2, h.FailingStreak)
	h.record(at(13, 0), hc, started)
	assert.Equal(t, HealthHealthy, h.Status)
	assert.Equal(t, 0, h.FailingStreak)
	h.record(at(14, 1), hc, started)
	assert.Equal(t, HealthHealthy, h.Status, "one failure of two")
	require.Len(t, h.Log, 5, "the last five")
	assert.Equal(t, "2", h.Log[0].Output)
	assert.Equal(t, "14", h.Log[4].Output)

	// Within the start period, once healthy, failures count.
	h = &Health{Status: HealthHealthy}
	h.record(at(1, 1), hc, started)
	h.record(at(2, 1), hc, started)
	assert.Equal(t, HealthUnhealthy, h.Status)
}

// The schedule of the checks: Docker's.
func TestHealthInterval(t *testing.T) {
	started := time.Unix(1000, 0)
	hc := Healthcheck{Interval: 30 * time.Second, StartPeriod: 60 * time.Second, StartInterval: 5 * time.Second}
	for _, tc := range []struct {
		since    time.Duration
		starting bool
		want     time.Duration
	}{
		{0, true, 5 * time.Second},
		{0, false, 30 * time.Second},
		{20 * time.Second, true, 5 * time.Second},
		{20 * time.Second, false, 30 * time.Second},
		// Never past the start period's end (before the start
		// interval: Docker's order).
		{40 * time.Second, true, 20 * time.Second},
		{40 * time.Second, false, 20 * time.Second},
		{58 * time.Second, true, 2 * time.Second},
		{60 * time.Second, true, 30 * time.Second},
	} {
		if got := healthInterval(hc, started, started.Add(tc.since), tc.starting); got != tc.want {
			t.Errorf("healthInterval(%v after start, starting %v) = %v, want %v", tc.since, tc.starting, got, tc.want)
		}
	}
}

// A check's output is cut at 4 KiB, with "...", as Docker's.
func TestLimitedBuffer(t *testing.T) {
	var b limitedBuffer
	b.Write([]byte("abc"))
	assert.Equal(t, "abc", b.String())
	n, err := b.Write([]byte(strings.Repeat("x", 5000)))
	require.NoError(t, err)
	assert.Equal(t, 5000, n)
	assert.Equal(t, "abc"+strings.Repeat("x", 4093)+"...", b.String())
}

// waitHealth polls the container's health until ok holds (at most 30 s).
func waitHealth(t *testing.T, c *Container, what string, ok func(*Health) bool) *Health {
	t.Helper()
	var h *Health
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		h, err = c.Health(context.Background())
		require.NoError(t, err)
		if h != nil && ok(h) {
			return h
		}
	}
	t.Fatalf("container %s: health %s: never; last %+v", c.ID()[:12], what, h)
	return h
}

// A detached container's monitor runs its checks: starting, healthy once
// a check passes, unhealthy after Retries failures; Inspect shows it.
func TestHealthDetached(t *testing.T) {
	testHealth(t, true)
}

// An attached container's checks run from the program that waits for it.
func TestHealthAttached(t *testing.T) {
	testHealth(t, false)
}

func testHealth(t *testing.T, detached bool) {
	e := testEngine(t)
	ctx := context.Background()
	goroutines := runtime.NumGoroutine()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "600"},
		Healthcheck: &Healthcheck{Test: []string{"CMD", "cat", "/tmp/ok"}, Interval: 50 * time.Millisecond, Retries: 3}})
	require.NoError(t, err)
	h, err := c.Health(ctx)
	require.NoError(t, err)
	assert.Nil(t, h, "never started")
	if detached {
		require.NoError(t, c.StartDetached(ctx))
	} else {
		require.NoError(t, c.Start(ctx))
	}
	h, err = c.Health(ctx)
	require.NoError(t, err)
	require.NotNil(t, h)
	assert.Equal(t, HealthStarting, h.Status)

	// Three failures: unhealthy.
	h = waitHealth(t, c, "unhealthy", func(h *Health) bool { return h.Status == HealthUnhealthy })
	assert.GreaterOrEqual(t, h.FailingStreak, 3)
	require.NotEmpty(t, h.Log)
	last := h.Log[len(h.Log)-1]
	assert.Equal(t, 1, last.ExitCode)
	assert.Contains(t, last.Output, "'/tmp/ok': No such file or directory")
	assert.False(t, last.End.Before(last.Start))

	// Then a pass: healthy.
	_, err = runExec(t, c, "touch", "/tmp/ok")
	require.NoError(t, err)
	h = waitHealth(t, c, "healthy", func(h *Health) bool { return h.Status == HealthHealthy })
	assert.Equal(t, 0, h.FailingStreak)
	assert.LessOrEqual(t, len(h.Log), 5)
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	require.NotNil(t, info.Health)
	assert.Equal(t, HealthHealthy, info.Health.Status)

	require.NoError(t, c.Kill(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	assertNoHooks(t, c.ID())
	// A new start: starting again, the log kept.
	if detached {
		require.NoError(t, c.StartDetached(ctx))
	} else {
		require.NoError(t, c.Start(ctx))
	}
	h, err = c.Health(ctx)
	require.NoError(t, err)
	assert.Equal(t, HealthStarting, h.Status)
	assert.NotEmpty(t, h.Log)
	require.NoError(t, c.Remove(ctx, RemoveForce()))
	assertNoHooks(t, c.ID())
	assert.Empty(t, dockCgroups(t, c.ID()), "cgroups")
	// The checks of an attached container end with it.
	for i := 0; i < 200 && runtime.NumGoroutine() > goroutines; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", goroutines, n, buf[:runtime.Stack(buf, true)])
	}
}

// runExec runs a command in the container and returns its output.
func runExec(t *testing.T, c *Container, cmd ...string) (string, error) {
	t.Helper()
	var out syncBuffer
	p := c.Exec(ExecConfig{Cmd: cmd})
	p.Stdout, p.Stderr = &out, &out
	if err := p.Start(context.Background()); err != nil {
		return "", err
	}
	st, err := p.Wait(context.Background())
	if err == nil && st.Code != 0 {
		err = fmt.Errorf("%q: exit %d: %s", cmd, st.Code, out.String())
	}
	return out.String(), err
}

// A check that hangs is killed at its timeout and counts as failed.
func TestHealthTimeout(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "600"},
		Healthcheck: &Healthcheck{Test: []string{"CMD-SHELL", "echo $$ >> /tmp/pids; echo started; exec sleep 600"},
			Interval: 50 * time.Millisecond, Timeout: 200 * time.Millisecond, Retries: 1}})
	require.NoError(t, err)
	defer c.Remove(ctx, RemoveForce())
	require.NoError(t, c.StartDetached(ctx))
	h := waitHealth(t, c, "unhealthy", func(h *Health) bool { return h.Status == HealthUnhealthy })
	first := h.Log[0]
	assert.Equal(t, -1, first.ExitCode)
	assert.Equal(t, "Health check exceeded timeout (200ms): started\n", first.Output)
	assert.GreaterOrEqual(t, first.End.Sub(first.Start), 200*time.Millisecond)
	// The first check's process was killed before its result came.
	pids, err := runExec(t, c, "cat", "/tmp/pids")
	require.NoError(t, err)
	pid := strings.Fields(pids)[0]
	_, err = runExec(t, c, "kill", "-0", pid)
	assert.Error(t, err, "the check's process %s is gone", pid)
}

// The image's HEALTHCHECK runs; Test NONE turns it off.
func TestHealthFromImage(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nHEALTHCHECK --interval=50ms --retries=1 CMD [\"true\"]\n"})
	_, err := e.Build(ctx, dir, BuildTag("healthy"))
	require.NoError(t, err)

	c, err := e.Create(ctx, Config{Image: "healthy", Cmd: []string{"sleep", "600"}})
	require.NoError(t, err)
	defer c.Remove(ctx, RemoveForce())
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	assert.Equal(t, &Healthcheck{Test: []string{"CMD", "true"}, Interval: 50 * time.Millisecond, Retries: 1},
		info.Config.Healthcheck, "recorded as it applies")
	require.NoError(t, c.StartDetached(ctx))
	waitHealth(t, c, "healthy", func(h *Health) bool { return h.Status == HealthHealthy })

	off, err := e.Create(ctx, Config{Image: "healthy", Cmd: []string{"sleep", "600"}, Healthcheck: &Healthcheck{Test: []string{"NONE"}}})
	require.NoError(t, err)
	defer off.Remove(ctx, RemoveForce())
	require.NoError(t, off.StartDetached(ctx))
	h, err := off.Health(ctx)
	require.NoError(t, err)
	assert.Nil(t, h)
	info, err = off.Inspect(ctx)
	require.NoError(t, err)
	assert.Nil(t, info.Health)
	assert.Empty(t, hookProcesses(t, off.ID()), "no check runs")
}
