//go:build linux

package dock

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Containers' tests: what it lists is right whoever changed the
// containers, when it reads them and when it takes them from what it
// read before (the cache, containers_cache.go).

// listed returns the container's Info as e.Containers lists it; nil when
// it is not listed.
func listed(t *testing.T, e *Engine, id string) *Info {
	t.Helper()
	list, err := e.Containers(context.Background())
	require.NoError(t, err)
	for _, info := range list {
		if info.ID == id {
			return info
		}
	}
	return nil
}

// settle waits until the coarse clock has passed the stamp of the
// container's directory: from then on, what a list reads of it is kept.
func settle(t *testing.T, e *Engine, id string) {
	t.Helper()
	dir, err := os.Open(e.path("containers"))
	require.NoError(t, err)
	defer dir.Close()
	stamp, ok, err := statStamp(dir, id)
	require.NoError(t, err)
	require.True(t, ok)
	for deadline := time.Now().Add(5 * time.Second); !stamp.settledAt(coarseNow()); time.Sleep(time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "the coarse clock never passed the stamp %+v", stamp)
	}
}

// cached reports whether e holds the container's record, read under its
// directory's current stamp.
func cached(t *testing.T, e *Engine, id string) bool {
	t.Helper()
	dir, err := os.Open(e.path("containers"))
	require.NoError(t, err)
	defer dir.Close()
	stamp, _, err := statStamp(dir, id)
	require.NoError(t, err)
	s := e.containers.get(id, stamp)
	return s != nil && s.loaded
}

// listedEachWay lists the container three times: at once after a change
// (its directory's stamp may be too recent to keep what is read), then
// once the stamp settled (read and kept), then again (from the cache).
// check runs on each; the last must have come from the cache.
func listedEachWay(t *testing.T, e *Engine, id, step string, check func(*Info)) {
	t.Helper()
	check(listed(t, e, id))
	settle(t, e, id)
	check(listed(t, e, id))
	require.True(t, cached(t, e, id), "%s: the container's record is cached", step)
	check(listed(t, e, id))
}

// A container that another engine (another process: nothing in memory
// is shared) starts, pauses, renames, stops and removes is listed as it
// is after each change, however much of it the lister had cached.
func TestContainersSeeOtherEngines(t *testing.T) {
	e := testEngine(t)
	other := openRoot(t, e.Root())
	ctx := context.Background()
	c, err := other.Create(ctx, Config{Image: "busybox", Name: "seen", Cmd: []string{"sleep", "600"}, Labels: map[string]string{"k": "v"}})
	require.NoError(t, err)
	id := c.ID()
	status := func(step string, want Status, more func(*Info)) {
		t.Helper()
		listedEachWay(t, e, id, step, func(info *Info) {
			t.Helper()
			require.NotNil(t, info, "%s: listed", step)
			assert.Equal(t, want, info.State.Status, "%s: status", step)
			if more != nil {
				more(info)
			}
		})
	}
	status("created", StatusCreated, func(info *Info) {
		assert.Equal(t, "seen", info.Name)
		assert.Equal(t, map[string]string{"k": "v"}, info.Config.Labels)
	})
	require.NoError(t, c.StartDetached(ctx))
	st, err := c.State(ctx)
	require.NoError(t, err)
	status("started", StatusRunning, func(info *Info) {
		assert.Equal(t, st.Pid, info.State.Pid, "started: pid")
	})
	require.NoError(t, c.Pause(ctx))
	status("paused", StatusPaused, nil)
	require.NoError(t, c.Unpause(ctx))
	status("unpaused", StatusRunning, nil)
	require.NoError(t, c.Rename(ctx, "seen-renamed"))
	status("renamed", StatusRunning, func(info *Info) {
		assert.Equal(t, "seen-renamed", info.Name, "renamed: name")
	})
	// The names that the lister kept serve its lookups: they are the
	// new ones.
	byName, err := e.Container("seen-renamed")
	require.NoError(t, err, "renamed: the new name")
	assert.Equal(t, id, byName.ID())
	_, err = e.Container("seen")
	assert.ErrorIs(t, err, ErrNotFound, "renamed: the old name")
	taken, err := e.containerNames()
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"seen-renamed": true}, taken)
	require.NoError(t, c.Rename(ctx, "seen-again")) // what the lister kept is stale
	_, err = e.Container("seen-again")
	assert.NoError(t, err, "renamed again: the new name")
	_, err = e.Container("seen-renamed")
	assert.ErrorIs(t, err, ErrNotFound, "renamed again: the old name")
	require.NoError(t, c.Stop(ctx, 0))
	status("stopped", StatusExited, func(info *Info) {
		assert.Equal(t, 137, info.State.Exit.Code, "stopped: exit code")
	})
	require.NoError(t, c.Remove(ctx))
	assert.Nil(t, listed(t, e, id), "removed: not listed")
	e.containers.mu.Lock()
	assert.NotContains(t, e.containers.byID, id, "removed: forgotten")
	e.containers.mu.Unlock()
}

