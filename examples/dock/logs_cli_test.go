package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The container's output of TestCLILogsTerminal: a clipboard write
// (OSC 52), a window title, colours, a screen erase, a lone carriage
// return.
const hostileOutput = "\x1b]52;c;aGk=\x07x\n\x1b]0;pwned\x07\x1b[1;31mred\x1b[0m\n\x1b[2Jclear\rover\n"

// dock logs escapes the control characters of a container's output on a
// terminal (all but colours, newlines and tabs), and writes it raw
// elsewhere.
func TestCLILogsTerminal(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "--name", "h", "busybox", "printf", strings.ReplaceAll(hostileOutput, "%", "%%"))
	// Piped: byte for byte, as docker.
	if out := e.ok(nil, "logs", "h"); out != hostileOutput {
		t.Errorf("logs to a pipe = %q, want the raw %q", out, hostileOutput)
	}
	// On a terminal (whose own output processing makes \n \r\n).
	r := e.runInPty(24, 80, "", "", "logs", "h")
	want := `\x1b]52;c;aGk=\ax` + "\r\n" + `\x1b]0;pwned\a` + "\x1b[1;31mred\x1b[0m\r\n" + `\x1b[2Jclear\rover` + "\r\n"
	if r.code != 0 || r.out != want {
		t.Errorf("logs on a terminal = %q, exit %d; want %q", r.out, r.code, want)
	}
	// stderr too (the order of the two streams' lines is the
	// scheduler's).
	e.ok(nil, "run", "--name", "h2", "busybox", "sh", "-c", `printf 'out\033[2J\n'; printf 'err\033[2J\n' >&2`)
	r = e.runInPty(24, 80, "", "", "logs", "h2")
	outLine, errLine := `out\x1b[2J`+"\r\n", `err\x1b[2J`+"\r\n"
	if r.code != 0 || r.out != outLine+errLine && r.out != errLine+outLine {
		t.Errorf("logs of both streams on a terminal = %q, exit %d; want %q and %q", r.out, r.code, outLine, errLine)
	}
}

// logs -f --tail 0 writes only the lines logged after it starts, as
// docker's does; logs --tail 0 writes nothing.
func TestCLILogsFollowTailZero(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "-d", "--name", "t", "busybox", "sh", "-c", "echo old; while :; do echo new; sleep 0.05; done")
	waitFor(t, "the first lines", func() bool {
		out, _, _ := e.dock(nil, "logs", "t")
		return strings.HasPrefix(out, "old\nnew\n")
	})
	e.expect(0, "", "logs", "--tail", "0", "t")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := e.cmd(ctx, "logs", "-f", "--tail", "0", "t")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "new\n" {
		t.Errorf("logs -f --tail 0: first line %q, %v; want new (not the old lines)", line, err)
	}
}

// logs --since and --until in docker's formats: the times of logs -t,
// Unix times, durations; a value that is none of them is an error (exit
// 1, docker's words).
func TestCLILogsSinceUntil(t *testing.T) {
	e := newEnv(t)
	// Two lines a moment apart: their logged times differ.
	e.ok(nil, "run", "--name", "s", "busybox", "sh", "-c", "echo one; sleep 0.1; echo two")
	stamped := strings.Split(strings.TrimSuffix(e.ok(nil, "logs", "-t", "s"), "\n"), "\n")
	if len(stamped) != 2 {
		t.Fatalf("logs -t = %q, want two lines", stamped)
	}
	t1, _, _ := strings.Cut(stamped[0], " ")
	t2, _, _ := strings.Cut(stamped[1], " ")
	ts2, err := time.Parse(time.RFC3339Nano, t2)
	if err != nil {
		t.Fatalf("logs -t time %q: %v", t2, err)
	}
	unix2 := fmt.Sprintf("%d.%09d", ts2.Unix(), ts2.Nanosecond())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", t2}, "two\n"},
		{[]string{"--since", unix2}, "two\n"},
		{[]string{"--until", t1}, "one\n"},
		{[]string{"--since", t1, "--until", t1}, "one\n"},
		{[]string{"--since", "1h"}, "one\ntwo\n"},
		{[]string{"--until", "1h"}, ""},
		{[]string{"--since", "-1h"}, ""},
		{[]string{"--since", "2000-01-01"}, "one\ntwo\n"},
		{[]string{"--until", "2000-01-01T00:00:00Z"}, ""},
		{[]string{"--tail", "1", "--since", "1h"}, "two\n"},
		{[]string{"-f", "--until", t2}, "one\ntwo\n"},
	} {
		e.expect(0, tc.want, append(append([]string{"logs"}, tc.args...), "s")...)
	}
	if errOut := e.expect(1, "", "logs", "--since", "yesterday", "s"); errOut != "dock: invalid value for \"since\": failed to parse value as time or duration: \"yesterday\"\n" {
		t.Errorf("logs --since yesterday: stderr %q, want docker's message", errOut)
	}
	if errOut := e.expect(1, "", "logs", "--until", "2024-13-01", "s"); !strings.Contains(errOut, `invalid value for "until"`) {
		t.Errorf("logs --until 2024-13-01: stderr %q, want invalid value for \"until\"", errOut)
	}
}
