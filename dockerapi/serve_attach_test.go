package dockerapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// createBusybox creates a busybox container through the library, not
// started.
func createBusybox(t *testing.T, a *apiTest, cfg dock.Config) *dock.Container {
	t.Helper()
	cfg.Image = "busybox"
	c, err := a.engine.Create(context.Background(), cfg)
	require.NoError(t, err)
	return c
}

// clientAttach attaches through Docker's Go client.
func clientAttach(t *testing.T, a *apiTest, ref string, opts client.ContainerAttachOptions) client.ContainerAttachResult {
	t.Helper()
	att, err := a.client.ContainerAttach(attachContext(t), ref, opts)
	require.NoError(t, err)
	t.Cleanup(att.Close)
	require.NoError(t, att.Conn.SetDeadline(time.Now().Add(attachTimeout)))
	return att
}

// docker run -i's order, all through the API: create, attach (answered
// before the start), wait, start; the input reaches the container, the
// client's half-close ends its stdin (StdinOnce, which docker run -i
// sets), the output after it still comes, both streams apart, and the
// wait has the exit.
func TestServeAttachRun(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	id := a.create(t, "run", &container.Config{Cmd: []string{"sh", "-c", "read line; echo got $line; echo err >&2; cat; echo end; exit 4"},
		OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true},
		&container.HostConfig{NetworkMode: "none"})

	att := clientAttach(t, a, id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	mt, ok := att.MediaType()
	assert.True(t, ok)
	assert.Equal(t, multiplexedStreamType, mt)
	assert.Equal(t, container.StateCreated, a.inspect(t, id).State.Status, "the attach is answered before the start")
	wait := a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)

	_, err = io.WriteString(att.Conn, "hello\nmore\n")
	require.NoError(t, err)
	require.NoError(t, att.CloseWrite())
	var out, errOut bytes.Buffer
	_, err = stdcopy.StdCopy(&out, &errOut, att.Reader)
	require.NoError(t, err)
	assert.Equal(t, "got hello\nmore\nend\n", out.String())
	assert.Equal(t, "err\n", errOut.String())
	select {
	case res := <-wait.Result:
		assert.Equal(t, int64(4), res.StatusCode)
	case err := <-wait.Error:
		t.Fatalf("ContainerWait: %v", err)
	}
}

// docker run -it: one raw stream; the size POST resize sets is the
// terminal's; the detach keys (the query's, then Docker's default) end
// the stream and leave the container running.
func TestServeAttachTTY(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	id := a.create(t, "tty", &container.Config{Cmd: []string{"sh"}, Tty: true, OpenStdin: true, StdinOnce: true,
		AttachStdin: true, AttachStdout: true, AttachStderr: true}, &container.HostConfig{NetworkMode: "none"})

	att := clientAttach(t, a, "tty", client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true, DetachKeys: "ctrl-x,x"})
	mt, _ := att.MediaType()
	assert.Equal(t, rawStreamType, mt)
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	_, err = a.client.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: 30, Width: 100})
	require.NoError(t, err)
	_, err = io.WriteString(att.Conn, "stty size\n")
	require.NoError(t, err)
	readUntil(t, att.Reader, "30 100\r\n")
	_, err = io.WriteString(att.Conn, "\x18x")
	require.NoError(t, err)
	_, err = io.ReadAll(att.Reader)
	require.NoError(t, err, "the stream ends")
	assert.Equal(t, container.StateRunning, a.inspect(t, id).State.Status, "detached, not ended")

	// Docker's default keys, ctrl-p ctrl-q, on the next attach.
	att2 := clientAttach(t, a, "tty", client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true})
	_, err = io.WriteString(att2.Conn, "echo $((6*7))\n")
	require.NoError(t, err)
	readUntil(t, att2.Reader, "42\r\n")
	_, err = att2.Conn.Write(dock.DefaultDetachKeys)
	require.NoError(t, err)
	_, err = io.ReadAll(att2.Reader)
	require.NoError(t, err, "ctrl-p ctrl-q end the stream")
	assert.Equal(t, container.StateRunning, a.inspect(t, id).State.Status)
	c, err := a.engine.Container(id)
	require.NoError(t, err)
	killWait(t, c)
}