// A detached container that exits on its own has its exit recorded by
// its monitor (in C: exit.json), and by nobody else: a list that had it
// running, cached, lists it exited with its code.
func TestContainersSeeMonitorExit(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", `trap "exit 3" USR1; while :; do sleep 0.05; done`}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	var pid int
	listedEachWay(t, e, c.ID(), "running", func(info *Info) {
		require.Equal(t, StatusRunning, info.State.Status)
		pid = info.State.Pid
	})
	// The signal from here, not through the library: only the monitor
	// sees the exit. Once the shell has set its trap: the kernel drops
	// the signals a namespace's init does not catch.
	testutil.WaitCaught(t, pid, syscall.SIGUSR1)
	require.NoError(t, syscall.Kill(pid, syscall.SIGUSR1))
	exitFile := c.dir("exit.json")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(exitFile); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the monitor never recorded the exit")
	}
	listedEachWay(t, e, c.ID(), "exited", func(info *Info) {
		assert.Equal(t, StatusExited, info.State.Status)
		assert.Equal(t, 3, info.State.Exit.Code)
		assert.False(t, info.State.FinishedAt.IsZero(), "FinishedAt")
	})
}

// A container whose restart policy starts it again is listed restarting
// between its runs, as the restart policy's process records it.
func TestContainersSeeRestarting(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"false"}, RestartPolicy: RestartPolicy{Name: "always"}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	var info *Info
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		info = listed(t, e, c.ID())
		require.NotNil(t, info)
		if info.State.Status == StatusRestarting {
			break
		}
		require.True(t, time.Now().Before(deadline), "never listed restarting; last %+v", info.State)
	}
	assert.Equal(t, 1, info.State.Exit.Code)
	require.NoError(t, c.Remove(ctx, RemoveForce()))
	assert.Nil(t, listed(t, e, c.ID()))
}

// The Infos Containers returns are the caller's: changing anything in
// them changes neither the cache nor the next list. A listed container
// is as Inspect shows it.
func TestContainersInfosAreTheCallers(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Name: "mine", Cmd: []string{"echo", "x"}, Entrypoint: []string{"/bin/sh", "-c"},
		Env: []string{"A=1"}, Labels: map[string]string{"k": "v"}, Mounts: []Mount{{Type: "tmpfs", Target: "/t"}},
		ExposedPorts: []Port{{Number: 80, Proto: "tcp"}}, DNSSearch: []string{"example.org"}, ExtraHosts: []string{"h:10.0.0.1"},
		CapAdd: []string{"NET_ADMIN"}, Healthcheck: &Healthcheck{Test: []string{"CMD", "true"}, Interval: time.Second}})
	require.NoError(t, err)
	want, err := c.Inspect(ctx)
	require.NoError(t, err)
	settle(t, e, c.ID())
	first := listed(t, e, c.ID())
	require.True(t, cached(t, e, c.ID()))
	assert.Equal(t, want, first, "listed as Inspect shows it")

	scribble(reflect.ValueOf(first).Elem())
	second := listed(t, e, c.ID())
	assert.Equal(t, want, second, "listed again, after the first list's Info was scribbled over")
}

