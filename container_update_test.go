//go:build linux

package dock

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/cgroup"
)

// limitsScript prints the container's own cgroup limits, as it sees them
// at /sys/fs/cgroup (v2, or each v1 hierarchy).
const limitsScript = `if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	echo memory=$(cat /sys/fs/cgroup/memory.max) low=$(cat /sys/fs/cgroup/memory.low) cpu=$(cat /sys/fs/cgroup/cpu.max) weight=$(cat /sys/fs/cgroup/cpu.weight) cpuset=$(cat /sys/fs/cgroup/cpuset.cpus) pids=$(cat /sys/fs/cgroup/pids.max)
else
	echo memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) low=$(cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes) cpu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) weight=$(cat /sys/fs/cgroup/cpu/cpu.shares) cpuset=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus) pids=$(cat /sys/fs/cgroup/pids/pids.max)
fi`

// limits runs limitsScript in the running container c.
func limits(t *testing.T, c *Container) string {
	t.Helper()
	var out, errb bytes.Buffer
	p := c.Exec(ExecConfig{Cmd: []string{"sh", "-c", limitsScript}})
	p.Stdout, p.Stderr = &out, &errb
	ctx := context.Background()
	require.NoError(t, p.Start(ctx))
	st, err := p.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, st.Code, "limits script: %s", errb.String())
	return strings.TrimSpace(out.String())
}

func TestUpdate(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	ch := watchEvents(t, e, func(ev *Event) bool { return ev.Action == "update" })
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "100"}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))

	update := Resources{Memory: 64 << 20, MemoryReservation: 32 << 20, CPUs: 0.5, CPUShares: 512, CpusetCpus: "0", PIDs: 100}
	_, err = c.Update(ctx, update)
	require.NoError(t, err)
	want := "memory=67108864 low=33554432 cpu=50000 weight=512 cpuset=0 pids=100"
	if cgroup.DetectMode() == cgroup.Unified {
		want = "memory=67108864 low=33554432 cpu=50000 100000 weight=20 cpuset=0 pids=100"
	}
	assert.Equal(t, want, limits(t, c), "limits of the running container after Update")
	_, evs := eventsUntil(t, ch, "container update")
	assert.Equal(t, c.ID(), evs[0].Actor.ID)

	// Kept: in Inspect (another engine's), and at the next start.
	other := openRoot(t, e.Root())
	oc, err := other.Container(c.ID())
	require.NoError(t, err)
	info, err := oc.Inspect(ctx)
	require.NoError(t, err)
	assert.Equal(t, update, info.Config.Resources, "Inspect's Config.Resources")
	require.NoError(t, c.Kill(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	assert.Equal(t, want, limits(t, c), "limits after a restart")

	// A zero field keeps its value; a stopped container's limits apply
	// at its next start.
	require.NoError(t, c.Kill(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	_, err = c.Update(ctx, Resources{PIDs: 50})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	assert.Equal(t, strings.Replace(want, "pids=100", "pids=50", 1), limits(t, c), "limits after an update of the stopped container")

	// Refusals change nothing.
	_, err = c.Update(ctx, Resources{CPUShares: 1})
	assert.ErrorIs(t, err, ErrInvalid, "Update(CPUShares: 1)")
	_, err = c.Update(ctx, Resources{MemoryReservation: 128 << 20})
	assert.ErrorIs(t, err, ErrInvalid, "Update(reservation above the memory limit)")
	_, err = c.Update(ctx, Resources{Memory: 64 << 20, MemorySwap: 96 << 20})
	require.NoError(t, err)
	_, err = c.Update(ctx, Resources{Memory: 128 << 20})
	assert.ErrorIs(t, err, ErrInvalid, "Update(memory above the swap set before)")
	assert.ErrorContains(t, err, "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
	_, err = c.Update(ctx, Resources{Memory: 128 << 20, MemorySwap: 256 << 20})
	require.NoError(t, err, "memory with its swap")
	info, err = c.Inspect(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(128<<20), info.Config.Resources.Memory)
	assert.Equal(t, int64(256<<20), info.Config.Resources.MemorySwap)
	assert.Equal(t, int64(50), info.Config.Resources.PIDs)
}

// TestUpdateBlkioWeight updates the blkio weight where the kernel can
// apply it; where it cannot, the weight is discarded with Docker's
// warning and the rest applied, as Create does.
func TestUpdateBlkioWeight(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "100"}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	warnings, err := c.Update(ctx, Resources{BlkioWeight: 300, PIDs: 77})
	require.NoError(t, err)
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	assert.Contains(t, limits(t, c), "pids=77")
	if !cgroup.Probe().BlkioWeight {
		assert.Equal(t, []string{"Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."}, warnings)
		assert.Zero(t, info.Config.Resources.BlkioWeight)
		return
	}
	assert.Empty(t, warnings)
	assert.Equal(t, uint16(300), info.Config.Resources.BlkioWeight)
	_, err = c.Update(ctx, Resources{BlkioWeight: 5})
	assert.ErrorIs(t, err, ErrInvalid, "a weight out of range")
}

// UpdateRestartPolicy: the policy is checked and kept, and the next start
// runs with it; its restarts are in the events (die with restarting, then
// start).
func TestUpdateRestartPolicy(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	rm, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"true"}, AutoRemove: true})
	require.NoError(t, err)
	_, err = rm.Update(ctx, Resources{}, UpdateRestartPolicy(RestartPolicy{Name: RestartAlways}))
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "Restart policy cannot be updated because AutoRemove is enabled for the container")

	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "exit 3"}})
	require.NoError(t, err)
	_, err = c.Update(ctx, Resources{}, UpdateRestartPolicy(RestartPolicy{Name: "sometimes"}))
	assert.ErrorIs(t, err, ErrInvalid, "an unknown policy")
	policy := RestartPolicy{Name: RestartOnFailure, MaximumRetryCount: 1}
	_, err = c.Update(ctx, Resources{}, UpdateRestartPolicy(policy))
	require.NoError(t, err)
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	assert.Equal(t, policy, info.Config.RestartPolicy)

	ch := watchEvents(t, e, func(ev *Event) bool { return ev.Actor.ID == c.ID() && (ev.Action == "start" || ev.Action == "die") })
	require.NoError(t, c.StartDetached(ctx))
	st := waitState(t, c, "exited after one restart", func(st State) bool {
		return st.Status == StatusExited && st.RestartCount == 1
	})
	assert.Equal(t, 3, st.Exit.Code)
	var got []string
	for len(got) < 4 {
		select {
		case ev := <-ch:
			got = append(got, ev.Action+" "+ev.Actor.Attributes["restarting"])
		case <-time.After(time.Minute):
			t.Fatalf("events: %q", got)
		}
	}
	assert.Equal(t, []string{"start ", "die true", "start ", "die "}, got)
}