// killWait kills c and waits for its end: a forced removal of a
// container whose process is ending fails with ESRCH (the library's
// signal, at the test's cleanup).
func killWait(t *testing.T, c *dock.Container) {
	t.Helper()
	ctx := attachContext(t)
	require.NoError(t, c.Kill(ctx))
	_, err := c.Wait(ctx)
	require.NoError(t, err)
}

// readUntil reads r until it has read a line that is want.
func readUntil(t *testing.T, r *bufio.Reader, want string) {
	t.Helper()
	var seen []string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err, "waiting for %q, read %q", want, seen)
		if line == want || strings.HasSuffix(line, " "+want) {
			return
		}
		seen = append(seen, line)
	}
}

// logs=1: with stream=0 the log alone, of the streams asked for (a
// container that exited is not waited for); with stream=1 the log, then
// the live output, nothing lost or repeated.
func TestServeAttachLogs(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	c := createBusybox(t, a, dock.Config{Name: "logs", Cmd: []string{"sh", "-c", "echo one; echo two >&2"}})
	require.NoError(t, c.StartDetached(ctx))
	_, err := c.Wait(ctx)
	require.NoError(t, err)
	for _, tc := range []struct {
		opts     client.ContainerAttachOptions
		out, err string
	}{
		{client.ContainerAttachOptions{Logs: true, Stdout: true, Stderr: true}, "one\n", "two\n"},
		{client.ContainerAttachOptions{Logs: true, Stdout: true}, "one\n", ""},
		{client.ContainerAttachOptions{Logs: true, Stderr: true}, "", "two\n"},
		{client.ContainerAttachOptions{Stdout: true, Stderr: true}, "", ""},
	} {
		att := clientAttach(t, a, "logs", tc.opts)
		var out, errOut bytes.Buffer
		_, err := stdcopy.StdCopy(&out, &errOut, att.Reader)
		require.NoError(t, err)
		assert.Equal(t, tc.out, out.String(), "%+v", tc.opts)
		assert.Equal(t, tc.err, errOut.String(), "%+v", tc.opts)
	}

	// A running container: the log so far, then what comes.
	c = createBusybox(t, a, dock.Config{Name: "live", Cmd: []string{"sh", "-c", "echo before; read x; echo after $x"}, OpenStdin: true})
	require.NoError(t, c.StartDetached(ctx))
	att := clientAttach(t, a, "live", client.ContainerAttachOptions{Stream: true, Logs: true, Stdin: true, Stdout: true})
	_, err = io.WriteString(att.Conn, "now\n")
	require.NoError(t, err)
	var out bytes.Buffer
	_, err = stdcopy.StdCopy(&out, io.Discard, att.Reader)
	require.NoError(t, err)
	assert.Equal(t, "before\nafter now\n", out.String())
}

// Several clients at once each get all the output; one's half-close
// leaves the stdin of a container without StdinOnce open for the next,
// and its output keeps coming.
func TestServeAttachMany(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	c := createBusybox(t, a, dock.Config{Name: "cat", Cmd: []string{"cat"}, OpenStdin: true})
	require.NoError(t, c.StartDetached(ctx))
	writer := clientAttach(t, a, "cat", client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	reader := clientAttach(t, a, "cat", client.ContainerAttachOptions{Stream: true, Stdout: true})
	_, err := io.WriteString(writer.Conn, "ping\n")
	require.NoError(t, err)
	require.NoError(t, writer.CloseWrite())
	for _, att := range []client.ContainerAttachResult{writer, reader} {
		assert.Equal(t, "ping\n", readFrame(t, att.Reader))
	}
	next := clientAttach(t, a, "cat", client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true})
	_, err = io.WriteString(next.Conn, "pong\n")
	require.NoError(t, err)
	for _, att := range []client.ContainerAttachResult{writer, reader, next} {
		assert.Equal(t, "pong\n", readFrame(t, att.Reader), "after the first client's half-close")
	}
	killWait(t, c)
	for _, att := range []client.ContainerAttachResult{writer, reader, next} {
		rest, err := io.ReadAll(att.Reader)
		require.NoError(t, err)
		assert.Empty(t, rest, "the stream ends with the container")
	}
}

