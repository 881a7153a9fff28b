//go:build linux

package dock

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startDetachedAttach creates and starts a detached container.
func startDetachedAttach(t *testing.T, e *Engine, cfg Config) *Container {
	t.Helper()
	cfg.Image = "busybox"
	c, err := e.Create(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(context.Background()))
	return c
}

// attachCtx bounds a test's Attach: a hang fails the test instead of
// blocking it.
func attachCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// assertSocketGone checks that an exited container's attach socket was
// removed.
func assertSocketGone(t *testing.T, c *Container) {
	t.Helper()
	if _, err := os.Stat(c.dir(attachSocket)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("attach socket of an exited container: stat = %v, want it gone", err)
	}
}

// Input through Attach reaches a detached cat; with StdinOnce the end of
// the input closes its stdin, cat exits, and Attach returns nil once the
// output has ended; the socket goes with the container. The socket is
// the owner's only.
func TestAttachStdin(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	c := startDetachedAttach(t, e, Config{Cmd: []string{"sh", "-c", "cat; echo done >&2"}, OpenStdin: true, StdinOnce: true})
	fi, err := os.Stat(c.dir(attachSocket))
	require.NoError(t, err)
	if fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("attach socket mode %v, want a socket with 0600", fi.Mode())
	}
	input := strings.Repeat("hello through the monitor\n", 5000) // more than a pipe holds
	var out, errs syncBuffer
	err = c.Attach(ctx, AttachOptions{Stdin: strings.NewReader(input), Stdout: &out, Stderr: &errs})
	if err != nil || out.String() != input || errs.String() != "done\n" {
		t.Errorf("Attach(cat) = %v, stdout %d bytes (want %d), stderr %q (want done)", err, len(out.String()), len(input), errs.String())
	}
	st, err := c.Wait(ctx)
	require.NoError(t, err)
	if st.Code != 0 {
		t.Errorf("cat exited %d, want 0", st.Code)
	}
	assertSocketGone(t, c)
}

// Without StdinOnce the end of one attacher's input leaves the stdin
// open for the next; two attachers both get all the output from their
// connection on; a ctx that ends ends only its Attach.
func TestAttachTwoClients(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	c := startDetachedAttach(t, e, Config{Cmd: []string{"cat"}, OpenStdin: true})
	attach := func(ctx context.Context, in io.Reader, out io.Writer) <-chan error {
		done := make(chan error, 1)
		ready := make(chan struct{})
		go func() {
			done <- c.Attach(ctx, AttachOptions{Stdin: in, Stdout: out, Attached: func() { close(ready) }})
		}()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("Attach = %v before it was attached", err)
		}
		return done
	}
	var a, b, third syncBuffer
	aDone := attach(ctx, nil, &a)
	pr, pw := io.Pipe()
	bDone := attach(ctx, pr, &b)
	pw.Write([]byte("one\n"))
	waitFor(t, "one in both attachers' output", func() bool { return a.String() == "one\n" && b.String() == "one\n" })
	pw.Close() // b's input ends; the container's stdin stays open

	cctx, cancel := context.WithCancel(ctx)
	cDone := attach(cctx, strings.NewReader("two\n"), &third)
	waitFor(t, "two in every attacher's output", func() bool {
		return a.String() == "one\ntwo\n" && b.String() == "one\ntwo\n" && third.String() == "two\n"
	})
	cancel()
	if err := <-cDone; !errors.Is(err, context.Canceled) {
		t.Errorf("Attach, then its ctx canceled = %v, want context.Canceled", err)
	}
	require.NoError(t, c.Kill(ctx))
	for name, done := range map[string]<-chan error{"a": aDone, "b": bDone} {
		if err := <-done; err != nil {
			t.Errorf("Attach %s once the container exited = %v, want nil", name, err)
		}
	}
	if a.String() != "one\ntwo\n" {
		t.Errorf("attacher a got %q, want one and two", a.String())
	}
}

// dialRaw connects to a container's attach socket as a client of its own
// would, and reads the monitor's hello.
func dialRaw(t *testing.T, c *Container) *net.UnixConn {
	t.Helper()
	conn, err := c.dialAttach()
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	var h [8 + 16]byte
	_, err = io.ReadFull(conn, h[:])
	require.NoError(t, err)
	require.Equal(t, byte(frameHello), h[0], "the monitor's first frame")
	return conn
}

