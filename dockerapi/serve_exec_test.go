package dockerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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

// runningContainer starts a busybox container that sleeps, named name,
// detached (as the API starts them).
func runningContainer(t *testing.T, a *apiTest, name string) *dock.Container {
	t.Helper()
	ctx := context.Background()
	c, err := a.engine.Create(ctx, dock.Config{Image: "busybox", Name: name, Cmd: []string{"sleep", "600"}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	return c
}

// endExecs kills c and waits until the server has seen each exec of ids
// end: their processes' last events are written before the test's
// directory goes.
func endExecs(t *testing.T, a *apiTest, c *dock.Container, ids ...string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, c.Kill(ctx))
	_, err := c.Wait(ctx)
	require.NoError(t, err)
	for _, id := range ids {
		waitExec(t, a, id)
	}
}

// execInspect waits until the exec has ended (its stream has: the end
// is recorded first) and returns its inspection.
func execInspect(t *testing.T, a *apiTest, id string) container.ExecInspectResponse {
	t.Helper()
	status, _, body := a.do(t, http.MethodGet, "/exec/"+id+"/json", "")
	require.Equal(t, http.StatusOK, status, body)
	var out container.ExecInspectResponse
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	return out
}

func TestServeExec(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	c := runningContainer(t, a, "box")

	// Output on both streams, apart; the exit code and the pid.
	created, err := a.client.ExecCreate(ctx, "box", client.ExecCreateOptions{
		Cmd: []string{"sh", "-c", "echo out $X $PWD; echo err >&2; exit 3"}, Env: []string{"X=y"}, WorkingDir: "/tmp",
		AttachStdout: true, AttachStderr: true, User: "1000",
	})
	require.NoError(t, err)
	assert.Regexp(t, "^[0-9a-f]{64}$", created.ID)
	before := execInspect(t, a, created.ID)
	assert.False(t, before.Running)
	assert.Nil(t, before.ExitCode, "not started")
	assert.Equal(t, c.ID(), before.ContainerID)
	assert.Equal(t, "sh", before.ProcessConfig.Entrypoint)
	assert.Equal(t, []string{"-c", "echo out $X $PWD; echo err >&2; exit 3"}, before.ProcessConfig.Arguments)
	assert.Equal(t, "1000", before.ProcessConfig.User)
	assert.True(t, before.OpenStdout)
	assert.False(t, before.OpenStdin)

	att, err := a.client.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	require.NoError(t, err)
	mt, multiplexed := att.MediaType()
	assert.Equal(t, multiplexedStreamType, mt)
	assert.True(t, multiplexed)
	var out, errOut bytes.Buffer
	_, err = stdcopy.StdCopy(&out, &errOut, att.Reader)
	require.NoError(t, err)
	att.Close()
	assert.Equal(t, "out y /tmp\n", out.String())
	assert.Equal(t, "err\n", errOut.String())
	insp, err := a.client.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
	require.NoError(t, err)
	assert.False(t, insp.Running)
	assert.Equal(t, 3, insp.ExitCode)
	assert.Positive(t, insp.PID)

	// Once run, it cannot start again.
	status, _, body := a.do(t, http.MethodPost, "/exec/"+created.ID+"/start", `{"Detach":true}`)
	assert.Equal(t, http.StatusConflict, status)
	assert.JSONEq(t, `{"message":"Error: Exec command `+created.ID+` has already run"}`, body)

	// stdin until the client half-closes; the output goes on after it.
	created, err = a.client.ExecCreate(ctx, c.ID(), client.ExecCreateOptions{
		Cmd: []string{"sh", "-c", "cat; echo after"}, AttachStdin: true, AttachStdout: true,
	})
	require.NoError(t, err)
	att, err = a.client.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	require.NoError(t, err)
	_, err = io.WriteString(att.Conn, "piped\x10 in")
	require.NoError(t, err)
	require.NoError(t, att.CloseWrite())
	out.Reset()
	errOut.Reset()
	_, err = stdcopy.StdCopy(&out, &errOut, att.Reader)
	require.NoError(t, err)
	att.Close()
	assert.Equal(t, "piped\x10 inafter\n", out.String(), "a lone ctrl-p is input")
	assert.Equal(t, 0, *execInspect(t, a, created.ID).ExitCode)

	// Detached: it runs, nobody reads.
	created, err = a.client.ExecCreate(ctx, "box", client.ExecCreateOptions{Cmd: []string{"sh", "-c", "echo hi > /tmp/detached"}})
	require.NoError(t, err)
	_, err = a.client.ExecStart(ctx, created.ID, client.ExecStartOptions{Detach: true})
	require.NoError(t, err)
	waitExec(t, a, created.ID)
	assert.Equal(t, 0, *execInspect(t, a, created.ID).ExitCode)

	// A command that is not there: the stream says so, the code is 127.
	created, err = a.client.ExecCreate(ctx, "box", client.ExecCreateOptions{Cmd: []string{"nosuchcmd"}, AttachStdout: true})
	require.NoError(t, err)
	att, err = a.client.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	require.NoError(t, err)
	out.Reset()
	_, err = stdcopy.StdCopy(&out, &errOut, att.Reader)
	require.NoError(t, err)
	att.Close()
	assert.Contains(t, out.String(), "nosuchcmd")
	assert.Equal(t, 127, *execInspect(t, a, created.ID).ExitCode)
}

// waitExec polls until the exec has ended.
func waitExec(t *testing.T, a *apiTest, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if x := execInspect(t, a, id); x.ExitCode != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("exec %s did not end", id)
}

// A resize that comes while the start is under way (the docker CLI sends
// it once the start's stream is up) waits for the process, as Docker's
// daemon does, instead of failing with "not running".
func TestServeExecResizeDuringStart(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	c := runningContainer(t, a, "tty")
	hold, entered := make(chan struct{}), make(chan struct{})
	testHookExecStart = func() {
		close(entered)
		<-hold
	}
	defer func() { testHookExecStart = nil }()
	created, err := a.client.ExecCreate(ctx, "tty", client.ExecCreateOptions{
		Cmd: []string{"sh", "-c", "read line; stty size"}, TTY: true, AttachStdin: true, AttachStdout: true})
	require.NoError(t, err)
	att, err := a.client.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: true})
	require.NoError(t, err)
	defer att.Close()
	<-entered
	resized := make(chan error, 1)
	go func() {
		_, err := a.client.ExecResize(ctx, created.ID, client.ExecResizeOptions{Height: 33, Width: 99})
		resized <- err
	}()
	select {
	case err := <-resized:
		t.Fatalf("the resize did not wait for the start: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(hold)
	require.NoError(t, <-resized)
	_, err = io.WriteString(att.Conn, "go\n")
	require.NoError(t, err)
	out, err := io.ReadAll(att.Reader)
	require.NoError(t, err)
	assert.Equal(t, "go\r\n33 99\r\n", string(out))
	endExecs(t, a, c, created.ID)
}

// A terminal: the raw stream, the console size, resize, detach keys.
func TestServeExecTTY(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	c := runningContainer(t, a, "tty")

	created, err := a.client.ExecCreate(ctx, "tty", client.ExecCreateOptions{
		Cmd: []string{"sh", "-c", "stty size; read line; stty size; echo bye"}, TTY: true,
		AttachStdin: true, AttachStdout: true, AttachStderr: true, DetachKeys: "ctrl-x",
		ConsoleSize: client.ConsoleSize{Height: 24, Width: 80},
	})
	require.NoError(t, err)
	att, err := a.client.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: true, ConsoleSize: client.ConsoleSize{Height: 25, Width: 81}})
	require.NoError(t, err)
	defer att.Close()
	mt, _ := att.MediaType()
	assert.Equal(t, rawStreamType, mt)
	line, err := att.Reader.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "25 81\r\n", line, "the start's console size")

	_, err = a.client.ExecResize(ctx, created.ID, client.ExecResizeOptions{Height: 30, Width: 100})
	require.NoError(t, err)
	_, err = io.WriteString(att.Conn, "go\n")
	require.NoError(t, err)
	rest, err := io.ReadAll(att.Reader)
	require.NoError(t, err)
	assert.Equal(t, "go\r\n30 100\r\nbye\r\n", string(rest))
	x := execInspect(t, a, created.ID)
	assert.True(t, x.ProcessConfig.Tty)
	assert.Equal(t, []byte{24}, x.DetachKeys)
	assert.Equal(t, 0, *x.ExitCode)

	// The detach keys end the stream; the process goes on.
	created, err = a.client.ExecCreate(ctx, "tty", client.ExecCreateOptions{
		Cmd: []string{"sh"}, TTY: true, AttachStdin: true, AttachStdout: true, DetachKeys: "ctrl-x,x",
	})
	require.NoError(t, err)
	att2, err := a.client.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: true})
	require.NoError(t, err)
	defer att2.Close()
	_, err = io.WriteString(att2.Conn, "echo $((6*7))\n")
	require.NoError(t, err)
	for line := ""; !strings.HasPrefix(line, "42"); {
		line, err = att2.Reader.ReadString('\n')
		require.NoError(t, err)
	}
	_, err = io.WriteString(att2.Conn, "\x18x")
	require.NoError(t, err)
	_, err = io.ReadAll(att2.Reader)
	require.NoError(t, err, "the stream ends")
	x = execInspect(t, a, created.ID)
	assert.True(t, x.Running, "detached, not ended")
	assert.Nil(t, x.ExitCode)
	shell := created.ID
	// Resizing a process without a terminal is refused.
	created, err = a.client.ExecCreate(ctx, "tty", client.ExecCreateOptions{Cmd: []string{"sleep", "30"}})
	require.NoError(t, err)
	_, err = a.client.ExecStart(ctx, created.ID, client.ExecStartOptions{Detach: true})
	require.NoError(t, err)
	status, _, body := a.do(t, http.MethodPost, "/exec/"+created.ID+"/resize?h=10&w=10", "")
	assert.Equal(t, http.StatusBadRequest, status, body)
	assert.Contains(t, body, "no terminal")
	status, _, body = a.do(t, http.MethodPost, "/exec/"+created.ID+"/start", `{}`)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, body, "is already running")
	endExecs(t, a, c, shell, created.ID)
}

