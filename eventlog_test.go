package dock

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openRoot opens an engine on a fresh state directory, without images.
func openRoot(t *testing.T, root string) *Engine {
	t.Helper()
	e, err := Open(root)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

// appendAt records an event of the given action at a given time.
func appendAt(t *testing.T, e *Engine, action string, at time.Time) {
	t.Helper()
	ev := Event{Type: EventImage, Action: action, Actor: EventActor{ID: "x", Attributes: attrs("name", action)}, Scope: "local", Time: at}
	require.NoError(t, appendEvent(e.path("events"), &ev))
}

// pastEvents reads the recorded events from since to until, not
// following.
func pastEvents(t *testing.T, e *Engine, opts EventOptions) []string {
	t.Helper()
	var got []string
	for ev, err := range e.Events(context.Background(), opts) {
		require.NoError(t, err)
		got = append(got, ev.Action)
	}
	return got
}

func TestEventsSinceUntil(t *testing.T) {
	e := openRoot(t, t.TempDir())
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i, a := range []string{"a", "b", "c", "d"} {
		appendAt(t, e, a, t0.Add(time.Duration(i)*time.Minute))
	}
	for _, tc := range []struct {
		name         string
		since, until time.Time
		want         []string
	}{
		{"all", t0, time.Now(), []string{"a", "b", "c", "d"}},
		{"since is inclusive", t0.Add(time.Minute), time.Now(), []string{"b", "c", "d"}},
		{"until is inclusive", t0, t0.Add(2 * time.Minute), []string{"a", "b", "c"}},
		{"between", t0.Add(30 * time.Second), t0.Add(150 * time.Second), []string{"b", "c"}},
		{"none", t0.Add(-time.Hour), t0.Add(-time.Minute), nil},
		// Without since but with until, every event recorded, as Docker.
		{"no since", time.Time{}, t0.Add(time.Minute), []string{"a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pastEvents(t, e, EventOptions{Since: tc.since, Until: tc.until})
			assert.Equal(t, tc.want, got)
		})
	}
	filter := func(ev *Event) bool { return ev.Actor.Attributes["name"] != "b" }
	got := pastEvents(t, e, EventOptions{Since: t0, Until: time.Now(), Filter: filter})
	assert.Equal(t, []string{"a", "c", "d"}, got, "Events with a filter")
}

// follow ranges over Events in a goroutine and sends each event's action
// on the returned channel, closed when the sequence ends.
func follow(ctx context.Context, e *Engine, opts EventOptions) <-chan string {
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		for ev, err := range e.Events(ctx, opts) {
			if err != nil {
				ch <- "error: " + err.Error()
				return
			}
			ch <- ev.Action
		}
	}()
	return ch
}

// next receives from ch, failing the test after a minute.
func next(t *testing.T, ch <-chan string) (string, bool) {
	t.Helper()
	select {
	case s, ok := <-ch:
		return s, ok
	case <-time.After(time.Minute):
		t.Fatal("no event in a minute")
		return "", false
	}
}

func TestEventsFollowAnotherEngine(t *testing.T) {
	root := t.TempDir()
	e1, e2 := openRoot(t, root), openRoot(t, root)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	appendAt(t, e1, "before", time.Now().Add(-time.Second))
	ch := follow(ctx, e1, EventOptions{Since: time.Now()})
	_, err := e2.CreateVolume(ctx, "v1")
	require.NoError(t, err)
	require.NoError(t, e2.RemoveVolume(ctx, "v1"))
	got, _ := next(t, ch)
	assert.Equal(t, "create", got, "first event seen by the other engine")
	got, _ = next(t, ch)
	assert.Equal(t, "destroy", got, "second event seen by the other engine")
	cancel()
	_, ok := next(t, ch)
	assert.False(t, ok, "Events goes on after its ctx ended")
}

func TestEventsFollowUntil(t *testing.T) {
	e := openRoot(t, t.TempDir())
	until := time.Now().Add(300 * time.Millisecond)
	ch := follow(context.Background(), e, EventOptions{Until: until})
	_, ok := next(t, ch)
	assert.False(t, ok, "Events with a near Until yielded or did not end")
	assert.False(t, time.Now().Before(until), "Events ended before its Until")
}

// Following leaves nothing behind: no descriptor (the log, the inotify
// instance), no goroutine.
func TestEventsNoLeaks(t *testing.T) {
	e := openRoot(t, t.TempDir())
	appendAt(t, e, "x", time.Now())
	count := func() (fds, goroutines int) {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd")
		}
		return len(ents), runtime.NumGoroutine()
	}
	fds0, g0 := count()
	for range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		ch := follow(ctx, e, EventOptions{Since: time.Now().Add(-time.Hour)})
		got, _ := next(t, ch)
		require.Equal(t, "x", got)
		cancel()
		for range ch {
		}
	}
	// Goroutines that just ended may not be counted out yet.
	var fds, g int
	for range 100 {
		if fds, g = count(); fds <= fds0 && g <= g0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, fds, fds0, "descriptors after 20 follows")
	assert.LessOrEqual(t, g, g0, "goroutines after 20 follows")
}