// A client that never reads does not stall the container nor its log:
// the container writes far more than the client's queue and the socket
// hold, and exits; the log holds every line; the stuck client was
// disconnected without the end frame.
func TestAttachStuckClient(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	const lines = 1000000 // about 6.9 MB
	c := startDetachedAttach(t, e, Config{Cmd: []string{"sh", "-c", "read x; seq 1 " + strconv.Itoa(lines)}, OpenStdin: true})
	stuck := dialRaw(t, c)
	// Its only act: the go-ahead, as input.
	_, err := stuck.Write([]byte{'i', 0, 0, 0, 3, 'g', 'o', '\n'})
	require.NoError(t, err)
	st, err := c.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, st.Code)
	var out bytes.Buffer
	require.NoError(t, c.Logs(ctx, &out, nil, LogOptions{}))
	if n := strings.Count(out.String(), "\n"); n != lines || !strings.HasSuffix(out.String(), "\n"+strconv.Itoa(lines)+"\n") {
		t.Errorf("log of a container with a stuck client: %d lines, want %d", n, lines)
	}
	// What the stuck client gets now: part of the output, then the end
	// of the connection without the end frame.
	got, err := io.ReadAll(stuck)
	require.NoError(t, err)
	if len(got) >= out.Len() || bytes.Contains(got, []byte{frameEnd, 0, 0, 0, 0, 0, 0, 0}) && bytes.HasSuffix(got, []byte{frameEnd, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("stuck client got %d bytes of %d and the end frame; want it dropped", len(got), out.Len())
	}
	assertSocketGone(t, c)
}

// Resize of a detached container with a terminal, from a handle that
// did not start it, reaches the terminal: stty size shows it.
func TestAttachResize(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	c := startDetachedAttach(t, e, Config{Cmd: []string{"sh", "-c", "read x; stty size"}, Tty: true, OpenStdin: true})
	other, err := e.Container(c.ID())
	require.NoError(t, err)
	require.NoError(t, other.Resize(WindowSize{Rows: 33, Cols: 111}))
	var out syncBuffer
	err = other.Attach(ctx, AttachOptions{Stdin: strings.NewReader("go\n"), Stdout: &out})
	if err != nil || !strings.HasSuffix(out.String(), "33 111\r\n") {
		t.Errorf("Resize(33x111), then stty size = %q, %v; want 33 111", out.String(), err)
	}
	// Without a terminal there is nothing to resize.
	c2 := startDetachedAttach(t, e, Config{Cmd: []string{"sleep", "30"}})
	if err := c2.Resize(WindowSize{Rows: 1, Cols: 1}); err == nil {
		t.Errorf("Resize of a container without a terminal = nil, want an error")
	}
}

// The detach keys: ctrl-p ctrl-q by default, or others; a sequence that
// breaks off passes on as input; the container runs on.
func TestAttachDetachKeys(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	c := startDetachedAttach(t, e, Config{Cmd: []string{"cat"}, Tty: true, OpenStdin: true})
	pr, pw := io.Pipe()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- c.Attach(ctx, AttachOptions{Stdin: pr, Stdout: &out}) }()
	// The broken-off ctrl-p passes: the terminal echoes it as ^P.
	pw.Write([]byte("ab\x10c\n"))
	waitFor(t, "the echo and cat's copy of ab^Pc", func() bool { return out.String() == "ab^Pc\r\nab\x10c\r\n" })
	pw.Write([]byte("\x10\x11"))
	if err := <-done; !errors.Is(err, ErrDetached) {
		t.Errorf("Attach, then ctrl-p ctrl-q = %v, want ErrDetached", err)
	}
	pw.Close()
	// Other keys; ctrl-p is then input (ctrl-q, the terminal's flow
	// control, would not reach cat).
	out = syncBuffer{}
	err := c.Attach(ctx, AttachOptions{Stdin: strings.NewReader("x\x10y\n\x01"), Stdout: &out, DetachKeys: []byte{1}})
	if !errors.Is(err, ErrDetached) {
		t.Errorf("Attach with DetachKeys ctrl-a, then ctrl-a = %v, want ErrDetached", err)
	}
	st, err := c.State(ctx)
	require.NoError(t, err)
	if st.Status != StatusRunning {
		t.Errorf("container after the detaches: %s, want running", st.Status)
	}
	// The input before the keys reached cat.
	var logs bytes.Buffer
	waitFor(t, "x^Py in the log", func() bool {
		logs.Reset()
		c.Logs(ctx, &logs, nil, LogOptions{})
		return strings.HasSuffix(logs.String(), "x^Py\r\nx\x10y\r\n")
	})
}

