//go:build linux

package dock

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
)

// Wait on a detached AutoRemove container returns its exit code, however
// its removal (by its monitor, once the exit is recorded) falls against
// the wait: before Wait looks, while it looks, or long before. Several
// handles wait at once, from the start on.
func TestWaitDetachedAutoRemove(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for i := range 20 {
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "exit 3"}, AutoRemove: true, Network: "none"})
		require.NoError(t, err)
		other, err := e.Container(c.ID())
		require.NoError(t, err)
		require.NoError(t, c.StartDetached(ctx))
		var wg sync.WaitGroup
		codes := make([]int, 4)
		errs := make([]error, 4)
		for j, h := range []*Container{c, other, c, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := h.Wait(ctx)
				codes[j], errs[j] = st.Code, err
			}()
		}
		wg.Wait()
		for j := range codes {
			require.NoError(t, errs[j], "run %d, wait %d", i, j)
			require.Equal(t, 3, codes[j], "run %d, wait %d", i, j)
		}
		waitFor(t, "the container's removal", func() bool {
			_, err := e.Container(c.ID())
			return errors.Is(err, ErrNotFound)
		})
		// Long gone: its die still tells.
		st, err := c.Wait(ctx)
		require.NoError(t, err, "Wait once it is removed")
		require.Equal(t, 3, st.Code, "Wait once it is removed")
		assert.False(t, st.ExitedAt.IsZero(), "the die's time")
	}
}

// Wait that began while the container ran returns its code when its
// monitor removes it; so does State not make up an exit of its own (a
// vanished 255 and a second die) for a container removed as it looked.
func TestWaitRunningAutoRemove(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	dir := t.TempDir()
	c, err := e.Create(ctx, Config{Image: "busybox", AutoRemove: true, Network: "none",
		Mounts: []Mount{{Type: "bind", Source: dir, Target: "/w"}},
		Cmd:    []string{"sh", "-c", `trap "exit 7" TERM; touch /w/ready; sleep 600 & wait`}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	waitFor(t, "the trap set", func() bool {
		_, err := os.Stat(dir + "/ready")
		return err == nil
	})
	done := make(chan ExitStatus, 1)
	go func() {
		st, err := c.Wait(ctx)
		assert.NoError(t, err)
		done <- st
	}()
	since := time.Now()
	require.NoError(t, c.Signal(ctx, syscall.SIGTERM))
	st := <-done
	assert.Equal(t, 7, st.Code)
	dies := 0
	for ev, err := range e.Events(ctx, EventOptions{Since: since, Until: time.Now(), Filter: func(ev *Event) bool {
		return ev.Actor.ID == c.ID() && ev.Action == "die"
	}}) {
		require.NoError(t, err)
		assert.Equal(t, "7", ev.Actor.Attributes["exitCode"])
		dies++
	}
	assert.Equal(t, 1, dies, "die events")
	_, err = c.State(ctx)
	assert.ErrorIs(t, err, ErrNotFound)
}

// Remove while the container's monitor removes it (AutoRemove): forced,
// on the running container, it succeeds, whoever removed it; unforced,
// once it exited, it succeeds or finds it gone (ErrNotFound), never an
// error of the rename it lost.
func TestRemoveDuringAutoRemove(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for i := range 10 {
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "600"}, AutoRemove: true, Network: "none"})
		require.NoError(t, err)
		require.NoError(t, c.StartDetached(ctx))
		require.NoError(t, c.Remove(ctx, RemoveForce()), "run %d: forced", i)
		_, err = e.Container(c.ID())
		require.ErrorIs(t, err, ErrNotFound, "run %d", i)

		c, err = e.Create(ctx, Config{Image: "busybox", Cmd: []string{"true"}, AutoRemove: true, Network: "none"})
		require.NoError(t, err)
		require.NoError(t, c.StartDetached(ctx))
		for {
			err := c.Remove(ctx)
			if err == nil || errors.Is(err, ErrNotFound) {
				break
			}
			require.ErrorIs(t, err, ErrRunning, "run %d: unforced", i)
		}
		_, err = e.Container(c.ID())
		require.ErrorIs(t, err, ErrNotFound, "run %d", i)
	}
	waitFor(t, "tmp/ emptied", func() bool {
		tmp, err := os.ReadDir(e.path("tmp"))
		return err == nil && len(tmp) == 0
	})
}