// readFrame reads one stdout frame's payload.
func readFrame(t *testing.T, r io.Reader) string {
	t.Helper()
	var h [8]byte
	_, err := io.ReadFull(r, h[:])
	require.NoError(t, err)
	require.Equal(t, byte(streamStdout), h[0])
	p := make([]byte, int(h[4])<<24|int(h[5])<<16|int(h[6])<<8|int(h[7]))
	_, err = io.ReadFull(r, p)
	require.NoError(t, err)
	return string(p)
}

// rawAttach sends an attach request on a connection of its own (a.raw).
func rawAttach(t *testing.T, a *apiTest, path string, upgrade bool) (net.Conn, *bufio.Reader, string, []string) {
	t.Helper()
	head := "POST " + path + " HTTP/1.1\r\nHost: docker\r\nContent-Type: text/plain\r\n"
	if upgrade {
		head += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
	}
	return a.raw(t, head, nil)
}

// The wire: 101 UPGRADED with Docker's headers (the multiplexed type from
// 1.42 for a container without a terminal, raw before and for a
// terminal's), 200 without Upgrade; the answer comes while the container
// has not started, and the stream's frames follow its start.
func TestServeAttachWire(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	for i, tc := range []struct {
		version     string
		tty         bool
		upgrade     bool
		status      string
		contentType string
	}{
		{"1.44", false, true, "101 UPGRADED", multiplexedStreamType},
		{"1.41", false, true, "101 UPGRADED", rawStreamType},
		{"1.44", true, true, "101 UPGRADED", rawStreamType},
		{"1.44", false, false, "200 OK", rawStreamType},
	} {
		c := createBusybox(t, a, dock.Config{Cmd: []string{"sh", "-c", "echo o; echo e >&2"}, Tty: tc.tty})
		conn, br, status, headers := rawAttach(t, a, "/v"+tc.version+"/containers/"+c.ID()+"/attach?stream=1&stdout=1&stderr=1", tc.upgrade)
		assert.Equal(t, "HTTP/1.1 "+tc.status, status, i)
		want := []string{"Content-Type: " + tc.contentType}
		if tc.upgrade {
			want = append(want, "Connection: Upgrade", "Upgrade: tcp")
		}
		assert.Equal(t, want, headers, i)
		st, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, dock.StatusCreated, st.Status, "answered before the start (%d)", i)
		require.NoError(t, c.StartDetached(ctx))
		if tc.tty {
			rest, err := io.ReadAll(br)
			require.NoError(t, err)
			assert.Equal(t, "o\r\ne\r\n", string(rest), i)
		} else {
			var out, errOut bytes.Buffer
			_, err = stdcopy.StdCopy(&out, &errOut, br)
			require.NoError(t, err)
			assert.Equal(t, "o\n", out.String(), i)
			assert.Equal(t, "e\n", errOut.String(), i)
		}
		conn.Close()
	}
}

// A client's half-close on the wire: with StdinOnce it ends the
// container's stdin (cat ends), without it the stdin stays open; the
// output comes after the half-close in both cases.
func TestServeAttachHalfClose(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	for _, once := range []bool{true, false} {
		c := createBusybox(t, a, dock.Config{Cmd: []string{"sh", "-c", "cat; echo eof"}, OpenStdin: true, StdinOnce: once})
		require.NoError(t, c.StartDetached(ctx))
		conn, br, status, _ := rawAttach(t, a, "/containers/"+c.ID()+"/attach?stream=1&stdin=1&stdout=1", true)
		require.Equal(t, "HTTP/1.1 101 UPGRADED", status)
		_, err := io.WriteString(conn, "in\n")
		require.NoError(t, err)
		require.NoError(t, conn.(*net.UnixConn).CloseWrite())
		if once {
			var out bytes.Buffer
			_, err := stdcopy.StdCopy(&out, io.Discard, br)
			require.NoError(t, err)
			assert.Equal(t, "in\neof\n", out.String(), "StdinOnce: output after the half-close, and the container's stdin ended")
		} else {
			assert.Equal(t, "in\n", readFrame(t, br), "output after the half-close")
			// Still open: another client's input still reaches cat.
			other := clientAttach(t, a, c.ID(), client.ContainerAttachOptions{Stream: true, Stdin: true})
			_, err := io.WriteString(other.Conn, "again\n")
			require.NoError(t, err)
			assert.Equal(t, "again\n", readFrame(t, br), "without StdinOnce the stdin stays open")
			require.NoError(t, c.Kill(ctx))
		}
		rest, err := io.ReadAll(br)
		require.NoError(t, err)
		assert.Empty(t, rest)
		exit, err := c.Wait(ctx)
		require.NoError(t, err)
		if once {
			assert.Equal(t, 0, exit.Code)
		}
	}
}