// An Attach made before the start (the Engine API's order: create,
// attach, start) gets all the output from the start, even of a
// container that has exited before it could connect; one made while the
// container is exited gets the next run's output only.
func TestAttachBeforeStart(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo one; echo two >&2; printf three"}})
	require.NoError(t, err)
	for run := range 2 {
		var out, errs syncBuffer
		done := make(chan error, 1)
		ready := make(chan struct{})
		go func() {
			done <- c.Attach(ctx, AttachOptions{Stdout: &out, Stderr: &errs, Attached: func() { close(ready) }})
		}()
		<-ready
		require.NoError(t, c.StartDetached(ctx))
		if err := <-done; err != nil || out.String() != "one\nthree" || errs.String() != "two\n" {
			t.Errorf("run %d: Attach before the start = %v, stdout %q, stderr %q; want one, three and two", run, err, out.String(), errs.String())
		}
		_, err := c.Wait(ctx)
		require.NoError(t, err)
	}
	// Logs: the whole log first (both runs).
	var out syncBuffer
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- c.Attach(ctx, AttachOptions{Stdout: &out, Logs: true, Attached: func() { close(ready) }})
	}()
	<-ready
	require.NoError(t, c.StartDetached(ctx))
	if err := <-done; err != nil || out.String() != "one\nthreeone\nthreeone\nthree" {
		t.Errorf("Attach(Logs) before a third start = %v, %q; want the three runs' stdout", err, out.String())
	}
}

// Logs replays the log, then the live output, with nothing lost or twice
// in between, a line not yet ended included.
func TestAttachLogsRunning(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	c := startDetachedAttach(t, e, Config{Cmd: []string{"sh", "-c", "echo first; printf half; read x; echo -way; echo last"}, OpenStdin: true})
	var logs bytes.Buffer
	waitFor(t, "first in the log", func() bool {
		logs.Reset()
		c.Logs(ctx, &logs, nil, LogOptions{})
		return logs.String() == "first\n"
	})
	var out syncBuffer
	err := c.Attach(ctx, AttachOptions{Stdin: strings.NewReader("go\n"), Stdout: &out, Logs: true})
	if err != nil || out.String() != "first\nhalf-way\nlast\n" {
		t.Errorf("Attach(Logs) = %v, %q; want first, half-way and last, once each", err, out.String())
	}
}

// What cannot be attached: a paused container (Docker refuses it), one
// its program started attached (its streams are the program's).
func TestAttachRefused(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	c := startDetachedAttach(t, e, Config{Cmd: []string{"sleep", "30"}})
	require.NoError(t, c.Pause(ctx))
	if err := c.Attach(ctx, AttachOptions{Stdout: io.Discard}); !errors.Is(err, ErrPaused) {
		t.Errorf("Attach to a paused container = %v, want ErrPaused", err)
	}
	require.NoError(t, c.Unpause(ctx))
	a, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "30"}})
	require.NoError(t, err)
	require.NoError(t, a.Start(ctx))
	if err := a.Attach(ctx, AttachOptions{Stdout: io.Discard}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Attach to a container started attached = %v, want ErrUnsupported", err)
	}
	require.NoError(t, a.Kill(ctx))
	a.Wait(ctx)
}

// The monitor's descriptors (the socket, its clients, the stdin pipe's
// other end) never reach the container: its init has 0, 1 and 2 only.
func TestAttachNoDescriptorLeak(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	for _, tty := range []bool{false, true} {
		c := startDetachedAttach(t, e, Config{Cmd: []string{"sh", "-c", "read x; ls -1 /proc/1/fd; true"}, Tty: tty, OpenStdin: true})
		var out syncBuffer
		err := c.Attach(ctx, AttachOptions{Stdin: strings.NewReader("go\n"), Stdout: &out})
		got := strings.ReplaceAll(out.String(), "\r", "")
		got = strings.TrimPrefix(got, "go\n") // the terminal's echo
		if err != nil || got != "0\n1\n2\n" {
			t.Errorf("tty %v: descriptors of the init = %q, %v; want 0, 1, 2", tty, got, err)
		}
	}
}

