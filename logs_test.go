//go:build linux

package dock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/procstat"
)

func TestLogConfigResolved(t *testing.T) {
	for _, tc := range []struct {
		in, want LogConfig
	}{
		{LogConfig{}, LogConfig{MaxSize: 20 << 20, MaxFiles: 5}},
		{LogConfig{MaxSize: 1000}, LogConfig{MaxSize: 1000, MaxFiles: 5}},
		{LogConfig{MaxFiles: 2}, LogConfig{MaxSize: 20 << 20, MaxFiles: 2}},
		{LogConfig{MaxSize: -1}, LogConfig{MaxSize: -1, MaxFiles: 1}},
		{LogConfig{MaxSize: 7, MaxFiles: 1}, LogConfig{MaxSize: 7, MaxFiles: 1}},
	} {
		if got := tc.in.resolved(); got != tc.want {
			t.Errorf("%+v.resolved() = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestValidateLog(t *testing.T) {
	for _, tc := range []struct {
		lc   LogConfig
		want string // "" for valid
	}{
		{LogConfig{}, ""},
		{LogConfig{MaxSize: 1, MaxFiles: 1}, ""},
		{LogConfig{MaxSize: -1}, ""},
		{LogConfig{MaxSize: -1, MaxFiles: 1}, ""},
		{LogConfig{MaxSize: 10 << 20, MaxFiles: MaxLogFiles}, ""},
		{LogConfig{MaxSize: -2}, "log max size -2"},
		{LogConfig{MaxFiles: -1}, "log max files -1"},
		{LogConfig{MaxFiles: MaxLogFiles + 1}, "log max files 1001"},
		{LogConfig{MaxSize: -1, MaxFiles: 3}, "needs a max size"},
	} {
		err := validateConfig(&Config{Image: "busybox", Log: tc.lc})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("validateConfig(Log: %+v) = %v, want nil", tc.lc, err)
		case tc.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("validateConfig(Log: %+v) = %v, want ErrInvalid with %q", tc.lc, err, tc.want)
		}
	}
}

// logTestContainer is a container record without an image or a process:
// enough for the log writer and Logs.
func logTestContainer(t *testing.T, lc LogConfig) *Container {
	t.Helper()
	e, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	id := newID()
	c := &Container{e: e, id: id, rec: &containerRecord{ID: id, Config: Config{Log: lc.resolved()}}}
	if err := os.MkdirAll(c.dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	return c
}

// logFileSizes returns the sizes of json.log, json.log.1, ... up to the
// first that is missing, and fails the test if a later one exists.
func logFileSizes(t *testing.T, c *Container) []int64 {
	t.Helper()
	var sizes []int64
	for i := 0; ; i++ {
		fi, err := os.Stat(rotatedLog(c.dir("json.log"), i))
		if errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(rotatedLog(c.dir("json.log"), i+1)); err == nil {
				t.Errorf("json.log.%d exists after a gap at %d", i+1, i)
			}
			return sizes
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fi.Size())
	}
}

// writeLines logs lines from to to-1 as "line N\n" on stdout through w.
func writeLines(w *logWriter, from, to int) {
	s := w.stream("stdout", nil)
	for i := from; i < to; i++ {
		fmt.Fprintf(s, "line %d\n", i)
	}
}

// wantLines is "line from\n" ... "line to-1\n".
func wantLines(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func readLogs(t *testing.T, c *Container, opt LogOptions) string {
	t.Helper()
	var out syncBuffer
	if err := c.Logs(context.Background(), &out, &out, opt); err != nil {
		t.Fatalf("Logs(%+v) = %v", opt, err)
	}
	return out.String()
}

func TestLogWriterRotates(t *testing.T) {
	for _, tc := range []struct {
		lc        LogConfig
		wantFiles int
	}{
		{LogConfig{MaxSize: 2000, MaxFiles: 3}, 3},
		{LogConfig{MaxSize: 2000, MaxFiles: 1}, 1},
		{LogConfig{MaxSize: 2000, MaxFiles: 2}, 2},
	} {
		t.Run(fmt.Sprintf("%d-%d", tc.lc.MaxSize, tc.lc.MaxFiles), func(t *testing.T) {
			c := logTestContainer(t, tc.lc)
			w, err := c.openLog(tc.lc)
			if err != nil {
				t.Fatal(err)
			}
			writeLines(w, 0, 500) // about 70 bytes a line: 35 KB
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			sizes := logFileSizes(t, c)
			if len(sizes) != tc.wantFiles {
				t.Errorf("log files %v, want %d files", sizes, tc.wantFiles)
			}
			for i, n := range sizes {
				if n > tc.lc.MaxSize {
					t.Errorf("json.log(.%d) has %d bytes, want at most %d", i, n, tc.lc.MaxSize)
				}
			}
			// What is kept is the end of the output, in order.
			out := readLogs(t, c, LogOptions{})
			if !strings.HasSuffix(wantLines(0, 500), out) || !strings.HasSuffix(out, "line 499\n") {
				t.Errorf("Logs() = %q, want the last lines up to line 499", out)
			}
			if n := strings.Count(out, "\n"); n < 25*(tc.wantFiles-1) {
				t.Errorf("Logs() has %d lines, want the rotated files' too", n)
			}
			// A restart appends to json.log and counts its size.
			w, err = c.openLog(tc.lc)
			if err != nil {
				t.Fatal(err)
			}
			writeLines(w, 500, 600)
			w.Close()
			for i, n := range logFileSizes(t, c) {
				if n > tc.lc.MaxSize {
					t.Errorf("after a restart, json.log(.%d) has %d bytes, want at most %d", i, n, tc.lc.MaxSize)
				}
			}
			if out := readLogs(t, c, LogOptions{Tail: 3}); out != wantLines(597, 600) {
				t.Errorf("Logs(Tail: 3) after a restart = %q, want lines 597-599", out)
			}
		})
	}
}

func TestLogWriterNoLimit(t *testing.T) {
	lc := LogConfig{MaxSize: -1}
	c := logTestContainer(t, lc)
	w, err := c.openLog(lc)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(w, 0, 1000)
	w.Close()
	if sizes := logFileSizes(t, c); len(sizes) != 1 {
		t.Errorf("log files %v with no limit, want 1", sizes)
	}
	if out := readLogs(t, c, LogOptions{}); out != wantLines(0, 1000) {
		t.Errorf("Logs() with no limit lost lines: %d bytes, want %d", len(out), len(wantLines(0, 1000)))
	}
}

// A line longer than MaxSize gets a file of its own: never an endless
// rotation, never a lost line.
func TestLogWriterLongLine(t *testing.T) {
	lc := LogConfig{MaxSize: 100, MaxFiles: 3}
	c := logTestContainer(t, lc)
	w, err := c.openLog(lc)
	if err != nil {
		t.Fatal(err)
	}
	s := w.stream("stdout", nil)
	long := strings.Repeat("x", 500) + "\n"
	fmt.Fprint(s, "a\n", long, "b\n")
	w.Close()
	if got := readLogs(t, c, LogOptions{}); got != "a\n"+long+"b\n" {
		t.Errorf("Logs() = %q, want a, the long line, b", got)
	}
	if sizes := logFileSizes(t, c); len(sizes) != 3 || sizes[1] < 500 {
		t.Errorf("log files %v, want 3 with the long line alone in the middle one", sizes)
	}
}

func TestLogsTailAcrossFiles(t *testing.T) {
	lc := LogConfig{MaxSize: 1000, MaxFiles: 5}
	c := logTestContainer(t, lc)
	w, err := c.openLog(lc)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(w, 0, 100) // 7,000 bytes: all files in use, lines 0-99 partly dropped
	w.Close()
	all := readLogs(t, c, LogOptions{})
	first := strings.Count(wantLines(0, 100), "\n") - strings.Count(all, "\n")
	if all != wantLines(first, 100) {
		t.Fatalf("Logs() = %q, want lines %d-99", all, first)
	}
	newest, err := os.ReadFile(c.dir("json.log"))
	if err != nil {
		t.Fatal(err)
	}
	inNewest := strings.Count(string(newest), "\n")
	for _, n := range []int{1, inNewest, inNewest + 1, inNewest + 20, 100 - first, 100 - first + 1, 1000} {
		want := wantLines(max(100-n, first), 100)
		if got := readLogs(t, c, LogOptions{Tail: n}); got != want {
			t.Errorf("Logs(Tail: %d) = %q, want %q", n, got, want)
		}
	}
}

// Follow goes on across rotations that happen while it follows, however
// many files it is behind (up to MaxFiles-1), without losing or repeating
// a line, and stops once the container has exited and the files are
// drained.
func TestLogsFollowAcrossRotation(t *testing.T) {
	lc := LogConfig{MaxSize: 1000, MaxFiles: 5}
	c := logTestContainer(t, lc)
	// The container runs as far as State can tell: this process is its
	// "process".
	start, err := procstat.StartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.writeState(State{Status: StatusRunning, Pid: os.Getpid(), PidStart: start, Detached: true}); err != nil {
		t.Fatal(err)
	}
	w, err := c.openLog(lc)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(w, 0, 5)
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- c.Logs(context.Background(), &out, &out, LogOptions{Follow: true, Tail: 2}) }()
	n := 5
	for round, batch := range []int{1, 10, 14, 30, 36, 25, 3, 36} {
		// Wait until the follower has caught up: then a batch rotates
		// the log up to 3 times while it follows.
		waitFor(t, fmt.Sprintf("round %d: line %d in the followed output", round, n-1), func() bool {
			return strings.HasSuffix(out.String(), fmt.Sprintf("line %d\n", n-1))
		})
		writeLines(w, n, n+batch)
		n += batch
	}
	w.Close()
	if err := c.writeState(State{Status: StatusExited}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Logs(Follow) = %v", err)
	}
	if got, want := out.String(), wantLines(3, n); got != want {
		t.Errorf("Logs(Follow) across rotations = %q, want %q", got, want)
	}
	if sizes := logFileSizes(t, c); len(sizes) != 5 {
		t.Errorf("log files %v, want 5 (the test must rotate)", sizes)
	}
}

// waitFor polls fn until it is true, failing after 20 s.
func waitFor(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TailNone writes none of the lines logged before the call (docker logs
// --tail 0): nothing without Follow; with Follow, only the new lines,
// from the first one on, with none lost.
func TestLogsTailNone(t *testing.T) {
	lc := LogConfig{MaxSize: 1000, MaxFiles: 3}
	c := logTestContainer(t, lc)
	start, err := procstat.StartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.writeState(State{Status: StatusRunning, Pid: os.Getpid(), PidStart: start, Detached: true}); err != nil {
		t.Fatal(err)
	}
	w, err := c.openLog(lc)
	if err != nil {
		t.Fatal(err)
	}
	const old = 40 // rotated: json.log.1 and json.log hold lines
	writeLines(w, 0, old)
	if got := readLogs(t, c, LogOptions{Tail: TailNone}); got != "" {
		t.Errorf("Logs(Tail: TailNone) = %q, want nothing", got)
	}

	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- c.Logs(context.Background(), &out, &out, LogOptions{Follow: true, Tail: TailNone}) }()
	// The follower starts at some point: write a line at a time until
	// one shows.
	n := old
	waitFor(t, "a new line in the followed output", func() bool {
		if out.String() != "" {
			return true
		}
		writeLines(w, n, n+1)
		n++
		return false
	})
	writeLines(w, n, n+30) // and more, across a rotation
	n += 30
	w.Close()
	if err := c.writeState(State{Status: StatusExited}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Logs(Follow, TailNone) = %v", err)
	}
	got := out.String()
	var first int
	if _, err := fmt.Sscanf(got, "line %d\n", &first); err != nil || first < old || got != wantLines(first, n) {
		t.Errorf("Logs(Follow, TailNone) = %q, want the lines from one at or after line %d up to line %d", got, old, n-1)
	}
}