// The destroy goes out once the container is gone from view: at the
// event, no handle opens, its name is free and its anonymous volume is
// gone; the rest (cgroup, files) is deleted after.
func TestAutoRemoveDestroyOnceGone(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Name: "gone", Cmd: []string{"true"}, AutoRemove: true, Network: "none",
		Mounts: []Mount{{Type: "volume", Target: "/data"}}})
	require.NoError(t, err)
	info, err := c.Inspect(ctx)
	require.NoError(t, err)
	require.Len(t, info.Mounts, 1)
	vol := info.Mounts[0].Name
	since := time.Now()
	require.NoError(t, c.StartDetached(ctx))
	for _, err := range e.Events(ctx, EventOptions{Since: since, Filter: func(ev *Event) bool {
		return ev.Actor.ID == c.ID() && ev.Action == "destroy"
	}}) {
		require.NoError(t, err)
		_, err = e.Container(c.ID())
		assert.ErrorIs(t, err, ErrNotFound, "a handle at the destroy")
		_, err = e.Container("gone")
		assert.ErrorIs(t, err, ErrNotFound, "the name at the destroy")
		_, err = e.Volume(ctx, vol)
		assert.ErrorIs(t, err, ErrNotFound, "the anonymous volume at the destroy")
		break
	}
	waitFor(t, "the trash and the cgroup deleted", func() bool {
		tmp, err := os.ReadDir(e.path("tmp"))
		return err == nil && len(tmp) == 0 && len(dockCgroups(t, c.ID())) == 0
	})
}

// A removal whose remover was killed after the rename (its trash's lock
// free) is finished by the next Open: the trash and the cgroup go. One
// whose remover is at work (the lock held) is left to it.
func TestSweepRemovals(t *testing.T) {
	e := testEngine(t)
	left, working := newID(), newID()
	for _, id := range []string{left, working} {
		require.NoError(t, os.MkdirAll(e.removalTrash(id)+"/rootfs/etc", 0o700))
		require.NoError(t, os.WriteFile(e.removalTrash(id)+"/rootfs/etc/passwd", []byte("x"), 0o600))
		cg, err := cgroup.New(cgroupPath(id), cgroup.Resources{})
		require.NoError(t, err)
		t.Cleanup(func() { cg.Destroy() })
	}
	other := e.path("tmp", "rm-not-an-id")
	require.NoError(t, os.Mkdir(other, 0o700))
	lock, err := lockDir(e.removalTrash(working), unix.LOCK_EX)
	require.NoError(t, err)
	defer lock.Close()

	e2, err := Open(e.Root())
	require.NoError(t, err)
	defer e2.Close()
	_, err = os.Stat(e.removalTrash(left))
	assert.ErrorIs(t, err, os.ErrNotExist, "the trash left behind")
	assert.Empty(t, dockCgroups(t, left), "the cgroup left behind")
	_, err = os.Stat(e.removalTrash(working) + "/rootfs/etc/passwd")
	assert.NoError(t, err, "a removal under way")
	assert.NotEmpty(t, dockCgroups(t, working), "a removal under way")
	_, err = os.Stat(other)
	assert.NoError(t, err, "not a removal's")
	require.NoError(t, os.Remove(other))
	lock.Close()
	require.NoError(t, os.RemoveAll(e.removalTrash(working)))
}

// A detached run so short that its monitor records the exit before the
// start has committed keeps its exit code: the start does not take the
// record for an earlier run's.
func TestWaitDetachedShortRun(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "exit 5"}, Network: "none"})
	require.NoError(t, err)
	for i := range 20 {
		require.NoError(t, c.StartDetached(ctx))
		st, err := c.Wait(ctx)
		require.NoError(t, err)
		require.Equal(t, 5, st.Code, "run %d: %+v", i, st)
	}
}