// Hostile clients (garbage, a huge length, an unknown kind, a frame cut
// off by a disconnection, many connections) are disconnected; the
// monitor and the container go on, and a good client is served.
func TestAttachHostileClients(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	c := startDetachedAttach(t, e, Config{Cmd: []string{"cat"}, OpenStdin: true, StdinOnce: true})
	frame := func(kind byte, n uint32, payload string) []byte {
		b := []byte{kind, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[1:], n)
		return append(b, payload...)
	}
	// As many clients as it serves, and one more: that one's connection
	// ends before the hello, and Attach says why.
	var many []net.Conn
	for range 32 {
		many = append(many, dialRaw(t, c))
	}
	if err := c.Attach(ctx, AttachOptions{Stdout: io.Discard}); !errors.Is(err, ErrInUse) {
		t.Errorf("Attach with 32 clients connected = %v, want ErrInUse", err)
	}
	for _, conn := range many {
		conn.Close()
	}
	// The monitor sees them gone in its own time.
	waitFor(t, "a client served again", func() bool {
		conn, err := c.dialAttach()
		require.NoError(t, err)
		defer conn.Close()
		var h [8]byte
		_, err = io.ReadFull(conn, h[:])
		return err == nil
	})
	for name, msg := range map[string][]byte{
		"garbage":      []byte("GET / HTTP/1.1\r\n\r\n"),
		"huge length":  frame('i', 0xffffffff, "x"),
		"empty stdin":  frame('i', 0, ""),
		"bad resize":   frame('r', 3, "abc"),
		"unknown kind": frame('z', 0, ""),
	} {
		conn := dialRaw(t, c)
		conn.Write(msg)
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.Copy(io.Discard, conn); err != nil {
			t.Errorf("%s: the monitor did not end the connection: %v", name, err)
		}
	}
	// Half a frame, then gone.
	half := dialRaw(t, c)
	half.Write(frame('i', 10, "abc"))
	half.Close()
	var out syncBuffer
	err := c.Attach(ctx, AttachOptions{Stdin: strings.NewReader("still here\n"), Stdout: &out})
	if err != nil || out.String() != "still here\n" {
		t.Errorf("Attach after hostile clients = %v, %q; want the input echoed by cat", err, out.String())
	}
}

// Input that the container does not read fills its stdin, then the
// attacher's socket, and waits there: the output goes on meanwhile.
func TestAttachUnreadInput(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	c := startDetachedAttach(t, e, Config{Cmd: []string{"sh", "-c", "while [ ! -e /go ]; do sleep 0.01; done; seq 1 20000"}, OpenStdin: true})
	var out syncBuffer
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		// Far more than the pipe, the monitor and the socket hold.
		done <- c.Attach(ctx, AttachOptions{Stdin: strings.NewReader(strings.Repeat("x", 8<<20)), Stdout: &out,
			Attached: func() { close(ready) }})
	}()
	<-ready
	_, st, err := secExec(t, c, ExecConfig{Cmd: []string{"touch", "/go"}})
	require.NoError(t, err)
	require.Equal(t, 0, st.Code)
	if err := <-done; err != nil || !strings.HasSuffix(out.String(), "\n20000\n") || strings.Count(out.String(), "\n") != 20000 {
		t.Errorf("Attach with unread input = %v, %d lines; want the 20000 lines", err, strings.Count(out.String(), "\n"))
	}
}

// Attach leaves no goroutine nor descriptor behind: after the output's
// end, a detach, a canceled ctx.
func TestAttachNoLeaks(t *testing.T) {
	e := testEngine(t)
	ctx := attachCtx(t)
	cycle := func() {
		c := startDetachedAttach(t, e, Config{Cmd: []string{"cat"}, OpenStdin: true, StdinOnce: true})
		require.NoError(t, c.Attach(ctx, AttachOptions{Stdin: strings.NewReader("x\n"), Stdout: io.Discard}))
		tty := startDetachedAttach(t, e, Config{Cmd: []string{"cat"}, OpenStdin: true, Tty: true})
		err := tty.Attach(ctx, AttachOptions{Stdin: strings.NewReader("\x10\x11"), Stdout: io.Discard})
		require.ErrorIs(t, err, ErrDetached)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		require.ErrorIs(t, tty.Attach(cctx, AttachOptions{Stdout: io.Discard}), context.Canceled)
		require.NoError(t, tty.Resize(WindowSize{Rows: 10, Cols: 10}))
		require.NoError(t, tty.Remove(ctx, RemoveForce()))
		_, err = c.Wait(ctx)
		require.NoError(t, err)
		require.NoError(t, c.Remove(ctx))
	}
	cycle()
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)
	for range 5 {
		cycle()
	}
	for i := 0; i < 200 && runtime.NumGoroutine() > goroutines; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", goroutines, n, buf[:runtime.Stack(buf, true)])
	}
	if n := countFDs(t); n != fds {
		t.Errorf("open descriptors: %d before, %d after", fds, n)
	}
}
