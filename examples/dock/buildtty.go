package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ttyTailLines is how many of the running step's last output lines the
// terminal display shows, as BuildKit's does.
const ttyTailLines = 6

// ttyBuild is the terminal display of "build --progress=tty": one line per
// step, ending with CACHED or its duration; under the running step, the
// last lines of its output, erased when it ends (the whole output of a
// failed step is in its error). Steps and output arrive from the build's
// goroutines; the mutex keeps the redraws whole.
type ttyBuild struct {
	mu      sync.Mutex
	w       io.Writer
	now     func() time.Time
	started time.Time
	step    string // the running step's line; "" before the first
	since   time.Time
	cached  bool
	tail    []string // its last output lines
	partial []byte   // an output line not ended yet
	drawn   int      // lines drawn under the step line
	steps   int
}

func newTTYBuild(w io.Writer, now func() time.Time) *ttyBuild {
	return &ttyBuild{w: w, now: now, started: now()}
}

// progress takes a progress line of Build: a new step, or the note that
// the running one came from the cache.
func (t *ttyBuild) progress(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if strings.HasPrefix(line, " ---> Using cache") {
		t.cached = true
		return
	}
	t.endStep()
	t.step, t.since, t.cached, t.tail, t.partial = line, t.now(), false, nil, nil
	t.steps++
	fmt.Fprintf(t.w, "#%d %s\n", t.steps, line)
}

// Write takes output of the running step.
func (t *ttyBuild) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.tail = append(t.tail, strings.TrimRight(string(t.partial[:i]), "\r"))
		t.partial = t.partial[i+1:]
	}
	if len(t.tail) > ttyTailLines {
		t.tail = t.tail[len(t.tail)-ttyTailLines:]
	}
	t.redraw()
	return len(p), nil
}

// redraw replaces the lines under the step line by the current tail.
func (t *ttyBuild) redraw() {
	var b strings.Builder
	t.erase(&b)
	for _, l := range t.tail {
		fmt.Fprintf(&b, "#%d \x1b[2m%s\x1b[0m\n", t.steps, l)
	}
	t.drawn = len(t.tail)
	io.WriteString(t.w, b.String())
}

// erase moves the cursor up over the drawn tail, clearing it.
func (t *ttyBuild) erase(b *strings.Builder) {
	for range t.drawn {
		b.WriteString("\x1b[1A\x1b[2K")
	}
	t.drawn = 0
}

// endStep closes the running step: its tail is erased and its line
// rewritten with CACHED or how long it took.
func (t *ttyBuild) endStep() {
	if t.step == "" {
		return
	}
	var b strings.Builder
	t.erase(&b)
	b.WriteString("\x1b[1A\x1b[2K")
	if t.cached {
		fmt.Fprintf(&b, "#%d %s CACHED\n", t.steps, t.step)
	} else {
		fmt.Fprintf(&b, "#%d %s %.1fs\n", t.steps, t.step, t.now().Sub(t.since).Seconds())
	}
	io.WriteString(t.w, b.String())
	t.step = ""
}

// finish closes the last step and prints the total, as BuildKit's
// "[+] Building 1.2s (7/7) FINISHED".
func (t *ttyBuild) finish(ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.steps == 0 {
		return // failed before its first step: the error says it all
	}
	t.endStep()
	state := "FINISHED"
	if !ok {
		state = "FAILED"
	}
	fmt.Fprintf(t.w, "[+] Building %.1fs (%d steps) %s\n", t.now().Sub(t.started).Seconds(), t.steps, state)
}
