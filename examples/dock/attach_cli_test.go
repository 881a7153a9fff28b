package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
)

// ticker is a container command that prints "tick" until /go exists,
// then "bye" and exits 3; USR1 makes it print "got USR1" and exit 5.
const ticker = `trap 'echo got USR1; exit 5' USR1; while [ ! -e /go ]; do echo tick; sleep 0.05; done; echo bye; exit 3`

// startAttach starts dock attach args in the background and returns its
// output so far, as a function, and its end.
func (e *env) startAttach(t *testing.T, args ...string) (out func() string, done <-chan int, signal func(syscall.Signal)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := e.cmd(ctx, append([]string{"attach"}, args...)...)
	var b testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan int, 1)
	go func() {
		cmd.Wait()
		ch <- cmd.ProcessState.ExitCode()
	}()
	return b.String, ch, func(s syscall.Signal) {
		cmd.Process.Signal(s)
	}
}

// attach follows the output of a detached container from now on, and
// ends with its exit code; the signals the CLI receives go to the
// container, unless --sig-proxy=false.
func TestCLIAttach(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "-d", "--name", "a", "busybox", "sh", "-c", ticker)
	out, done, _ := e.startAttach(t, "--no-stdin", "a")
	waitFor(t, "a tick in attach's output", func() bool { return strings.Contains(out(), "tick\n") })
	e.ok(nil, "exec", "a", "touch", "/go")
	if code := <-done; code != 3 || !strings.HasSuffix(out(), "tick\nbye\n") || strings.Trim(out(), "tick\n") != "bye" {
		t.Errorf("attach = %q, exit %d; want ticks, bye and the container's exit 3", out(), code)
	}

	// --sig-proxy (the default): a signal to the CLI reaches the container.
	e.ok(nil, "run", "-d", "--name", "b", "busybox", "sh", "-c", ticker)
	out, done, signal := e.startAttach(t, "b")
	waitFor(t, "a tick in attach's output", func() bool { return strings.Contains(out(), "tick\n") })
	signal(syscall.SIGUSR1)
	if code := <-done; code != 5 || !strings.HasSuffix(out(), "got USR1\n") {
		t.Errorf("attach, then SIGUSR1 = %q, exit %d; want got USR1, exit 5", out(), code)
	}

	// --sig-proxy=false: the signal ends the CLI, the container runs on.
	e.ok(nil, "run", "-d", "--name", "c", "busybox", "sh", "-c", ticker)
	out, done, signal = e.startAttach(t, "--sig-proxy=false", "c")
	waitFor(t, "a tick in attach's output", func() bool { return strings.Contains(out(), "tick\n") })
	signal(syscall.SIGTERM)
	if code := <-done; code != -1 {
		t.Errorf("attach --sig-proxy=false, then SIGTERM: exit %d, want killed by the signal", code)
	}
	e.expect(0, "running\n", "inspect", "-f", "{{.State.Status}}", "c")

	// What cannot be attached, in docker's words.
	e.ok(nil, "create", "--name", "created", "busybox", "true")
	if errOut := e.expect(1, "", "attach", "created"); errOut != "dock: You cannot attach to a stopped container, start it first\n" {
		t.Errorf("attach to a created container: %q", errOut)
	}
	e.ok(nil, "pause", "c")
	if errOut := e.expect(1, "", "attach", "c"); errOut != "dock: You cannot attach to a paused container, unpause it first\n" {
		t.Errorf("attach to a paused container: %q", errOut)
	}
	e.ok(nil, "unpause", "c")
	if errOut := e.expect(1, "", "attach", "--detach-keys", "ctrl-", "c"); errOut != "dock: Invalid detach keys (ctrl-) provided\n" {
		t.Errorf("attach --detach-keys ctrl-: %q", errOut)
	}
	if errOut := e.expect(1, "", "attach", "nosuch"); !strings.Contains(errOut, "nosuch") {
		t.Errorf("attach nosuch: %q", errOut)
	}
}

// A container with a terminal: attach needs one to read the keys from
// (unless --no-stdin), and on it ctrl-p ctrl-q, or --detach-keys, detach
// with docker's "read escape sequence" and exit 1, the container running
// on; other keys go to the container: ^C interrupts it, and attach ends
// with its 130.
func TestCLIAttachTerminal(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "-dit", "--name", "t", "busybox", "sh", "-c", ticker)
	if errOut := e.expect(1, "", "attach", "t"); errOut != "dock: the input device is not a TTY\n" {
		t.Errorf("attach to a terminal from a pipe: %q", errOut)
	}
	for _, tc := range []struct {
		keys  string
		input string
		code  int
		end   string
	}{
		{"", "x\x10\x11", 1, "read escape sequence\r\n"},
		{"ctrl-a,x", "\x10\x11\x01x", 1, "read escape sequence\r\n"},
	} {
		args := []string{"attach", "t"}
		if tc.keys != "" {
			args = []string{"attach", "--detach-keys", tc.keys, "t"}
		}
		r := e.runInPty(24, 80, "tick", tc.input, args...)
		if r.code != tc.code || !strings.HasSuffix(r.out, tc.end) {
			t.Errorf("dock %q, keys %q: %q, exit %d; want exit %d, ending %q", args, tc.input, r.out, r.code, tc.code, tc.end)
		}
		if r.after == nil || r.after.Lflag != r.before.Lflag || r.after.Iflag != r.before.Iflag {
			t.Errorf("dock %q: terminal modes %+v after, want them restored to %+v", args, r.after, r.before)
		}
		e.expect(0, "running\n", "inspect", "-f", "{{.State.Status}}", "t")
	}
	// --no-stdin: from a pipe, and the output.
	out, done, _ := e.startAttach(t, "--no-stdin", "t")
	waitFor(t, "a tick in attach's output", func() bool { return strings.Contains(out(), "tick\r\n") })
	e.ok(nil, "exec", "t", "touch", "/go")
	if code := <-done; code != 3 || !strings.HasSuffix(out(), "bye\r\n") {
		t.Errorf("attach --no-stdin to a terminal = %q, exit %d; want its output and exit 3", out(), code)
	}

	e.ok(nil, "run", "-dit", "--name", "t2", "busybox", "sh", "-c", ticker)
	r := e.runInPty(24, 80, "tick", "\x03", "attach", "t2")
	if r.code != 130 || !strings.Contains(r.out, "^C") {
		t.Errorf("dock attach, then ^C: %q, exit %d; want ^C echoed by the container's terminal, exit 130", r.out, r.code)
	}
	e.expect(0, "exited\n", "inspect", "-f", "{{.State.Status}}", "t2")
}