// scribble changes every value v reaches through exported fields: each
// string, number and bool, each element, each map entry (and adds one).
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "-scribbled")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 7)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			scribble(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			scribble(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			nv := reflect.New(v.Type().Elem()).Elem()
			nv.Set(v.MapIndex(k))
			scribble(nv)
			v.SetMapIndex(k, nv)
		}
		if k := reflect.New(v.Type().Key()).Elem(); k.Kind() == reflect.String {
			k.SetString("scribbled")
			v.SetMapIndex(k, reflect.New(v.Type().Elem()).Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				scribble(v.Field(i))
			}
		}
	}
}

// ContainersWhere leaves out what keep refuses before reading anything
// but the state: a container whose record cannot be read breaks a full
// list, not one that leaves it out.
func TestContainersWhere(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	a, err := e.Create(ctx, Config{Image: "busybox", Name: "kept"})
	require.NoError(t, err)
	b, err := e.Create(ctx, Config{Image: "busybox", Name: "left-out"})
	require.NoError(t, err)
	record := b.dir("config.json")
	data, err := os.ReadFile(record)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(record, []byte("{"), 0o600))
	defer os.WriteFile(record, data, 0o600)

	_, err = e.Containers(ctx)
	require.Error(t, err, "Containers() with a record that cannot be read")
	seen := map[string]Status{}
	list, err := e.Containers(ctx, ContainersWhere(func(id string, st State) bool {
		seen[id] = st.Status
		return id == a.ID()
	}))
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "kept", list[0].Name)
	assert.Equal(t, map[string]Status{a.ID(): StatusCreated, b.ID(): StatusCreated}, seen, "keep's arguments")
}

// What is read while the coarse clock has not passed the directory's
// stamp is not kept: a second change within the same tick would leave
// the stamp as it was.
func TestContainersRecentChangeNotCached(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Name: "recent"})
	require.NoError(t, err)
	settle(t, e, c.ID())
	dir, err := os.Open(e.path("containers"))
	require.NoError(t, err)
	defer dir.Close()
	stamp, _, err := statStamp(dir, c.ID())
	require.NoError(t, err)

	e.containers.clock = func() int64 { return max(stamp.mtime, stamp.ctime) } // the tick of the change
	require.NotNil(t, listed(t, e, c.ID()))
	assert.False(t, cached(t, e, c.ID()), "read in the tick of the stamp: not kept")
	e.containers.clock = nil
	require.NotNil(t, listed(t, e, c.ID()))
	assert.True(t, cached(t, e, c.ID()), "read after it: kept")

	assert.False(t, dirStamp{mtime: 10, ctime: 10}.settledAt(10))
	assert.False(t, dirStamp{mtime: 9, ctime: 10}.settledAt(10))
	assert.True(t, dirStamp{mtime: 9, ctime: 10}.settledAt(11))
}

// Lists run at once from many goroutines while another engine changes
// the containers; each sees them whole (run with -race).
func TestContainersConcurrent(t *testing.T) {
	e := testStore(t)
	other := openRoot(t, e.Root())
	ctx := context.Background()
	var cs []*Container
	for _, name := range []string{"c0", "c1", "c2"} {
		c, err := other.Create(ctx, Config{Image: "busybox", Name: name})
		require.NoError(t, err)
		cs = append(cs, c)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				list, err := e.Containers(ctx)
				if !assert.NoError(t, err) {
					return
				}
				assert.Len(t, list, 3)
				for _, info := range list {
					assert.NotEmpty(t, info.Name)
				}
			}
		}()
	}
	for i, c := range cs {
		require.NoError(t, c.Rename(ctx, "renamed"+strconv.Itoa(i)))
	}
	wg.Wait()
	list, err := e.Containers(ctx)
	require.NoError(t, err)
	var names []string
	for _, info := range list {
		names = append(names, info.Name)
	}
	assert.ElementsMatch(t, []string{"renamed0", "renamed1", "renamed2"}, names)
}
