//go:build linux

package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
)

// ptyRun is what runInPty saw.
type ptyRun struct {
	out  string
	code int
}

// runInPty runs docker with a new terminal of rows x cols as its stdio
// and controlling terminal, writes input once the output contains after,
// and returns what it printed and its exit code.
func (c *dockerCLI) runInPty(rows, cols uint16, after, input string, args ...string) ptyRun {
	c.t.Helper()
	master, tty := testutil.OpenPty(c.t, rows, cols)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	tty.Close() // only the CLI holds it: the master reads EIO once it is gone
	out, readDone := testutil.ReadInBackground(master)
	if input != "" {
		waitFor(c.t, fmt.Sprintf("%q in the output of docker %s", after, strings.Join(args, " ")), func() bool {
			return strings.Contains(out.String(), after)
		})
		master.Write([]byte(input))
	}
	cmd.Wait()
	<-readDone
	if ctx.Err() != nil {
		c.t.Fatalf("docker %s in a terminal ran past a minute; output %q", strings.Join(args, " "), out.String())
	}
	return ptyRun{out: out.String(), code: cmd.ProcessState.ExitCode()}
}

// run -it and exec -it through a terminal: the attach and exec
// endpoints' raw streams, the terminal's size (resize), the keys typed.
func TestDockerCLITty(t *testing.T) {
	c := newDockerCLI(t)
	// The CLI of docker.io 20.10 speaks API 1.41, before ConsoleSize: the
	// terminal is sized by a resize after the start, which may come after
	// the first stty (a race Docker has too, moby#35407): wait for it.
	// (busybox's stty size exits 0 on a terminal of no size: its output
	// tells.)
	const sized = "until stty size 2>/dev/null | grep -q '^[1-9]'; do sleep 0.05; done; "
	r := c.runInPty(30, 100, "", "", "run", "--rm", "-t", "busybox", "sh", "-c", "tty; "+sized+"stty size")
	if r.code != 0 || !regexp.MustCompile(`^/dev/pts/0\r+\n30 100\r+\n$`).MatchString(r.out) {
		t.Errorf("docker run -t tty; stty size = %q, exit %d; want /dev/pts/0 and 30 100", r.out, r.code)
	}
	r = c.runInPty(24, 80, "ready", "abc\r", "run", "--rm", "-it", "busybox", "sh", "-c", "echo ready; read x; echo got $x; exit 4")
	if r.code != 4 || !strings.Contains(r.out, "got abc\r\n") {
		t.Errorf("docker run -it read = %q, exit %d; want got abc, exit 4", r.out, r.code)
	}
	c.ok("run", "-d", "--name", "ttyexec", "busybox", "sleep", "600")
	r = c.runInPty(25, 90, "", "", "exec", "-t", "ttyexec", "sh", "-c", sized+"stty size")
	if r.code != 0 || !regexp.MustCompile(`^25 90\r+\n$`).MatchString(r.out) {
		t.Errorf("docker exec -t stty size = %q, exit %d; want 25 90", r.out, r.code)
	}
	r = c.runInPty(24, 80, "ready", "xyz\r", "exec", "-it", "ttyexec", "sh", "-c", "echo ready; read x; echo got $x; exit 3")
	if r.code != 3 || !strings.Contains(r.out, "got xyz\r\n") {
		t.Errorf("docker exec -it read = %q, exit %d; want got xyz, exit 3", r.out, r.code)
	}
	c.ok("rm", "-f", "ttyexec")
}
