//go:build linux

package dock

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/procstat"
)

// writeTimedLines appends to the container's json.log one line per time,
// "line N" on stdout, N counting from first, logged at base + times[i]
// seconds.
func writeTimedLines(t *testing.T, c *Container, base time.Time, first int, secs ...int) {
	t.Helper()
	f, err := os.OpenFile(c.dir("json.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, s := range secs {
		b, err := json.Marshal(logLine{Log: fmt.Sprintf("line %d\n", first+i), Stream: "stdout", Time: base.Add(time.Duration(s) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(append(b, '\n')); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLogsSinceUntil(t *testing.T) {
	c := logTestContainer(t, LogConfig{})
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	writeTimedLines(t, c, base, 0, 0, 10, 20, 30, 40) // lines 0-4
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	for _, tc := range []struct {
		name string
		opt  LogOptions
		want string
	}{
		{"since before all", LogOptions{Since: at(-5)}, wantLines(0, 5)},
		{"since a line's time", LogOptions{Since: at(20)}, wantLines(2, 5)},
		{"since between lines", LogOptions{Since: at(21)}, wantLines(3, 5)},
		{"since after all", LogOptions{Since: at(41)}, ""},
		{"until a line's time", LogOptions{Until: at(20)}, wantLines(0, 3)},
		{"until between lines", LogOptions{Until: at(19)}, wantLines(0, 2)},
		{"until before all", LogOptions{Until: at(-1)}, ""},
		{"since and until", LogOptions{Since: at(5), Until: at(35)}, wantLines(1, 4)},
		{"until before since", LogOptions{Since: at(30), Until: at(10)}, ""},
		// The tail first, then since: docker logs --tail 3 --since.
		{"tail then since", LogOptions{Tail: 3, Since: at(15)}, wantLines(2, 5)},
		{"tail within since", LogOptions{Tail: 2, Since: at(15)}, wantLines(3, 5)},
		{"tail then until", LogOptions{Tail: 3, Until: at(30)}, wantLines(2, 4)},
		{"tail none and since", LogOptions{Tail: TailNone, Since: at(0)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := readLogs(t, c, tc.opt); got != tc.want {
				t.Errorf("Logs(%+v) = %q, want %q", tc.opt, got, tc.want)
			}
		})
	}
	t.Run("timestamps", func(t *testing.T) {
		got := readLogs(t, c, LogOptions{Since: at(40), Timestamps: true})
		if want := "2024-05-01T10:00:40Z line 4\n"; got != want {
			t.Errorf("Logs(Since, Timestamps) = %q, want %q", got, want)
		}
	})
}

// With Follow, Until ends the output: at once when it has passed (the
// container still running), else once it passes, with none of the lines
// logged after it.
func TestLogsFollowUntil(t *testing.T) {
	c := logTestContainer(t, LogConfig{})
	start, err := procstat.StartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.writeState(State{Status: StatusRunning, Pid: os.Getpid(), PidStart: start, Detached: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	writeTimedLines(t, c, now, 0, -30, -20, -10)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out syncBuffer
	err = c.Logs(ctx, &out, &out, LogOptions{Follow: true, Until: now.Add(-15 * time.Second)})
	if err != nil || out.String() != wantLines(0, 2) {
		t.Errorf("Logs(Follow, Until in the past) = %q, %v, want lines 0-1 and the end", out.String(), err)
	}

	// Until ahead: the lines logged before it, and the end at the first
	// line logged after it, with the container still running and Until
	// still ahead.
	until := time.Now().Add(time.Hour)
	out = syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- c.Logs(ctx, &out, &out, LogOptions{Follow: true, Tail: TailNone, Until: until}) }()
	n := 3
	waitFor(t, "a new line in the followed output", func() bool {
		if strings.Contains(out.String(), "line") {
			return true
		}
		writeTimedLines(t, c, time.Now(), n, 0)
		n++
		return false
	})
	writeTimedLines(t, c, until, n, 1, 0) // after until, then before it
	if err := <-done; err != nil {
		t.Fatalf("Logs(Follow, Until ahead) = %v, want nil at the line after Until", err)
	}
	got := out.String()
	var first int
	if _, err := fmt.Sscanf(got, "line %d\n", &first); err != nil || got != wantLines(first, n) {
		t.Errorf("Logs(Follow, Until ahead) = %q, want lines from one at or after 3 up to line %d, none after", got, n-1)
	}
}
