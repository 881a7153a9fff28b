package dockerapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/docktest"
)

// apiTest is an engine served by Handler on a unix socket of the test's,
// with Docker's Go client and a raw HTTP client pointed at it.
type apiTest struct {
	engine *dock.Engine
	sock   string
	client *client.Client
	http   *http.Client
}

// newAPITest serves a fresh engine holding busybox:latest (Cmd sh). Tests
// that run containers call testutil.RequireRoot first.
func newAPITest(t *testing.T) *apiTest {
	t.Helper()
	return serveEngine(t, docktest.Engine(t))
}

// serveEngine serves e on a socket in a temporary directory until the test ends.
func serveEngine(t *testing.T, e *dock.Engine) *apiTest {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	srv := &http.Server{Handler: Handler(e)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	c, err := client.New(client.WithHost("unix://" + sock))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}
	return &apiTest{engine: e, sock: sock, client: c,
		http: &http.Client{Transport: &http.Transport{DialContext: dial}}}
}

// do sends a raw request (path with or without a version prefix) and
// returns the status and body.
func (a *apiTest) do(t *testing.T, method, path, body string) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://docker"+path, r)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// raw sends head (a request line and its headers, without the blank line
// that ends them) and body on a connection of its own, closed at the
// test's end, and reads the answer's status line and headers; the rest
// of the answer is br's. A hang fails the test after attachTimeout.
func (a *apiTest) raw(t *testing.T, head string, body []byte) (conn net.Conn, br *bufio.Reader, status string, headers []string) {
	t.Helper()
	conn, err := net.Dial("unix", a.sock)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(attachTimeout)))
	_, err = io.WriteString(conn, head+"\r\n"+string(body))
	require.NoError(t, err)
	br = bufio.NewReader(conn)
	status, err = br.ReadString('\n')
	require.NoError(t, err)
	for {
		l, err := br.ReadString('\n')
		require.NoError(t, err)
		if l == "\r\n" {
			break
		}
		headers = append(headers, strings.TrimSpace(l))
	}
	return conn, br, strings.TrimSpace(status), headers
}

// attachTimeout bounds a test's streams: a hang fails the test instead of
// blocking the suite (no assertion is about time).
const attachTimeout = 2 * time.Minute

func attachContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), attachTimeout)
	t.Cleanup(cancel)
	return ctx
}