// The wire: 101 and its headers, before 1.42 the raw stream's type (the
// frames are the same), 200 without Upgrade.
func TestServeExecWire(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	runningContainer(t, a, "wire")
	for _, tc := range []struct {
		version     string
		upgrade     bool
		status      string
		contentType string
	}{
		{"1.44", true, "101 UPGRADED", multiplexedStreamType},
		{"1.41", true, "101 UPGRADED", rawStreamType},
		{"1.44", false, "200 OK", rawStreamType},
	} {
		status, _, body := a.do(t, http.MethodPost, "/v"+tc.version+"/containers/wire/exec", `{"Cmd":["sh","-c","echo o; echo e >&2"],"AttachStdout":true,"AttachStderr":true}`)
		require.Equal(t, http.StatusCreated, status, body)
		var created container.ExecCreateResponse
		require.NoError(t, json.Unmarshal([]byte(body), &created))

		head := "POST /v" + tc.version + "/exec/" + created.ID + "/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 17\r\n"
		if tc.upgrade {
			head += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
		}
		conn, br, statusLine, headers := a.raw(t, head, []byte(`{"Detach":false}`+"\n"))
		assert.Equal(t, "HTTP/1.1 "+tc.status, statusLine, tc)
		want := []string{"Content-Type: " + tc.contentType}
		if tc.upgrade {
			want = append(want, "Connection: Upgrade", "Upgrade: tcp")
		}
		assert.Equal(t, want, headers, tc)
		var out, errOut bytes.Buffer
		_, err := stdcopy.StdCopy(&out, &errOut, br)
		require.NoError(t, err)
		assert.Equal(t, "o\n", out.String())
		assert.Equal(t, "e\n", errOut.String())
		conn.Close()
	}
}