// dock run -it: ctrl-p ctrl-q leave the container running (exit 0, as
// docker run), dock attach comes back to it, with its input, and the
// container's exit ends that attach with its code; --detach-keys on run
// and start, and start -ai, as docker.
func TestCLIRunDetachKeys(t *testing.T) {
	e := newEnv(t)
	script := `echo ready; while read x; do echo "got $x"; [ "$x" = bye ] && exit 7; done`
	r := e.runInPty(24, 80, "ready", "one\r\x10\x11", "run", "-it", "--name", "it", "busybox", "sh", "-c", script)
	if r.code != 0 || strings.Contains(r.out, "read escape sequence") {
		t.Errorf("run -it, then ctrl-p ctrl-q: %q, exit %d; want exit 0, no message", r.out, r.code)
	}
	if r.after == nil || r.after.Lflag != r.before.Lflag || r.after.Iflag != r.before.Iflag {
		t.Errorf("run -it, detached: terminal modes %+v after, want them restored to %+v", r.after, r.before)
	}
	e.expect(0, "running\n", "inspect", "-f", "{{.State.Status}}", "it")
	waitFor(t, "got one in the log", func() bool { return strings.Contains(e.ok(nil, "logs", "it"), "got one") })
	// Back to it: the input reaches it, and its exit ends the attach.
	r = e.runInPty(24, 80, "", "two\rbye\r", "attach", "it")
	if r.code != 7 || !strings.Contains(r.out, "got two") || !strings.Contains(r.out, "got bye") {
		t.Errorf("attach, then two and bye: %q, exit %d; want got two, got bye, exit 7", r.out, r.code)
	}
	// start -ai, detached by other keys.
	r = e.runInPty(24, 80, "ready", "\x18", "start", "-ai", "--detach-keys", "ctrl-x", "it")
	if r.code != 0 || strings.Contains(r.out, "read escape sequence") {
		t.Errorf("start -ai --detach-keys ctrl-x, then ctrl-x: %q, exit %d; want exit 0, no message", r.out, r.code)
	}
	e.expect(0, "running\n", "inspect", "-f", "{{.State.Status}}", "it")
	// run --detach-keys: the default keys are then input.
	r = e.runInPty(24, 80, "ready", "\x10x\r\x01", "run", "-it", "--rm", "--detach-keys", "ctrl-a", "--name", "it2", "busybox", "sh", "-c", script)
	if r.code != 0 {
		t.Errorf("run -it --detach-keys ctrl-a, then ctrl-p x and ctrl-a: %q, exit %d; want exit 0", r.out, r.code)
	}
	e.expect(0, "running\n", "inspect", "-f", "{{.State.Status}}", "it2")
	waitFor(t, "got ^Px in the log", func() bool { return strings.Contains(e.ok(nil, "logs", "it2"), "got \x10x") })
	// Back to the --rm one: its exit code, though its monitor removes it.
	r = e.runInPty(24, 80, "", "bye\r", "attach", "it2")
	if r.code != 7 || !strings.Contains(r.out, "got bye") {
		t.Errorf("attach to a run -it --rm container, then bye: %q, exit %d; want got bye, exit 7", r.out, r.code)
	}
	waitFor(t, "it2 removed", func() bool { _, _, code := e.dock(nil, "inspect", "it2"); return code != 0 })
	e.ok(nil, "kill", "it")
	if errOut := e.expect(125, "", "run", "-i", "--detach-keys", "ctrl-", "busybox"); !strings.Contains(errOut, "Invalid detach keys (ctrl-) provided") {
		t.Errorf("run --detach-keys ctrl-: %q", errOut)
	}
}

// exec -it: ctrl-p ctrl-q, or --detach-keys, end the exec's session
// with exit 0, as docker exec. (Unlike docker's, the exec'd process then
// loses its terminal, which the CLI held: see cmdExec.)
func TestCLIExecDetachKeys(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "-d", "--name", "x", "busybox", "sleep", "60")
	for _, tc := range []struct{ keys, input string }{{"", "\x10\x11"}, {"ctrl-x", "\x10\x18"}} {
		args := []string{"exec", "-it"}
		if tc.keys != "" {
			args = append(args, "--detach-keys", tc.keys)
		}
		r := e.runInPty(24, 80, "ready", tc.input, append(args, "x", "sh", "-c", "echo ready; sleep 30")...)
		if r.code != 0 || strings.Contains(r.out, "read escape sequence") {
			t.Errorf("dock %q, then %q: %q, exit %d; want exit 0", args, tc.input, r.out, r.code)
		}
	}
}