func TestEventsRotation(t *testing.T) {
	e := openRoot(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	ch := follow(ctx, e, EventOptions{Since: start})
	// Enough events for two rotations: the first ones are dropped.
	line, err := marshalEvent(&Event{Type: EventImage, Action: "0", Actor: EventActor{ID: "x"}, Time: start})
	require.NoError(t, err)
	n := 2*eventLogMax/len(line) + 100
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			ev := Event{Type: EventImage, Action: strconv.Itoa(i), Actor: EventActor{ID: "x"}, Time: time.Now()}
			if err := appendEvent(e.path("events"), &ev); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	// The follower sees every event once, in order, across rotations.
	for i := range n {
		got, ok := next(t, ch)
		require.True(t, ok, "Events ended")
		require.Equal(t, strconv.Itoa(i), got, "event %d", i)
	}
	<-done
	fi, err := os.Stat(filepath.Join(e.path("events"), eventLogName))
	require.NoError(t, err)
	assert.LessOrEqual(t, fi.Size(), int64(eventLogMax), "log size after rotation")
	// Reading the past afterwards starts at log.1's first event and ends
	// with the last.
	past := pastEvents(t, e, EventOptions{Since: start, Until: time.Now()})
	require.NotEmpty(t, past)
	assert.Less(t, len(past), n, "the oldest events were dropped")
	assert.GreaterOrEqual(t, len(past)*len(line), eventLogMax, "at least eventLogMax bytes of events are kept")
	assert.Equal(t, strconv.Itoa(n-1), past[len(past)-1], "last event")
	first, err := strconv.Atoi(past[0])
	require.NoError(t, err)
	for i, a := range past {
		require.Equal(t, strconv.Itoa(first+i), a, "past event %d out of order", i)
	}
}

// Writers that append while another rotates: no line goes to a log
// that was rotated away after a follower left it, and the follower sees
// every event once, in each writer's order. The follower is held up (its
// channel full) while the log is rotated twice: it reads the log it
// followed to its end, then the log.1 it never saw, then the new log.
func TestEventsRotationConcurrentWriters(t *testing.T) {
	e := openRoot(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	ch := follow(ctx, e, EventOptions{Since: start})
	line, err := marshalEvent(&Event{Type: EventImage, Action: "0-0000", Actor: EventActor{ID: "x"}, Time: start})
	require.NoError(t, err)
	const writers = 8
	perWriter := (5*eventLogMax/2/len(line))/writers + 1 // two rotations
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				ev := Event{Type: EventImage, Action: fmt.Sprintf("%d-%04d", w, i), Actor: EventActor{ID: "x"}, Time: time.Now()}
				if err := appendEvent(e.path("events"), &ev); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	appendAt(t, e, "end", time.Now())
	seen := map[string]int{}
	lastOf := map[int]int{} // each writer's last event seen
	var disordered []string
	for {
		got, ok := next(t, ch)
		require.True(t, ok, "Events ended")
		if got == "end" {
			break
		}
		seen[got]++
		var w, i int
		_, err := fmt.Sscanf(got, "%d-%d", &w, &i)
		require.NoError(t, err, "event %q", got)
		if last, ok := lastOf[w]; ok && i <= last {
			disordered = append(disordered, got)
		}
		lastOf[w] = i
	}
	var missed, twice []string
	for w := range writers {
		for i := range perWriter {
			a := fmt.Sprintf("%d-%04d", w, i)
			switch seen[a] {
			case 0:
				missed = append(missed, a)
			case 1:
			default:
				twice = append(twice, a)
			}
		}
	}
	assert.Empty(t, missed, "events the follower missed (of %d)", writers*perWriter)
	assert.Empty(t, twice, "events the follower saw twice")
	assert.Empty(t, disordered, "events the follower saw before an earlier one of the same writer")
}

func TestEventsTornLine(t *testing.T) {
	e := openRoot(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := follow(ctx, e, EventOptions{Since: time.Now().Add(-time.Minute)})
	line, err := marshalEvent(&Event{Type: EventImage, Action: "whole", Actor: EventActor{ID: "x"}, Time: time.Now()})
	require.NoError(t, err)
	f, err := os.OpenFile(filepath.Join(e.path("events"), eventLogName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	// A line written in two parts is read once whole; a line that is
	// not an event is skipped.
	_, err = f.Write(append([]byte("not json\n"), line[:10]...))
	require.NoError(t, err)
	_, err = f.Write(line[10:])
	require.NoError(t, err)
	got, _ := next(t, ch)
	assert.Equal(t, "whole", got)
}

func TestMarshalEventLongLabels(t *testing.T) {
	big := make([]byte, eventLineMax)
	for i := range big {
		big[i] = 'x'
	}
	ev := Event{Type: EventContainer, Action: "start", Actor: EventActor{ID: "id",
		Attributes: attrs("name", "web", "image", "busybox", "huge", string(big))}, Time: time.Unix(5, 6)}
	line, err := marshalEvent(&ev)
	require.NoError(t, err)
	assert.Less(t, len(line), eventLineMax, "line length")
	got, ok := parseEvent(line[:len(line)-1])
	require.True(t, ok)
	assert.Equal(t, map[string]string{"name": "web", "image": "busybox"}, got.Actor.Attributes)
	assert.Equal(t, time.Unix(5, 6), got.Time)
}
