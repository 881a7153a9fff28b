package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// screen plays what ttyBuild writes on a pretend terminal (cursor up,
// clear line, newlines; colours dropped) and returns the lines it shows.
func screen(out string) []string {
	lines := []string{""}
	row := 0
	for len(out) > 0 {
		switch {
		case strings.HasPrefix(out, "\x1b[1A"):
			row--
			out = out[4:]
		case strings.HasPrefix(out, "\x1b[2K"):
			lines[row] = ""
			out = out[4:]
		case strings.HasPrefix(out, "\x1b[2m"), strings.HasPrefix(out, "\x1b[0m"):
			out = out[4:]
		case out[0] == '\n':
			row++
			if row == len(lines) {
				lines = append(lines, "")
			}
			out = out[1:]
		default:
			lines[row] += out[:1]
			out = out[1:]
		}
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func TestTTYBuild(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	now := func() time.Time { return clock }
	tb := newTTYBuild(&out, now)

	tb.progress("Step 1/3 : FROM busybox")
	clock = clock.Add(100 * time.Millisecond)
	tb.progress("Step 2/3 : RUN seq 10")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(tb, "line %d\n", i)
	}
	fmt.Fprint(tb, "no newline yet")
	// While it runs: the step and the last six lines of its output.
	assert.Equal(t, []string{
		"#1 Step 1/3 : FROM busybox 0.1s",
		"#2 Step 2/3 : RUN seq 10",
		"#2 line 5", "#2 line 6", "#2 line 7", "#2 line 8", "#2 line 9", "#2 line 10",
	}, screen(out.String()))

	clock = clock.Add(1500 * time.Millisecond)
	tb.progress("Step 3/3 : COPY a /a")
	tb.progress(" ---> Using cache")
	tb.finish(true)
	assert.Equal(t, []string{
		"#1 Step 1/3 : FROM busybox 0.1s",
		"#2 Step 2/3 : RUN seq 10 1.5s",
		"#3 Step 3/3 : COPY a /a CACHED",
		"[+] Building 1.6s (3 steps) FINISHED",
	}, screen(out.String()))
}

func TestTTYBuildFailed(t *testing.T) {
	var out bytes.Buffer
	tb := newTTYBuild(&out, time.Now)
	tb.progress("Step 1/1 : RUN false")
	tb.finish(false)
	lines := screen(out.String())
	assert.Len(t, lines, 2)
	assert.True(t, strings.HasSuffix(lines[1], "FAILED"), "%q", lines)
}
