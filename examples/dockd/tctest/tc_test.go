package tctest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
	"github.com/go-dock/dock/internal/nettest"
	"github.com/go-dock/dock/internal/testutil"
)

// socketPath is where both servers listen, one after the other:
// testcontainers finds its Docker host once per process (DOCKER_HOST,
// cached), so both tests give it the same one. It is on the private
// tmpfs that nettest mounts on /run.
const socketPath = "/run/dock-tctest/docker.sock"

// TestMain runs the tests in nettest's private network namespace, with
// testcontainers pointed at socketPath only: no Ryuk (it would need the
// socket mounted into a container), published ports reached on
// 127.0.0.1 (this machine has a /.dockerenv, which would make
// testcontainers look for the default gateway: traffic that must not
// leave the machine), and no configuration of the machine's user
// (~/.testcontainers.properties could name another host; HOME is moved,
// Go's own directories stay where they were).
func TestMain(m *testing.M) {
	keepGoDirs()
	for k, v := range map[string]string{
		"DOCKER_HOST":                           "unix://" + socketPath,
		"TESTCONTAINERS_HOST_OVERRIDE":          "127.0.0.1",
		"TESTCONTAINERS_RYUK_DISABLED":          "true",
		"DOCKER_CONFIG":                         "/run/dock-tctest/docker-config",
		"HOME":                                  "/run/dock-tctest/home",
		"DOCKER_TLS_VERIFY":                     "",
		"DOCKER_CERT_PATH":                      "",
		"DOCKER_CONTEXT":                        "",
		"TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE": "",
		"TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX":  "",
	} {
		os.Setenv(k, v)
	}
	nettest.Main(m)
}

// keepGoDirs pins Go's cache, module and configuration directories to
// where they are under the real HOME, so that building dockd after HOME
// moves finds them.
func keepGoDirs() {
	set := func(k, v string) {
		if os.Getenv(k) == "" && v != "" {
			os.Setenv(k, v)
		}
	}
	if d, err := os.UserCacheDir(); err == nil {
		set("GOCACHE", filepath.Join(d, "go-build"))
	}
	if d, err := os.UserConfigDir(); err == nil {
		set("GOENV", filepath.Join(d, "go", "env"))
	}
	if d, err := os.UserHomeDir(); err == nil {
		set("GOPATH", filepath.Join(d, "go"))
	}
}

// newRoot returns a state directory holding busybox:latest (Cmd sh);
// the containers left in it are removed at the end of the test.
func newRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	e, err := dock.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.ImportDir(context.Background(), testutil.BusyboxRootfs(t), "busybox:latest",
		dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e, err := dock.Open(root)
		if err != nil {
			t.Errorf("open %s: %v", root, err)
			return
		}
		defer e.Close()
		infos, _ := e.Containers(context.Background())
		for _, info := range infos {
			if c, err := e.Container(info.ID); err == nil {
				t.Errorf("container %s left behind by Terminate", info.ID)
				c.Remove(context.Background(), dock.RemoveForce())
			}
		}
	})
	return root
}

// prepareSocket makes socketPath's directory, with nothing in it.
func prepareSocket(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t)
	nettest.Require(t)
	for _, d := range []string{filepath.Dir(socketPath), os.Getenv("HOME"), os.Getenv("DOCKER_CONFIG")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(socketPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

// Against dockd, built from ../ and started on socketPath.
func TestTestcontainersDockd(t *testing.T) {
	prepareSocket(t)
	bin := filepath.Join(t.TempDir(), "dockd")
	if out, err := exec.Command("../../../scripts/build-cli.sh", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("build dockd: %v\n%s", err, out)
	}
	var log strings.Builder
	cmd := exec.Command(bin, "-H", "unix://"+socketPath, "--root", newRoot(t), "--group", "")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := <-done; err != nil {
			t.Errorf("dockd after SIGTERM: %v\n%s", err, log.String())
		}
	}
	t.Cleanup(stop)
	waitForSocket(t, done)
	exercise(t) // its containers' cleanups run before stop, registered earlier
}

// Against dockerapi.Handler over an engine of the test's own, served on
// socketPath by this process: no daemon at all.
func TestTestcontainersInProcess(t *testing.T) {
	prepareSocket(t)
	e, err := dock.Open(newRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	l, err := net.Listen("unix", socketPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: dockerapi.Handler(e)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	exercise(t)
}

// waitForSocket waits until socketPath accepts connections.
func waitForSocket(t *testing.T, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", socketPath); err == nil {
			c.Close()
			return
		}
		select {
		case err := <-exited:
			t.Fatalf("dockd exited before it answered: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("dockd did not answer in 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exercise is what a test using testcontainers does: a container with an
// exposed port, waited for by its log and its port, a file copied in
// (before the start, and after), an exec, a request to the mapped port,
// and Terminate.
func exercise(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctr, err := testcontainers.Run(ctx, "busybox:latest",
		testcontainers.WithExposedPorts("8080/tcp"),
		testcontainers.WithFiles(testcontainers.ContainerFile{
			Reader: strings.NewReader("copied before the start\n"), ContainerFilePath: "/www/index.html", FileMode: 0o644,
		}),
		// A shell that ends on SIGTERM (httpd as PID 1 would ignore it:
		// each Stop would wait its 10 s).
		testcontainers.WithCmd("sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & echo serving; wait"),
		testcontainers.WithWaitStrategyAndDeadline(time.Minute,
			wait.ForLog("serving"), wait.ForListeningPort("8080/tcp")),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("testcontainers.Run: %v", err)
	}
	host, err := ctr.Host(ctx)
	if err != nil || host != "127.0.0.1" {
		t.Errorf("Host = %q, %v; want 127.0.0.1 (TESTCONTAINERS_HOST_OVERRIDE)", host, err)
	}
	port, err := ctr.MappedPort(ctx, "8080/tcp")
	if err != nil {
		t.Fatalf("MappedPort: %v", err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port.Num())
	if body := get(t, url); body != "copied before the start\n" {
		t.Errorf("GET %s = %q, want the file copied before the start", url, body)
	}

	if err := ctr.CopyToContainer(ctx, []byte("copied in\n"), "/www/later.txt", 0o600); err != nil {
		t.Fatalf("CopyToContainer: %v", err)
	}
	code, out, err := ctr.Exec(ctx, []string{"sh", "-c", "cat /www/later.txt; stat -c %a /www/later.txt; exit 6"})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	b, _ := io.ReadAll(out)
	// Without Multiplexed, the output keeps the stream's frame headers:
	// look for the text in it.
	if code != 6 || !strings.Contains(string(b), "copied in\n") || !strings.Contains(string(b), "600\n") {
		t.Errorf("Exec = exit %d, %q; want exit 6, the copied file and its mode 600", code, b)
	}
	r, err := ctr.CopyFileFromContainer(ctx, "/www/later.txt")
	if err != nil {
		t.Fatalf("CopyFileFromContainer: %v", err)
	}
	b, _ = io.ReadAll(r)
	r.Close()
	if string(b) != "copied in\n" {
		t.Errorf("CopyFileFromContainer = %q, want copied in", b)
	}
	logs, err := ctr.Logs(ctx)
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	b, _ = io.ReadAll(logs)
	logs.Close()
	if !strings.Contains(string(b), "serving") {
		t.Errorf("Logs = %q, want serving", b)
	}

	if err := ctr.Terminate(ctx); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	if _, err := ctr.State(ctx); err == nil {
		t.Errorf("State after Terminate: no error; want the container gone")
	}
}

// get fetches url, retrying briefly while the port comes up.
func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.Get(url)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