func TestServeExecHostile(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	c := runningContainer(t, a, "hx")
	stopped, err := a.engine.Create(ctx, dock.Config{Image: "busybox", Name: "stopped", Cmd: []string{"true"}})
	require.NoError(t, err)
	status, _, body := a.do(t, http.MethodPost, "/containers/hx/exec", `{"Cmd":["sleep","30"],"Tty":true}`)
	require.Equal(t, http.StatusCreated, status, body)
	var tty container.ExecCreateResponse
	require.NoError(t, json.Unmarshal([]byte(body), &tty))

	for _, tc := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"POST", "/containers/nosuch/exec", `{"Cmd":["true"]}`, 404, "No such container: nosuch"},
		{"POST", "/containers/stopped/exec", `{"Cmd":["true"]}`, 409, "Container " + stopped.ID() + " is not running"},
		{"POST", "/containers/hx/exec", `{"Cmd":[]}`, 400, "No exec command specified"},
		{"POST", "/containers/hx/exec", `{}`, 400, "No exec command specified"},
		{"POST", "/containers/hx/exec", `{"Cmd":"true"}`, 400, "invalid JSON"},
		{"POST", "/containers/hx/exec", `{"Cmd":["true"]`, 400, "invalid JSON"},
		{"POST", "/containers/hx/exec", `{"Cmd":["true"],"DetachKeys":"ctrl-1"}`, 400, "Invalid escape keys (ctrl-1) provided"},
		{"POST", "/containers/hx/exec", `{"Cmd":["true"],"WorkingDir":"tmp"}`, 400, "needs to be an absolute path"},
		{"POST", "/containers/hx/exec", `{"Cmd":["tr\u0000ue"]}`, 400, "NUL"},
		{"POST", "/containers/hx/exec", `{"Cmd":["true"],"Env":["=x"]}`, 400, "invalid environment variable"},
		{"POST", "/containers/hx/exec", `{"Cmd":["true"],"ConsoleSize":[70000,1]}`, 400, "invalid console size"},
		{"POST", "/containers/hx/exec", `{"Cmd":["true"],"ConsoleSize":[-1,1]}`, 400, "invalid JSON"},
		{"POST", "/exec/nosuch/start", `{}`, 404, "No such exec instance: nosuch"},
		{"POST", "/exec/" + tty.ID + "/start", `{"Detach":"yes"}`, 400, "invalid JSON"},
		{"POST", "/exec/" + tty.ID + "/start", `{"Detach":true,"ConsoleSize":[1,99999]}`, 400, "invalid console size"},
		{"GET", "/exec/nosuch/json", "", 404, "No such exec instance: nosuch"},
		{"POST", "/exec/nosuch/resize?h=1&w=1", "", 404, "No such exec instance: nosuch"},
		{"POST", "/exec/" + tty.ID + "/resize?h=1&w=1", "", 409, "is not running"},
	} {
		status, _, body := a.do(t, tc.method, tc.path, tc.body)
		assert.Equal(t, tc.status, status, "%s %s %s: %s", tc.method, tc.path, tc.body, body)
		var e struct{ Message string }
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		assert.Contains(t, e.Message, tc.msg, "%s %s %s", tc.method, tc.path, tc.body)
	}

	// A started terminal's resize: bad sizes are 400, nothing is changed.
	_, err = a.client.ExecStart(ctx, tty.ID, client.ExecStartOptions{Detach: true})
	require.NoError(t, err)
	for _, q := range []string{"", "h=1", "w=1", "h=-1&w=1", "h=1&w=65536", "h=x&w=1", "h=99999999999999999999&w=1"} {
		status, _, body := a.do(t, http.MethodPost, "/exec/"+tty.ID+"/resize?"+q, "")
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", q, body)
	}
	status, _, body = a.do(t, http.MethodPost, "/exec/"+tty.ID+"/resize?h=10&w=20", "")
	assert.Equal(t, http.StatusOK, status, body)

	// A container that stops: a created exec cannot start.
	created, err := a.client.ExecCreate(ctx, "hx", client.ExecCreateOptions{Cmd: []string{"true"}})
	require.NoError(t, err)
	require.NoError(t, c.Kill(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	status, _, body = a.do(t, http.MethodPost, "/exec/"+created.ID+"/start", `{"Detach":true}`)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, body, "is not running")
	assert.Nil(t, execInspect(t, a, created.ID).ExitCode, "never started")
	waitExec(t, a, tty.ID)
}

