//go:build linux

package dock

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// watchEvents follows the events of the root of e through another engine
// on the same root, from now on, and sends them on the returned channel.
func watchEvents(t *testing.T, e *Engine, filter func(*Event) bool) <-chan Event {
	t.Helper()
	other := openRoot(t, e.Root())
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan Event, 1000)
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	since := time.Now()
	go func() {
		defer close(done)
		for ev, err := range other.Events(ctx, EventOptions{Since: since, Filter: filter}) {
			if err != nil {
				t.Errorf("Events: %v", err)
				return
			}
			ch <- ev
		}
	}()
	return ch
}

// eventsUntil receives events until one with action last, and returns
// them as "type action" strings.
func eventsUntil(t *testing.T, ch <-chan Event, last string) ([]string, []Event) {
	t.Helper()
	var got []string
	var evs []Event
	for {
		select {
		case ev := <-ch:
			got = append(got, ev.Type+" "+ev.Action)
			evs = append(evs, ev)
			if ev.Type+" "+ev.Action == last {
				return got, evs
			}
		case <-time.After(time.Minute):
			t.Fatalf("no %q event in a minute; got %q", last, got)
		}
	}
}

func TestEventsContainerDetached(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	ch := watchEvents(t, e, nil)
	vol, err := e.CreateVolume(ctx, "evdata")
	require.NoError(t, err)
	c, err := e.Create(ctx, Config{Image: "busybox", Name: "ev1", Cmd: []string{"sleep", "100"},
		Labels: map[string]string{"app": "x"},
		Mounts: []Mount{{Type: "volume", Source: vol.Name, Target: "/data"}}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	p := c.Exec(ExecConfig{Cmd: []string{"true"}})
	require.NoError(t, p.Start(ctx))
	_, err = p.Wait(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Pause(ctx))
	require.NoError(t, c.Unpause(ctx))
	require.NoError(t, c.Stop(ctx, 0)) // sleep ignores SIGTERM: killed at once
	require.NoError(t, c.Remove(ctx))
	require.NoError(t, e.RemoveVolume(ctx, vol.Name))
	got, evs := eventsUntil(t, ch, "volume destroy")
	assert.Equal(t, []string{
		"volume create", "container create", "volume mount", "container start",
		"container exec_create: true", "container exec_start: true", "container exec_die",
		"container pause", "container unpause",
		"container kill", "container kill", // SIGTERM, then SIGKILL
		"container die", "volume unmount", "container stop", "container destroy", "volume destroy",
	}, got)
	byAction := map[string]Event{}
	for _, ev := range evs {
		byAction[ev.Type+" "+ev.Action] = ev
	}
	// The die comes from the monitor, another process.
	die := byAction["container die"]
	assert.Equal(t, c.ID(), die.Actor.ID)
	// execDuration is whole seconds: 0, or 1 when the run crossed a
	// second's boundary.
	attrs := maps.Clone(die.Actor.Attributes)
	assert.Contains(t, []string{"0", "1"}, attrs["execDuration"], "die's execDuration")
	delete(attrs, "execDuration")
	assert.Equal(t, map[string]string{"app": "x", "name": "ev1", "image": "busybox", "exitCode": "137"},
		attrs, "die attributes")
	assert.Equal(t, "local", die.Scope)
	assert.WithinDuration(t, time.Now(), die.Time, time.Minute, "die time")
	assert.Equal(t, "9", byAction["container kill"].Actor.Attributes["signal"], "last kill's signal")
	assert.Equal(t, p.ID(), byAction["container exec_die"].Actor.Attributes["execID"])
	assert.Equal(t, "0", byAction["container exec_die"].Actor.Attributes["exitCode"])
	mount := byAction["volume mount"].Actor
	assert.Equal(t, "evdata", mount.ID)
	assert.Equal(t, map[string]string{"driver": "local", "container": c.ID(), "destination": "/data",
		"read/write": "true", "propagation": ""}, mount.Attributes)
}

func TestEventsContainerAttached(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	ch := watchEvents(t, e, nil)
	_, _, st := run(t, e, Config{Image: "busybox", Name: "ev2", Cmd: []string{"sh", "-c", "exit 3"}})
	require.Equal(t, 3, st.Code)
	got, evs := eventsUntil(t, ch, "container destroy")
	assert.Equal(t, []string{"container create", "container start", "container die", "container destroy"}, got)
	assert.Equal(t, "3", evs[2].Actor.Attributes["exitCode"], "die exitCode")
	assert.Equal(t, "ev2", evs[3].Actor.Attributes["name"], "destroy name")

	// A detached container removed by its monitor (run -d --rm): die and
	// destroy both come from the monitor.
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "exit 4"}, AutoRemove: true})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	got, evs = eventsUntil(t, ch, "container destroy")
	assert.Equal(t, []string{"container create", "container start", "container die", "container destroy"}, got)
	assert.Equal(t, "4", evs[2].Actor.Attributes["exitCode"], "die exitCode")
	assert.Equal(t, c.ID(), evs[3].Actor.ID, "destroy ID")

	// The attributes carry the image's labels under the container's, as
	// Docker's.
	_, err = e.ImportDir(ctx, testutil.BusyboxRootfs(t), "labelled:1", ImportConfig(ocispec.ImageConfig{
		Cmd: []string{"true"}, Labels: map[string]string{"from": "image", "both": "image"}}))
	require.NoError(t, err)
	run(t, e, Config{Image: "labelled:1", Name: "ev3", Labels: map[string]string{"both": "container"}})
	_, evs = eventsUntil(t, ch, "container destroy")
	assert.Equal(t, map[string]string{"from": "image", "both": "container", "name": "ev3", "image": "labelled:1"},
		evs[len(evs)-1].Actor.Attributes, "destroy attributes")
}

