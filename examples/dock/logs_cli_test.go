package main

import (
	"bufio"
	"context"
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
