package dockerapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
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
	e, err := dock.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	t.Cleanup(func() { removeAllContainers(t, e) })
	_, err = e.ImportDir(context.Background(), testutil.BusyboxRootfs(t), "busybox:latest",
		dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}}))
	require.NoError(t, err)
	return serveEngine(t, e)
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

// removeAllContainers removes, forcibly, every container a test left:
// their cgroups would outlive the state directory otherwise.
func removeAllContainers(t *testing.T, e *dock.Engine) {
	ctx := context.Background()
	infos, err := e.Containers(ctx)
	if err != nil {
		t.Errorf("list the containers left: %v", err)
		return
	}
	for _, info := range infos {
		c, err := e.Container(info.ID)
		if err == nil {
			err = c.Remove(ctx, dock.RemoveForce())
		}
		if err != nil && !errors.Is(err, dock.ErrNotFound) {
			t.Errorf("remove container %s left by the test: %v", info.ID, err)
		}
	}
}