// Refusals: bad detach keys (before the lookup, as Docker), a missing
// container, a paused one, in Docker's statuses and words, as JSON; the
// container is untouched and can be attached to after.
func TestServeAttachRefusals(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	c := createBusybox(t, a, dock.Config{Name: "paused", Cmd: []string{"sleep", "600"}})
	require.NoError(t, c.StartDetached(ctx))
	require.NoError(t, c.Pause(ctx))
	for _, tc := range []struct {
		path   string
		status int
		msg    string
	}{
		{"/containers/nosuch/attach?stream=1&stdout=1", 404, "No such container: nosuch"},
		{"/containers/nosuch/attach/ws?stream=1", 404, "No such container: nosuch"},
		{"/containers/paused/attach?stream=1&stdout=1", 409, "container paused is paused, unpause the container before attach"},
		{"/containers/paused/attach/ws?stream=1&stdout=1", 409, "container paused is paused, unpause the container before attach"},
		{"/containers/nosuch/attach?detachKeys=ctrl-1", 400, "Invalid detach keys (ctrl-1) provided"},
		{"/containers/paused/attach?detachKeys=ctrl-", 400, "Invalid detach keys (ctrl-) provided"},
		{"/containers/paused/attach?detachKeys=,", 400, "Invalid detach keys (,) provided"},
		{"/containers/paused/attach?detachKeys=ab", 400, "Invalid detach keys (ab) provided"},
		{"/containers/paused/attach?detachKeys=ctrl-%C3%A9", 400, "Invalid detach keys (ctrl-é) provided"},
		{"/containers/paused/attach/ws?detachKeys=ctrl-p,,", 400, "Invalid detach keys (ctrl-p,,) provided"},
		{"/containers/%00/attach?stream=1", 404, "No such container"},
		{"/containers/" + strings.Repeat("a", 5000) + "/attach", 404, "No such container"},
	} {
		method := http.MethodPost
		if strings.Contains(tc.path, "/ws") {
			method = http.MethodGet
		}
		status, h, body := a.do(t, method, tc.path, "")
		assert.Equal(t, tc.status, status, "%s: %s", tc.path, body)
		assert.Equal(t, "application/json", h.Get("Content-Type"), tc.path)
		var e struct{ Message string }
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		assert.Contains(t, e.Message, tc.msg, tc.path)
	}
	// The Go client's words for a refused upgrade.
	_, err := a.client.ContainerAttach(ctx, "paused", client.ContainerAttachOptions{Stream: true, Stdout: true})
	assert.ErrorContains(t, err, "received 409")

	// Unpaused, it is attached to; values Docker reads as true are.
	require.NoError(t, c.Unpause(ctx))
	conn, br, status, _ := rawAttach(t, a, "/containers/paused/attach?stream=yes&stdout=True&stderr=0&logs=no&stdin=junk", true)
	assert.Equal(t, "HTTP/1.1 101 UPGRADED", status)
	killWait(t, c)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Empty(t, rest)
	conn.Close()
}

// The monitor serves 32 clients at once: the 33rd attach is refused with
// a 409 before any answer. A client that goes away is let go at the next
// output it misses, so that its place is free again.
func TestServeAttachClientGone(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	c := createBusybox(t, a, dock.Config{Name: "ticker", Cmd: []string{"sh", "-c", "while :; do echo tick; sleep 1; done"}})
	require.NoError(t, c.StartDetached(ctx))
	var atts []client.ContainerAttachResult
	for range 32 {
		atts = append(atts, clientAttach(t, a, "ticker", client.ContainerAttachOptions{Stream: true, Stdout: true}))
	}
	status, _, body := a.do(t, http.MethodPost, "/containers/ticker/attach?stream=1&stdout=1", "")
	assert.Equal(t, http.StatusConflict, status, body)
	for _, att := range atts {
		assert.Equal(t, "tick\n", readFrame(t, att.Reader), "each client gets the output")
		att.Close()
	}
	// The attaches end at their next missed tick; until then the places
	// are taken.
	att := attachOnceFree(ctx, t, a, "ticker")
	assert.Equal(t, "tick\n", readFrame(t, att.Reader))
	att.Close()
	killWait(t, c)
}

