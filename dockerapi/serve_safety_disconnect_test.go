package dockerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/registrytest"
	"github.com/go-dock/dock/internal/testutil"
)

// openStream sends a raw request on a connection of its own (a.raw) and
// reads the first n bytes of its answer's body; it returns the connection
// for the test to close mid-stream.
func openStream(t *testing.T, a *apiTest, head string, body []byte, n int) net.Conn {
	t.Helper()
	conn, br, status, _ := a.raw(t, head, body)
	require.Regexp(t, "^HTTP/1.1 (200|101)", status)
	_, err := io.ReadFull(br, make([]byte, n))
	require.NoError(t, err, "the stream's first bytes")
	return conn
}

// requireGoroutinesBack waits until the process's goroutines are no more
// than before, and fails after a generous bound with their stacks.
func requireGoroutinesBack(t *testing.T, what string, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for goroutines() > before {
		if time.Now().After(deadline) {
			var stacks bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
			t.Fatalf("%s: %d goroutines 10 s after the client went, %d before:\n%s", what, goroutines(), before, stacks.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// goroutines counts the process's goroutines but those of an HTTP
// client's connections (two each): the registry client keeps idle
// connections in its pool, more or fewer by how a pull's parallel
// requests happened to interleave, until its idle timeout. A request
// still under way is seen anyway, by the server's goroutine that serves
// it (the registry runs in this process).
func goroutines() int {
	var stacks bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
	n := runtime.NumGoroutine()
	_, groups, _ := strings.Cut(stacks.String(), "\n") // after "goroutine profile: total N"
	for _, group := range strings.Split(groups, "\n\n") {
		if !strings.Contains(group, "net/http.(*persistConn).readLoop") && !strings.Contains(group, "net/http.(*persistConn).writeLoop") {
			continue
		}
		var k int
		if _, err := fmt.Sscanf(group, "%d @", &k); err == nil {
			n -= k
		}
	}
	return n
}

// disconnect opens a stream twice, closing each mid-stream: the first
// warms what the server starts once (the event log's reader, a pool),
// the second must leave the goroutines as they were before it.
func disconnect(t *testing.T, what string, open func() net.Conn) {
	t.Helper()
	open().Close()
	time.Sleep(100 * time.Millisecond)
	before := goroutines()
	open().Close()
	requireGoroutinesBack(t, what, before)
}

// TestServeSafetyDisconnect: a client that goes mid-stream leaves no
// goroutine, process or container behind.
func TestServeSafetyDisconnect(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	chatty, err := a.engine.Create(ctx, dock.Config{Image: "busybox", Name: "chatty",
		Cmd: []string{"sh", "-c", "while :; do echo tick; sleep 0.05; done"}})
	require.NoError(t, err)
	require.NoError(t, chatty.StartDetached(ctx))
	t.Cleanup(func() { chatty.Kill(context.Background()) })

	t.Run("events", func(t *testing.T) {
		disconnect(t, "events", func() net.Conn {
			conn := openStream(t, a, "GET /v1.45/events HTTP/1.1\r\nHost: docker\r\n", nil, 0)
			_, err := a.engine.CreateVolume(ctx, "")
			require.NoError(t, err)
			_, err = io.ReadFull(conn, make([]byte, 16))
			require.NoError(t, err)
			return conn
		})
	})
	t.Run("logs follow", func(t *testing.T) {
		disconnect(t, "logs", func() net.Conn {
			return openStream(t, a, "GET /v1.45/containers/chatty/logs?follow=1&stdout=1&tail=1 HTTP/1.1\r\nHost: docker\r\n", nil, 16)
		})
	})
	t.Run("stats stream", func(t *testing.T) {
		disconnect(t, "stats", func() net.Conn {
			return openStream(t, a, "GET /v1.45/containers/chatty/stats?stream=1 HTTP/1.1\r\nHost: docker\r\n", nil, 64)
		})
	})
	t.Run("exec start", func(t *testing.T) {
		var ids []string
		disconnect(t, "exec", func() net.Conn {
			status, _, body := a.do(t, "POST", "/v1.45/containers/chatty/exec",
				`{"Cmd":["sh","-c","echo started; exec sleep 600"],"AttachStdout":true,"AttachStderr":true}`)
			require.Equal(t, http.StatusCreated, status, body)
			id := strings.Split(body, `"`)[3]
			ids = append(ids, id)
			start := `{"Detach":false}`
			return openStream(t, a, "POST /v1.45/exec/"+id+"/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"+
				"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 16\r\n", []byte(start), 8+len("started\n"))
		})
		// Each exec has ended, and no sleep of theirs is left in the
		// container.
		for _, id := range ids {
			require.Eventually(t, func() bool {
				var x container.ExecInspectResponse
				status, _, body := a.do(t, "GET", "/exec/"+id+"/json", "")
				return status == http.StatusOK && json.Unmarshal([]byte(body), &x) == nil && !x.Running
			}, 10*time.Second, 20*time.Millisecond, "the exec whose client went runs on")
		}
		top, err := a.client.ContainerTop(ctx, "chatty", client.ContainerTopOptions{})
		require.NoError(t, err)
		for _, p := range top.Processes {
			require.NotContains(t, strings.Join(p, " "), "sleep 600", "an exec whose client went: %v", top.Processes)
		}
	})
	t.Run("exec start half-closed", func(t *testing.T) {
		// The CLI closes its writing side when its input ends: the
		// process runs on and its output still comes.
		status, _, body := a.do(t, "POST", "/v1.45/containers/chatty/exec",
			`{"Cmd":["sh","-c","echo a; sleep 1; echo b"],"AttachStdout":true}`)
		require.Equal(t, http.StatusCreated, status, body)
		id := strings.Split(body, `"`)[3]
		conn := openStream(t, a, "POST /v1.45/exec/"+id+"/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"+
			"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 16\r\n", []byte(`{"Detach":false}`), 8+len("a\n"))
		defer conn.Close()
		require.NoError(t, conn.(*net.UnixConn).CloseWrite())
		rest, err := io.ReadAll(conn)
		require.NoError(t, err)
		require.Equal(t, append([]byte{1, 0, 0, 0, 0, 0, 0, 2}, "b\n"...), rest)
	})
	t.Run("attach websocket", func(t *testing.T) {
		// A silent container: nothing fails to tell that the client
		// went but the client's end itself, a closed connection (no
		// close message) or a close message.
		silent, err := a.engine.Create(ctx, dock.Config{Image: "busybox", Name: "silent", OpenStdin: true,
			Cmd: []string{"sh", "-c", "echo started; exec sleep 600"}})
		require.NoError(t, err)
		require.NoError(t, silent.StartDetached(ctx))
		t.Cleanup(func() { silent.Remove(context.Background(), dock.RemoveForce()) })
		disconnect(t, "attach/ws closed", func() net.Conn {
			// The log's replay comes once the attach is connected.
			return openStream(t, a, "GET /v1.45/containers/silent/attach/ws?logs=1&stream=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n"+
				"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
				nil, 2+len("started\n"))
		})
		disconnect(t, "attach/ws close message", func() net.Conn {
			ws := dialWebsocket(t, a, "/v1.45/containers/silent/attach/ws?logs=1&stream=1&stdin=1&stdout=1")
			_, err := io.ReadFull(ws, make([]byte, len("started\n")))
			require.NoError(t, err)
			_, err = ws.Write([]byte("ignored\n"))
			require.NoError(t, err)
			return ws
		})
		st, err := silent.State(ctx)
		require.NoError(t, err)
		require.Equal(t, dock.StatusRunning, st.Status, "the container runs on")
	})
	t.Run("build", func(t *testing.T) {
		ctxTar := tarOf(t, tarEntry{name: "Dockerfile", body: "FROM busybox\nRUN echo building; sleep 600\n"})
		disconnect(t, "build", func() net.Conn {
			return openStream(t, a, "POST /v1.45/build?t=left:behind HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n"+
				"Content-Length: "+strconv.Itoa(len(ctxTar))+"\r\n", ctxTar, 16)
		})
		// The RUN's container is gone and nothing was tagged.
		require.Eventually(t, func() bool {
			cs, err := a.engine.Containers(ctx)
			return err == nil && len(cs) == 1
		}, 10*time.Second, 20*time.Millisecond, "the build's RUN container is left")
		code, _, _ := a.do(t, "GET", "/images/left:behind/json", "")
		require.Equal(t, http.StatusNotFound, code)
	})
}

// TestServeSafetyDisconnectPull: a pull whose client goes mid-stream ends
// (its registry request with it) and leaves no goroutine behind.
func TestServeSafetyDisconnectPull(t *testing.T) {
	a := newRegistryAPITest(t)
	reg := registrytest.Start(t)
	registrytest.PushImage(t, reg, "team/slow", "v1", registrytest.RandomLayer(t, 1<<16))
	var blobs atomic.Int32
	proxy := registrytest.NewProxy(t, reg, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if registrytest.BlobGet(r) && blobs.Add(1) > 1 {
			// The blobs after the first (the config) wait for their
			// request to end: the pull's, cut when the client goes.
			<-r.Context().Done()
			return
		}
		next.ServeHTTP(w, r)
	})
	disconnect(t, "pull", func() net.Conn {
		return openStream(t, a, "POST /v1.45/images/create?fromImage="+proxy.Host+"/team/slow&tag=v1 HTTP/1.1\r\nHost: docker\r\n", nil, 16)
	})
}