// The exec events in Docker's order: exec_create when the exec is created
// (before any start), exec_start when it starts, and for an exec still
// running when its container is removed, exec_die before the container's
// destroy, never after it.
func TestServeExecEvents(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	c := runningContainer(t, a, "evexec")
	t0 := time.Now()
	created, err := a.client.ExecCreate(ctx, "evexec", client.ExecCreateOptions{Cmd: []string{"sleep", "300"}})
	require.NoError(t, err)
	actions := func() []string {
		t.Helper()
		var out []string
		for _, m := range collectEvents(t, a, client.EventsListOptions{Since: unixArg(t0), Until: unixArg(time.Now().Add(time.Millisecond)),
			Filters: client.Filters{}.Add("container", c.ID())}) {
			out = append(out, string(m.Action))
			if strings.HasPrefix(string(m.Action), "exec_") {
				assert.Equal(t, created.ID, m.Actor.Attributes["execID"], m.Action)
			}
		}
		return out
	}
	assert.Equal(t, []string{"exec_create: sleep 300"}, actions(), "at create, before any start")

	_, err = a.client.ExecStart(ctx, created.ID, client.ExecStartOptions{Detach: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"exec_create: sleep 300", "exec_start: sleep 300"}, actions())
	require.True(t, execInspect(t, a, created.ID).Running)

	_, err = a.client.ContainerRemove(ctx, "evexec", client.ContainerRemoveOptions{Force: true})
	require.NoError(t, err)
	waitExec(t, a, created.ID)
	got := actions()
	require.NotEmpty(t, got)
	assert.Equal(t, "destroy", got[len(got)-1], "the container's last event: %q", got)
	assert.Contains(t, got, "exec_die", "the exec's end, before the destroy")
}