// A client that goes while its container prints nothing ends its attach
// too (no failed write tells then): the places it held are let go.
func TestServeAttachClientGoneSilent(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	c := createBusybox(t, a, dock.Config{Name: "silent", Cmd: []string{"sleep", "1000"}})
	require.NoError(t, c.StartDetached(ctx))
	var atts []client.ContainerAttachResult
	for range 32 {
		atts = append(atts, clientAttach(t, a, "silent", client.ContainerAttachOptions{Stream: true, Stdout: true}))
	}
	status, _, body := a.do(t, http.MethodPost, "/containers/silent/attach?stream=1&stdout=1", "")
	require.Equal(t, http.StatusConflict, status, body)
	for _, att := range atts {
		att.Close()
	}
	att := attachOnceFree(ctx, t, a, "silent")
	att.Close()
	killWait(t, c)
}

// attachOnceFree attaches to the container's output once one of the
// places that the monitor's 32 clients took is let go (409 until then).
func attachOnceFree(ctx context.Context, t *testing.T, a *apiTest, name string) client.ContainerAttachResult {
	t.Helper()
	for {
		att, err := a.client.ContainerAttach(ctx, name, client.ContainerAttachOptions{Stream: true, Stdout: true})
		if err == nil {
			return att
		}
		require.ErrorContains(t, err, "received 409")
		select {
		case <-ctx.Done():
			t.Fatal("the clients that went were never let go")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// docker run --rm: the wait is for the removal, the container goes at its
// exit, and the attach still has all the output. docker start -a: an
// exited container is attached to for its next run, without the old
// run's output.
func TestServeAttachRemovedAndRestarted(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	id := a.create(t, "", &container.Config{Cmd: []string{"sh", "-c", "echo bye; echo gone >&2"}, AttachStdout: true, AttachStderr: true},
		&container.HostConfig{NetworkMode: "none", AutoRemove: true})
	att := clientAttach(t, a, id, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
	wait := a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
	_, err := a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	_, err = stdcopy.StdCopy(&out, &errOut, att.Reader)
	require.NoError(t, err)
	assert.Equal(t, "bye\n", out.String())
	assert.Equal(t, "gone\n", errOut.String())
	select {
	case res := <-wait.Result:
		assert.Equal(t, int64(0), res.StatusCode)
	case err := <-wait.Error:
		t.Fatalf("ContainerWait: %v", err)
	}
	status, _, body := a.do(t, http.MethodPost, "/containers/"+id+"/attach?stream=1&stdout=1", "")
	assert.Equal(t, http.StatusNotFound, status, body)

	id = a.create(t, "again", &container.Config{Cmd: []string{"sh", "-c", "echo run"}}, &container.HostConfig{NetworkMode: "none"})
	_, err = a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	require.Equal(t, int64(0), (<-a.client.ContainerWait(ctx, id, client.ContainerWaitOptions{}).Result).StatusCode)
	att = clientAttach(t, a, "again", client.ContainerAttachOptions{Stream: true, Stdout: true})
	_, err = a.client.ContainerStart(ctx, id, client.ContainerStartOptions{})
	require.NoError(t, err)
	out.Reset()
	_, err = stdcopy.StdCopy(&out, io.Discard, att.Reader)
	require.NoError(t, err)
	assert.Equal(t, "run\n", out.String(), "the second run's output alone")
}

// A container removed while an attach waits for its start ends the
// attach's stream, without output.
func TestServeAttachRemovedBeforeStart(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	id := a.create(t, "never", &container.Config{Cmd: []string{"echo", "x"}}, &container.HostConfig{NetworkMode: "none"})
	conn, br, status, _ := rawAttach(t, a, "/containers/never/attach?stream=1&stdout=1&stderr=1", true)
	require.Equal(t, "HTTP/1.1 101 UPGRADED", status)
	_, err := a.client.ContainerRemove(ctx, id, client.ContainerRemoveOptions{})
	require.NoError(t, err)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Empty(t, rest)
	conn.Close()
}
