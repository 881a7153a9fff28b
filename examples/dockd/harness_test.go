package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/docktest"
	"github.com/go-dock/dock/internal/nettest"
	"github.com/go-dock/dock/internal/registrytest"
	"github.com/go-dock/dock/internal/testutil"
)

// The tests build dockd, start it on a socket of their own over a state
// directory of their own holding busybox:latest, and drive it with the
// real clients: the docker CLI (Debian's docker.io), docker-compose 1.29,
// docker-py (python3-docker) and the Go client. Nothing talks to anything
// but that socket and loopback: the tests run in nettest's private network
// namespace, the clients' configuration is a temporary directory.

// TestMain runs the tests in nettest's private "host" network and mount
// namespace: the containers join bridges and publish ports there, never
// on the machine's network.
func TestMain(m *testing.M) { nettest.Main(m) }

var build struct {
	once sync.Once
	bin  string
	err  error
}

// dockdBinary builds dockd once per test binary (static, with
// scripts/build-cli.sh: it is also each container's init and monitor),
// on the private tmpfs nettest mounts on /run. DOCKD_TEST_BIN names one
// built beforehand.
func dockdBinary(t *testing.T) string {
	t.Helper()
	testutil.RequireRoot(t)
	nettest.Require(t)
	if p := os.Getenv("DOCKD_TEST_BIN"); p != "" {
		return p
	}
	build.once.Do(func() {
		dir, err := os.MkdirTemp("/run", "dockd-test-")
		if err != nil {
			build.err = err
			return
		}
		build.bin = filepath.Join(dir, "dockd")
		out, err := exec.Command("../../scripts/build-cli.sh", build.bin, ".").CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("build dockd: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// newRoot returns a state directory holding busybox:latest (Cmd sh), as
// a pull of Docker Hub's would. The containers left in it are removed at
// the end of the test (after the daemons stop: cleanups run last first).
func newRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	e, err := dock.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	docktest.ImportBusybox(t, e)
	t.Cleanup(func() { removeContainers(t, root) })
	return root
}

// removeContainers removes, forcibly, every container left in root
// (docktest.RemoveContainers), once the daemons are gone.
func removeContainers(t *testing.T, root string) {
	e, err := dock.Open(root)
	if err != nil {
		t.Errorf("open %s to remove what the test left: %v", root, err)
		return
	}
	defer e.Close()
	docktest.RemoveContainers(t, e)
}

// daemon is a running dockd.
type daemon struct {
	t      *testing.T
	root   string
	sock   string
	cmd    *exec.Cmd
	stderr *testutil.SyncBuffer // its output, while it runs
	done   chan struct{}
}

// startDockd starts dockd over root on a socket in a temporary directory
// (or the one sock names) and waits until it answers. The test's end
// stops it with SIGTERM and checks that it exited 0.
func startDockd(t *testing.T, root, sock string, args ...string) *daemon {
	t.Helper()
	if sock == "" {
		sock = filepath.Join(t.TempDir(), "dock.sock")
	}
	d := &daemon{t: t, root: root, sock: sock, stderr: &testutil.SyncBuffer{}, done: make(chan struct{})}
	d.cmd = exec.Command(dockdBinary(t), append([]string{"-H", "unix://" + sock, "--root", root, "--log-level", "debug"}, args...)...)
	d.cmd.Stdout, d.cmd.Stderr = d.stderr, d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		select {
		case <-d.done:
			t.Fatalf("dockd exited before it answered: %v\n%s", d.cmd.ProcessState, d.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dockd did not answer on %s in 30 s:\n%s", sock, d.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return d
}

// stop sends SIGTERM and waits for a clean exit (once; later calls wait).
func (d *daemon) stop() {
	d.t.Helper()
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(60 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		d.t.Errorf("dockd did not stop within 60 s of SIGTERM:\n%s", d.stderr)
		return
	}
	if code := d.cmd.ProcessState.ExitCode(); code != 0 {
		d.t.Errorf("dockd exited %d after SIGTERM:\n%s", code, d.stderr)
	}
}

// host is the daemon's address for DOCKER_HOST.
func (d *daemon) host() string { return "unix://" + d.sock }

// httpClient talks HTTP over the daemon's socket.
func (d *daemon) httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "unix", d.sock)
	}}}
}

// clientEnv is the environment of a client of d: only d's socket, a
// configuration directory of the test's, the classic builder, no proxy
// and no TLS settings of the machine's.
func clientEnv(t *testing.T, d *daemon) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "DOCKER_"), strings.HasPrefix(k, "COMPOSE_"),
			strings.EqualFold(k, "http_proxy"), strings.EqualFold(k, "https_proxy"),
			strings.EqualFold(k, "all_proxy"), strings.EqualFold(k, "no_proxy"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "DOCKER_HOST="+d.host(), "DOCKER_CONFIG="+t.TempDir(), "DOCKER_BUILDKIT=0")
}

// result is what a client command did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// runClient runs a client program with env and stdin (nil: none),
// failing the test if it cannot run or runs past timeout.
func runClient(t *testing.T, env []string, stdin []byte, timeout time.Duration, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Env = env
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %q ran past %v: stdout %q, stderr %q", name, args, timeout, r.stdout, r.stderr)
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return r
}

// freePort returns a loopback TCP port that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// httpGet fetches a URL on loopback, retrying for 20 s until it answers
// 200 with a body containing want; it returns the last body.
func httpGet(t *testing.T, url, want string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for {
		resp, err := c.Get(url)
		if err == nil {
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			resp.Body.Close()
			last = b.String()
			if resp.StatusCode == 200 && strings.Contains(last, want) {
				return last
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, last)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %s; want 200 with %q", url, last, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls fn until it is true, failing after 20 s.
func waitFor(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startRegistry starts the real CNCF registry on loopback (plain HTTP,
// which dock's pull and push use for loopback registries, as dockerd
// does) and returns its host:port, the registry part of a reference.
func startRegistry(t *testing.T) string {
	t.Helper()
	return registrytest.Start(t).Host
}