func TestEventsImages(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	ch := watchEvents(t, e, func(ev *Event) bool { return ev.Type == EventImage })
	img, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	require.NoError(t, e.Tag(ctx, "busybox", "evtest:1"))
	_, err = e.RemoveImage(ctx, "evtest:1")
	require.NoError(t, err)
	var buf strings.Builder
	require.NoError(t, e.Save(ctx, &buf, []string{"busybox"}))
	_, err = e.Load(ctx, strings.NewReader(buf.String()))
	require.NoError(t, err)
	_, err = e.RemoveImage(ctx, img.ID, RemoveForce())
	require.NoError(t, err)
	got, evs := eventsUntil(t, ch, "image delete")
	assert.Equal(t, []string{"image tag", "image untag", "image save", "image load", "image untag", "image delete"}, got)
	for i, want := range []struct{ id, name string }{
		{img.ID, "evtest:1"}, {img.ID, "evtest:1"}, {img.ID, "busybox:latest"}, {img.ID, img.ID},
		{img.ID, "busybox:latest"}, {img.ID, img.ID},
	} {
		assert.Equal(t, want.id, evs[i].Actor.ID, "event %d (%s) ID", i, got[i])
		assert.Equal(t, want.name, evs[i].Actor.Attributes["name"], "event %d (%s) name", i, got[i])
	}
	_, err = e.Prune(ctx)
	require.NoError(t, err)
	got, evs = eventsUntil(t, ch, "image prune")
	assert.Equal(t, []string{"image prune"}, got)
	assert.Equal(t, "0", evs[0].Actor.Attributes["reclaimed"])
}

// A health check's status changes are events, as Docker's
// "health_status: healthy"; the checks' execs are events too.
func TestEventsHealthStatus(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	ch := watchEvents(t, e, func(ev *Event) bool { return strings.HasPrefix(ev.Action, "health_status") })
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "600"},
		Healthcheck: &Healthcheck{Test: []string{"CMD", "cat", "/tmp/ok"}, Interval: 50 * time.Millisecond, Retries: 1}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	got, _ := eventsUntil(t, ch, "container health_status: unhealthy")
	assert.Equal(t, []string{"container health_status: unhealthy"}, got)
	_, err = runExec(t, c, "touch", "/tmp/ok")
	require.NoError(t, err)
	got, evs := eventsUntil(t, ch, "container health_status: healthy")
	assert.Equal(t, []string{"container health_status: healthy"}, got)
	assert.Equal(t, c.ID(), evs[0].Actor.ID)
	require.NoError(t, c.Remove(ctx, RemoveForce()))
}
