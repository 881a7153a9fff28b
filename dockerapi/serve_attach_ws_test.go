package dockerapi

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/websocket"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// dialWebsocket opens a websocket client on path of a's server.
func dialWebsocket(t *testing.T, a *apiTest, path string) *websocket.Conn {
	t.Helper()
	conn, err := net.Dial("unix", a.sock)
	require.NoError(t, err)
	require.NoError(t, conn.SetDeadline(time.Now().Add(attachTimeout)))
	cfg, err := websocket.NewConfig("ws://docker"+path, "http://localhost")
	require.NoError(t, err)
	ws, err := websocket.NewClient(cfg, conn)
	require.NoError(t, err)
	t.Cleanup(func() { ws.Close() })
	return ws
}

// The websocket form: the client's messages are stdin, stdout and stderr
// come unframed; before 1.42 all three streams are attached whatever the
// query says, from 1.42 those it names.
func TestServeAttachWebsocket(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	for _, tc := range []struct {
		path string
		want []string
		not  string
	}{
		{"/v1.41/containers/%s/attach/ws?stream=1", []string{"out hi\n", "err hi\n"}, ""},
		{"/v1.44/containers/%s/attach/ws?stream=1&stdin=1&stdout=1", []string{"out hi\n"}, "err"},
		{"/containers/%s/attach/ws?stream=1&stdin=1&stdout=1&stderr=1", []string{"out hi\n", "err hi\n"}, ""},
	} {
		c := createBusybox(t, a, dock.Config{Cmd: []string{"sh", "-c", "read x; echo out $x; echo err $x >&2"}, OpenStdin: true, StdinOnce: true})
		ws := dialWebsocket(t, a, strings.Replace(tc.path, "%s", c.ID(), 1))
		require.NoError(t, c.StartDetached(ctx))
		_, err := ws.Write([]byte("hi\n"))
		require.NoError(t, err)
		got, err := io.ReadAll(ws)
		require.NoError(t, err, tc.path)
		for _, w := range tc.want {
			assert.Contains(t, string(got), w, tc.path)
		}
		if tc.not != "" {
			assert.NotContains(t, string(got), tc.not, tc.path)
		}
		exit, err := c.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, 0, exit.Code, tc.path)
	}

	// logs=1&stream=0: the log alone, of an exited container.
	c := createBusybox(t, a, dock.Config{Cmd: []string{"echo", "logged"}})
	require.NoError(t, c.StartDetached(ctx))
	_, err := c.Wait(ctx)
	require.NoError(t, err)
	ws := dialWebsocket(t, a, "/containers/"+c.ID()+"/attach/ws?logs=1&stdout=1")
	got, err := io.ReadAll(ws)
	require.NoError(t, err)
	assert.Equal(t, "logged\n", string(got))
}

// On the wire: the handshake's answer, then binary messages from 1.28,
// text ones before (Docker's change at 1.28).
func TestServeAttachWebsocketFrames(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := attachContext(t)
	for _, tc := range []struct {
		version string
		opcode  byte
	}{
		{"1.44", 0x82},
		{"1.27", 0x81},
	} {
		c := createBusybox(t, a, dock.Config{Cmd: []string{"echo", "x"}})
		_, br, status, headers := a.raw(t, "GET /v"+tc.version+"/containers/"+c.ID()+"/attach/ws?stream=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n"+
			"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", nil)
		assert.Equal(t, "HTTP/1.1 101 Switching Protocols", status)
		assert.Contains(t, headers, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
		st, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, dock.StatusCreated, st.Status, "answered before the start")
		require.NoError(t, c.StartDetached(ctx))
		frame := make([]byte, 4)
		_, err = io.ReadFull(br, frame)
		require.NoError(t, err)
		assert.Equal(t, []byte{tc.opcode, 2, 'x', '\n'}, frame, "API %s: a final unmasked frame of x\\n", tc.version)
	}
}

// A websocket request that is not one is the websocket server's 400.
func TestServeAttachWebsocketNotWebsocket(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	c := createBusybox(t, a, dock.Config{Cmd: []string{"true"}})
	status, _, _ := a.do(t, "GET", "/containers/"+c.ID()+"/attach/ws?stream=1", "")
	assert.Equal(t, 400, status)
	status, _, body := a.do(t, "POST", "/containers/"+c.ID()+"/attach/ws", "")
	assert.Equal(t, 404, status, body)
}
