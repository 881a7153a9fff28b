package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/go-dock/dock/internal/testutil"
)

// The integration tests build the CLI and drive it as a user would, as
// root, on a state directory of their own with a busybox image imported.

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// TestMain runs the tests in nettest's private "host" network and mount
// namespace (see internal/nettest): the CLI's containers join the default
// bridge, as docker's do, and its bridge, veths, nftables table and
// published ports must never touch the machine's network.
func TestMain(m *testing.M) { nettest.Main(m) }

// dockBinary builds the CLI once per test binary, on the private tmpfs
// that nettest mounts on /run: it goes with the test's mount namespace
// (nettest.Main exits, so nothing runs after the tests to remove it). A
// machine without Go (a test host the test binary was copied to) names a
// CLI built beforehand in DOCK_TEST_CLI. Every test of the CLI runs
// containers on the default bridge, or may: it needs root and nettest's
// namespaces.
func dockBinary(t *testing.T) string {
	t.Helper()
	testutil.RequireRoot(t)
	nettest.Require(t)
	if p := os.Getenv("DOCK_TEST_CLI"); p != "" {
		return p
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("/run", "dock-cli-test-")
		if build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "dock")
		// With scripts/build-cli.sh: static, with musl (see there why).
		out, err := exec.Command("../../scripts/build-cli.sh", build.bin, ".").CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

type env struct {
	t    *testing.T
	bin  string
	root string
}

// newEnv returns a state directory with busybox:latest imported; the
// containers left in it are removed at the end of the test.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, bin: dockBinary(t), root: t.TempDir()}
	tar := testutil.BusyboxTar(t)
	id := e.ok(tar, "import", "-", "busybox:latest")
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`).MatchString(id) {
		t.Fatalf("dock import printed %q, want an image ID", id)
	}
	t.Cleanup(func() {
		ids, _, _ := e.dock(nil, "ps", "-aq", "--no-trunc")
		if ids = strings.TrimSpace(ids); ids != "" {
			e.dock(nil, append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
		}
	})
	return e
}

// cmd prepares dock --root R args.
func (e *env) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, e.bin, append([]string{"--root", e.root}, args...)...)
	c.Env = append(os.Environ(), "DOCK_TEST_VAR=from-cli-env")
	return c
}

// dock runs the CLI with stdin and returns its stdout, stderr and exit code.
func (e *env) dock(stdin []byte, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.cmd(ctx, args...)
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		e.t.Fatalf("dock %q: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// ok runs the CLI and fails the test unless it exits 0.
func (e *env) ok(stdin []byte, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.dock(stdin, args...)
	if code != 0 {
		e.t.Fatalf("dock %q: exit %d, stderr %q", args, code, errOut)
	}
	return out
}

// expect runs the CLI and checks its exit code and stdout.
func (e *env) expect(wantCode int, wantOut string, args ...string) (stderr string) {
	e.t.Helper()
	out, errOut, code := e.dock(nil, args...)
	if code != wantCode || out != wantOut {
		e.t.Errorf("dock %q = exit %d, stdout %q (stderr %q); want exit %d, stdout %q", args, code, out, errOut, wantCode, wantOut)
	}
	return errOut
}

// waitFor polls fn until it is true, failing after 10 s.
func waitFor(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCLIRunAttached(t *testing.T) {
	e := newEnv(t)
	e.expect(0, "hi\n", "run", "--rm", "busybox", "echo", "hi")
	e.expect(7, "", "run", "--rm", "busybox", "sh", "-c", "exit 7")
	e.expect(0, "1 /tmp 1000\n", "run", "--rm", "-e", "A=1", "-w", "/tmp", "-u", "1000", "busybox", "sh", "-c", "echo $A $(pwd) $(id -u)")
	e.expect(0, "from-cli-env\n", "run", "--rm", "-e", "DOCK_TEST_VAR", "busybox", "sh", "-c", "echo $DOCK_TEST_VAR")
	// Killed by a signal: 128+N (with --init, the shell is not PID 1, which
	// SIGKILL from inside the container would not kill).
	e.expect(137, "", "run", "--rm", "--init", "busybox", "sh", "-c", "kill -9 $$")
	// Stdout and stderr stay apart; stdin only with -i.
	out, errOut, code := e.dock([]byte("in\n"), "run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo err >&2")
	if out != "in\n" || errOut != "err\n" || code != 0 {
		t.Errorf("run -i cat = %q, %q, exit %d; want \"in\\n\", \"err\\n\", 0", out, errOut, code)
	}
	e.expect(0, "", "run", "--rm", "busybox", "cat")
	// --rm leaves nothing; without it the container stays, exited.
	e.expect(0, "", "ps", "-aq")
	e.ok(nil, "run", "--name", "kept", "busybox", "true")
	if out := e.ok(nil, "ps", "-a"); !strings.Contains(out, "Exited (0)") || !strings.Contains(out, "kept") {
		t.Errorf("ps -a after run without --rm:\n%s", out)
	}
}

func TestCLIRunErrors(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		code   int
		args   []string
		stderr string
	}{
		{127, []string{"run", "--rm", "busybox", "nope"}, "dock: "},
		{126, []string{"run", "--rm", "busybox", "/etc/passwd"}, "dock: "},
		{125, []string{"run", "--bogus", "busybox"}, "unknown flag: --bogus"},
		{125, []string{"run", "--rm", "-m", "12x", "busybox", "true"}, "12x"},
		{125, []string{"run", "--rm", "--network", "nope", "busybox", "true"}, "network nope not found"},
		{125, []string{"run", "--rm", "nosuchimage", "true"}, "dock: "},
		{1, []string{"run"}, "requires at least 1 argument"},
		{125, []string{"create", "--bogus", "busybox"}, "unknown flag"},
		{125, []string{"ps", "--bogus"}, "unknown flag"},
		{1, []string{"rm", "nosuch"}, "no such container"},
		{1, []string{"logs", "nosuch"}, "no such container"},
		{1, []string{"bogus"}, "unknown command"},
		{1, []string{"exec", "nosuch", "true"}, "no such container"},
		{1, []string{"stop"}, "requires at least 1 argument"},
	} {
		out, errOut, code := e.dock(nil, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.stderr) || (code >= 125 && out != "") {
			t.Errorf("dock %q = exit %d, stdout %q, stderr %q; want exit %d, stderr with %q", tt.args, code, out, errOut, tt.code, tt.stderr)
		}
	}
	e.expect(1, "[]\n", "inspect", "nosuch")
	// A failed --rm run leaves no container behind.
	e.expect(0, "", "ps", "-aq")
}

// run -dit: a detached container with a terminal, whatever the CLI's
// stdin (docker attaches nothing with -d); its output is logged.
func TestCLIDetachedTTY(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok(nil, "run", "-dit", "busybox", "sh", "-c", "tty"))
	e.expect(0, "0\n", "wait", id)
	e.expect(0, "/dev/pts/0\r\n", "logs", id)
}

// run -d --rm: the container's monitor removes it once it exits.
func TestCLIDetachedAutoRemove(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok(nil, "run", "-d", "--rm", "busybox", "sh", "-c", "exit 0"))
	deadline := time.Now().Add(5 * time.Second)
	for strings.Contains(e.ok(nil, "ps", "-a", "-q", "--no-trunc"), id) {
		if time.Now().After(deadline) {
			t.Fatalf("container %s still listed 5 s after it exited", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCLIDetached(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok(nil, "run", "-d", "--name", "s", "busybox", "sh", "-c", "echo started; exec sleep 30"))
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("run -d printed %q, want a container ID", id)
	}
	// The container outlives the CLI that started it.
	ps := e.ok(nil, "ps")
	if !strings.Contains(ps, id[:12]) || !strings.Contains(ps, "Up ") || !strings.Contains(ps, " s\n") {
		t.Errorf("ps:\n%s\nwant s, Up", ps)
	}
	e.expect(0, id[:12]+"\n", "exec", "s", "cat", "/etc/hostname")
	e.expect(5, "", "exec", "s", "sh", "-c", "exit 5")
	e.expect(127, "", "exec", "s", "nope")
	e.expect(0, "x /tmp\n", "exec", "-e", "V=x", "-w", "/tmp", "s", "sh", "-c", "echo $V $(pwd)")
	e.expect(0, "", "exec", "-d", "s", "sh", "-c", "sleep 0.2; echo late > /tmp/late")
	waitFor(t, "exec -d to finish", func() bool { out, _, _ := e.dock(nil, "exec", "s", "cat", "/tmp/late"); return out == "late\n" })
	waitFor(t, "logs", func() bool { out, _, _ := e.dock(nil, "logs", "s"); return out == "started\n" })
	if out := e.ok(nil, "logs", "-t", "--tail", "1", "s"); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+ started\n$`).MatchString(out) {
		t.Errorf("logs -t --tail 1 = %q", out)
	}
	if out := e.ok(nil, "stats", "--no-stream", "s"); !strings.Contains(out, "CPU %") || !strings.Contains(out, "NET I/O") || !strings.Contains(out, "BLOCK I/O") || !strings.Contains(out, id[:12]) || !strings.Contains(out, "%") {
		t.Errorf("stats --no-stream:\n%s", out)
	}
	if out := e.ok(nil, "stats", "--no-stream", "--format", "{{.Name}} {{.ID}} {{.PIDs}} {{.NetIO}} {{.BlockIO}}", "s"); !regexp.MustCompile(`^s ` + id[:12] + ` [1-9]\d* \d[.\d]*[kMG]?B / \d[.\d]*[kMG]?B \d[.\d]*[kMG]?B / \d[.\d]*[kMG]?B\n$`).MatchString(out) {
		t.Errorf("stats --format printed %q", out)
	}
	if out := e.ok(nil, "stats", "--no-stream", "--format", "table {{.Name}}\t{{.MemPerc}}", "s"); !regexp.MustCompile(`^NAME\s+MEM %\ns\s+\d+\.\d\d%\n$`).MatchString(out) {
		t.Errorf("stats --format table printed %q", out)
	}
	e.expect(0, "s\n", "pause", "s")
	if out := e.ok(nil, "ps"); !strings.Contains(out, "(Paused)") {
		t.Errorf("ps after pause:\n%s", out)
	}
	e.expect(0, "s\n", "unpause", "s")
	if out := e.ok(nil, "top", "s", "-o", "pid,args"); !regexp.MustCompile(`^\s*PID\s+COMMAND\n\s*\d+\s+sleep 30\n$`).MatchString(out) {
		t.Errorf("top s -o pid,args:\n%s", out)
	}
	e.expect(0, "s\n", "restart", "-t", "1", "s")
	waitFor(t, "logs after restart", func() bool { out, _, _ := e.dock(nil, "logs", "s"); return out == "started\nstarted\n" })
	// A running container is not removed without -f.
	if _, errOut, code := e.dock(nil, "rm", "s"); code != 1 || !strings.HasPrefix(errOut, "dock: ") {
		t.Errorf("rm of a running container: exit %d, %q; want 1 and an error", code, errOut)
	}
	e.expect(0, "s\n", "stop", "-t", "1", "s")
	if out := e.ok(nil, "ps", "-a"); !strings.Contains(out, "Exited (") {
		t.Errorf("ps -a after stop:\n%s", out)
	}
	e.expect(0, "", "ps", "-q")
	var info []map[string]any
	if err := json.Unmarshal([]byte(e.ok(nil, "inspect", "s", "busybox")), &info); err != nil || len(info) != 2 {
		t.Fatalf("inspect s busybox: %v, %d elements", err, len(info))
	}
	if info[0]["Id"] != id || info[0]["Name"] != "/s" {
		t.Errorf("inspect s: Id %v, Name %v, want %s and /s", info[0]["Id"], info[0]["Name"], id)
	}
	e.expect(0, "s\n", "rm", "s")
	e.expect(0, "", "ps", "-aq")
}

func TestCLICreateStartKill(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok(nil, "create", "--name", "c", "busybox", "sh", "-c", "echo out; exit 3"))
	if out := e.ok(nil, "ps", "-a"); !strings.Contains(out, "Created") {
		t.Errorf("ps -a after create:\n%s", out)
	}
	e.expect(3, "out\n", "start", "-a", "c")
	e.expect(0, "out\n", "logs", "-f", "c") // ends: the container has exited
	e.expect(0, "c\n", "rm", "c")
	e.ok(nil, "create", "--name", "k", "busybox", "sleep", "30")
	e.expect(0, "k\n", "start", "k")
	e.expect(0, "k\n", "kill", "k")
	waitFor(t, "exit after kill", func() bool { return strings.Contains(e.ok(nil, "ps", "-a"), "Exited (137)") })
	e.expect(0, "k\n", "rm", "k")
	if out := e.ok(nil, "ps", "-aq", "--no-trunc"); strings.Contains(out, id) {
		t.Errorf("ps -aq after rm lists %s", id)
	}
}

func TestCLISignalProxy(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := e.cmd(ctx, "run", "--rm", "busybox", "sh", "-c", `trap "echo got ALRM" ALRM; trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.05; done`)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	if line, err := r.ReadString('\n'); line != "ready\n" {
		t.Fatalf("first line %q, %v; want ready", line, err)
	}
	// A signal users rarely send is forwarded too, once subscribed
	// (rareSignalsAfter after the start; unsubscribed, it would kill
	// the CLI).
	time.Sleep(100*rareSignalsAfter + 500*time.Millisecond)
	c.Process.Signal(syscall.SIGALRM)
	if line, err := r.ReadString('\n'); line != "got ALRM\n" {
		t.Fatalf("after SIGALRM to the CLI: %q, %v; want \"got ALRM\\n\"", line, err)
	}
	c.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(r)
	err = c.Wait()
	if string(rest) != "got TERM\n" || c.ProcessState.ExitCode() != 3 {
		t.Errorf("after SIGTERM to the CLI: output %q, exit %d (%v); want \"got TERM\\n\", 3", rest, c.ProcessState.ExitCode(), err)
	}
}

func TestCLIVolumes(t *testing.T) {
	e := newEnv(t)
	e.expect(0, "v\n", "volume", "create", "v")
	e.expect(0, "", "run", "--rm", "-v", "v:/data", "busybox", "sh", "-c", "echo x > /data/f")
	e.expect(0, "x\n", "run", "--rm", "-v", "v:/data:ro", "busybox", "cat", "/data/f")
	e.expect(1, "", "run", "--rm", "-v", "v:/data:ro", "busybox", "touch", "/data/g")
	if out := e.ok(nil, "volume", "ls"); !strings.Contains(out, "DRIVER") || !strings.Contains(out, "local") || !strings.HasSuffix(out, " v\n") {
		t.Errorf("volume ls:\n%s", out)
	}
	e.expect(0, "v\n", "volume", "ls", "-q")
	// A bind mount and a tmpfs.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "h"), []byte("host\n"), 0o644)
	e.expect(0, "host\n", "run", "--rm", "-v", dir+":/h:ro", "busybox", "cat", "/h/h")
	e.expect(0, "tmpfs\n", "run", "--rm", "--tmpfs", "/scratch", "busybox", "sh", "-c", "grep ' /scratch ' /proc/mounts | cut -d' ' -f3")
	e.expect(0, "v\n", "volume", "rm", "v")
	e.expect(0, "", "volume", "ls", "-q")
	// Labels, shown and filtered on.
	e.expect(0, "lab\n", "volume", "create", "--label", "app=db", "--label", "tier", "lab")
	e.expect(0, `{"app":"db","tier":""}`+"\n", "volume", "inspect", "--format", "{{json .Labels}}", "lab")
	e.expect(0, "db\n", "volume", "ls", "--format", `{{.Label "app"}}`)
	e.expect(0, "lab\n", "volume", "rm", "lab")
}

// Anonymous volumes: -v /path makes one, rm keeps it, rm -v and run --rm
// (attached or detached) remove it, named volumes stay, volume prune
// removes the unused anonymous ones.
func TestCLIAnonymousVolumes(t *testing.T) {
	e := newEnv(t)
	anon := regexp.MustCompile(`^[0-9a-f]{64}$`)
	volumes := func() []string { return strings.Fields(e.ok(nil, "volume", "ls", "-q")) }

	id := strings.TrimSpace(e.ok(nil, "create", "-v", "/data", "-v", "named:/named", "busybox", "sh", "-c", "echo x > /data/f"))
	vols := volumes()
	if len(vols) != 2 || !anon.MatchString(vols[0]) || vols[1] != "named" {
		t.Fatalf("volume ls -q after create -v /data -v named:/named: %q, want an anonymous volume and named", vols)
	}
	if out := e.ok(nil, "inspect", "-f", `{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}};{{end}}`, id); out != "volume "+vols[0]+" /data;volume named /named;\n" {
		t.Errorf("inspect shows no anonymous volume at /data:\n%s", out)
	}
	e.ok(nil, "start", "-a", id)
	e.ok(nil, "rm", id)
	if got := volumes(); len(got) != 2 {
		t.Errorf("volume ls -q after rm: %q, want both volumes kept", got)
	}
	var anonymous string
	for _, v := range vols {
		if v != "named" {
			anonymous = v
		}
	}
	// As docker: the names, a blank line, the bytes the volume's files held
	// ("x\n").
	e.expect(0, "Deleted Volumes:\n"+anonymous+"\n\nTotal reclaimed space: 2B\n", "volume", "prune", "-f")
	e.expect(0, "named\n", "volume", "ls", "-q")

	id = strings.TrimSpace(e.ok(nil, "create", "-v", "/data", "-v", "named:/named", "busybox", "true"))
	e.ok(nil, "rm", "-v", id)
	e.expect(0, "named\n", "volume", "ls", "-q")
	e.expect(0, "", "run", "--rm", "-v", "/data", "-v", "named:/named", "busybox", "true")
	e.expect(0, "named\n", "volume", "ls", "-q")
	id = strings.TrimSpace(e.ok(nil, "run", "-d", "--rm", "-v", "/data", "busybox", "true"))
	waitFor(t, "detached --rm container and its volume removed", func() bool {
		return !strings.Contains(e.ok(nil, "ps", "-a", "-q", "--no-trunc"), id) && len(volumes()) == 1
	})
	e.expect(0, "named\n", "volume", "ls", "-q")

	// prune: unused anonymous volumes by default, every unused one with -a.
	e.ok(nil, "volume", "create")
	id = strings.TrimSpace(e.ok(nil, "create", "-v", "/data", "busybox", "true"))
	if got := volumes(); len(got) != 3 {
		t.Fatalf("volume ls -q: %q, want 3 volumes", got)
	}
	out := e.ok(nil, "volume", "prune")
	if lines := strings.Split(out, "\n"); len(lines) != 5 || lines[0] != "Deleted Volumes:" || !anon.MatchString(lines[1]) || lines[2] != "" || lines[3] != "Total reclaimed space: 0B" {
		t.Errorf("volume prune:\n%s\nwant the one unused anonymous volume", out)
	}
	if got := volumes(); len(got) != 2 {
		t.Errorf("volume ls -q after prune: %q, want named and the used anonymous volume", got)
	}
	e.ok(nil, "rm", id)
	if out := e.ok(nil, "volume", "prune", "-a"); !strings.Contains(out, "\nnamed\n") || strings.Count(out, "\n") != 5 || !strings.HasSuffix(out, "\n\nTotal reclaimed space: 0B\n") {
		t.Errorf("volume prune -a:\n%s\nwant named and the anonymous volume", out)
	}
	e.expect(0, "", "volume", "ls", "-q")
	e.expect(0, "Total reclaimed space: 0B\n", "volume", "prune", "-a")
}

// TestCLIImagesFilter checks docker images [REPOSITORY[:TAG]]: the rows of
// the tags of that repository (normalized as docker does, or a wildcard
// pattern), and of that tag when one is given; -q prints the image's ID
// on each of its rows.
func TestCLIImagesFilter(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "tag", "busybox", "mine:v1")
	e.ok(nil, "tag", "busybox", "mine:v2")
	e.ok(nil, "tag", "busybox", "localhost:5000/mine:v1")
	rows := func(args ...string) []string {
		out := e.ok(nil, append([]string{"images"}, args...)...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if !strings.HasPrefix(lines[0], "REPOSITORY ") {
			t.Fatalf("images %q: no header:\n%s", args, out)
		}
		var got []string
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			got = append(got, f[0]+":"+f[1])
		}
		slices.Sort(got)
		return got
	}
	for _, tc := range []struct {
		arg  string
		want []string
	}{
		{"mine", []string{"mine:v1", "mine:v2"}},
		{"mine:v1", []string{"mine:v1"}},
		{"docker.io/library/mine:v2", []string{"mine:v2"}},
		{"localhost:5000/mine", []string{"localhost:5000/mine:v1"}},
		{"busybox", []string{"busybox:latest"}},
		{"mi*", []string{"mine:v1", "mine:v2"}},
		{"*/mine:v1", []string{"localhost:5000/mine:v1"}},
		{"mine:v3", nil},
		{"nosuch", nil},
	} {
		if got := rows(tc.arg); !slices.Equal(got, tc.want) {
			t.Errorf("images %s = %q, want %q", tc.arg, got, tc.want)
		}
	}
	// -q prints an ID per row: the image's, once per tag, as docker.
	id := strings.Fields(e.ok(nil, "images", "-q"))
	if len(id) != 4 || id[1] != id[0] || id[2] != id[0] || id[3] != id[0] {
		t.Fatalf("images -q = %q, want one ID four times", id)
	}
	e.expect(0, id[0]+"\n"+id[0]+"\n", "images", "-q", "mine")
	e.expect(0, id[0]+"\n", "images", "-q", "busybox:latest")
	e.expect(0, "", "images", "-q", "busybox:nosuch")
	if _, errOut, code := e.dock(nil, "images", "mine", "other"); code == 0 || !strings.Contains(errOut, "at most 1 argument") {
		t.Errorf("images with two arguments: exit %d, %q; want a usage error", code, errOut)
	}
	if _, errOut, code := e.dock(nil, "images", "Bad:Ref:x"); code == 0 || !strings.Contains(errOut, "Bad:Ref:x") {
		t.Errorf("images Bad:Ref:x: exit %d, %q; want an error naming it", code, errOut)
	}
}

func TestCLIImages(t *testing.T) {
	e := newEnv(t)
	out := e.ok(nil, "images")
	if !regexp.MustCompile(`^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+[0-9a-f]{12}\s+.+ ago\s+[0-9.]+[kM]B\n$`).MatchString(out) {
		t.Errorf("images:\n%s", out)
	}
	e.ok(nil, "tag", "busybox", "mine:v1")
	if out := e.ok(nil, "images"); !strings.Contains(out, "mine ") || !strings.Contains(out, "v1") {
		t.Errorf("images after tag:\n%s", out)
	}
	if ids := strings.Fields(e.ok(nil, "images", "-q")); len(ids) != 2 || ids[0] != ids[1] {
		t.Errorf("images -q = %q, want one ID twice, once per tag", ids)
	}
	e.expect(0, "Untagged: mine:v1\n", "rmi", "mine:v1")
	// An image used by a container is kept.
	e.ok(nil, "create", "--name", "c", "busybox", "true")
	if _, errOut, code := e.dock(nil, "rmi", "busybox"); code != 1 || !strings.HasPrefix(errOut, "dock: ") {
		t.Errorf("rmi of an image in use: exit %d, %q; want 1", code, errOut)
	}
	e.ok(nil, "rm", "c")
	if out := e.ok(nil, "rmi", "busybox"); !strings.Contains(out, "Untagged: busybox:latest") || !strings.Contains(out, "Deleted: sha256:") {
		t.Errorf("rmi busybox = %q", out)
	}
	e.expect(0, "", "images", "-q")
	// Import from a gzip file, with a default command.
	f := filepath.Join(t.TempDir(), "rootfs.tar.gz")
	os.WriteFile(f, testutil.Gzip(t, testutil.BusyboxTar(t)), 0o644)
	e.ok(nil, "import", "--change", `CMD ["echo", "default"]`, f, "gz:1")
	e.expect(0, "default\n", "run", "--rm", "gz:1")
}

// ptyRun is what runInPty saw.
type ptyRun struct {
	out           string
	code          int
	before, after *unix.Termios // the terminal's modes
}

// runInPty runs the CLI with a new terminal of rows x cols as its stdio
// and controlling terminal, writes input once the output contains after,
// and returns what it printed and its exit code.
func (e *env) runInPty(rows, cols uint16, after, input string, args ...string) ptyRun {
	e.t.Helper()
	master, tty := testutil.OpenPty(e.t, rows, cols)
	var r ptyRun
	var err error
	// On a pty master, the termios calls reach the terminal's (slave's).
	if r.before, err = unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := e.cmd(ctx, args...)
	c.Stdin, c.Stdout, c.Stderr = tty, tty, tty
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	// Only the CLI holds the terminal now: the master reads EIO once it
	// and the container are gone.
	tty.Close()
	out, readDone := testutil.ReadInBackground(master)
	if input != "" {
		waitFor(e.t, fmt.Sprintf("%q in the output", after), func() bool {
			return strings.Contains(out.String(), after)
		})
		master.Write([]byte(input))
	}
	c.Wait()
	r.code = c.ProcessState.ExitCode()
	r.after, _ = unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	<-readDone
	r.out = out.String()
	return r
}

func TestCLITty(t *testing.T) {
	e := newEnv(t)
	// Without -i the local terminal stays in its mode, as with docker: its
	// output processing adds a second \r to the container terminal's \r\n.
	// The terminal has its size from the start (Container.TtySize).
	// The terminal is the container's own /dev/pts/0, as with docker.
	r := e.runInPty(30, 100, "", "", "run", "--rm", "-t", "busybox", "sh", "-c", "tty; stty size")
	if r.code != 0 || !regexp.MustCompile(`^/dev/pts/0\r+\n30 100\r+\n$`).MatchString(r.out) {
		t.Errorf("run -t tty; stty size = %q, exit %d; want /dev/pts/0 and 30 100", r.out, r.code)
	}
	// -it: the keys reach the container's terminal, which echoes them; the
	// local terminal is raw meanwhile, and restored at the end.
	r = e.runInPty(24, 80, "ready", "abc\r", "run", "--rm", "-it", "busybox", "sh", "-c", "echo ready; read x; echo got $x; exit 4")
	if r.code != 4 || r.out != "ready\r\nabc\r\ngot abc\r\n" {
		t.Errorf("run -it read = %q, exit %d; want ready, the echo of abc, got abc, exit 4", r.out, r.code)
	}
	if r.after == nil || r.after.Lflag != r.before.Lflag || r.after.Iflag != r.before.Iflag || r.after.Oflag != r.before.Oflag {
		t.Errorf("terminal modes after run -it = %+v, want them restored to %+v", r.after, r.before)
	}
	// Without a terminal, -it is refused before anything runs.
	if _, errOut, code := e.dock([]byte{}, "run", "--rm", "-it", "busybox", "true"); code != 1 || !strings.Contains(errOut, "not a TTY") {
		t.Errorf("run -it without a terminal: exit %d, %q; want 1, not a TTY", code, errOut)
	}
	// exec -t: a new terminal in the container's devpts, /dev/pts/0 in a
	// container without one, as with docker, of the local terminal's size.
	e.ok(nil, "run", "-d", "--name", "ttyexec", "busybox", "sleep", "60")
	r = e.runInPty(25, 90, "", "", "exec", "-t", "ttyexec", "sh", "-c", "tty; stty size")
	if r.code != 0 || !regexp.MustCompile(`^/dev/pts/0\r+\n25 90\r+\n$`).MatchString(r.out) {
		t.Errorf("exec -t tty; stty size = %q, exit %d; want /dev/pts/0 and 25 90", r.out, r.code)
	}
	r = e.runInPty(24, 80, "ready", "xyz\r", "exec", "-it", "ttyexec", "sh", "-c", "echo ready; read x; echo got $x; exit 3")
	if r.code != 3 || r.out != "ready\r\nxyz\r\ngot xyz\r\n" {
		t.Errorf("exec -it read = %q, exit %d; want ready, the echo of xyz, got xyz, exit 3", r.out, r.code)
	}
	e.ok(nil, "rm", "-f", "ttyexec")
}

// save, then load into another state directory, then run from it.
func TestCLISaveLoad(t *testing.T) {
	e := newEnv(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	e.expect(0, "", "save", "-o", archive, "busybox")
	other := newEnv(t)
	other.expect(0, "Loaded image: busybox:latest\n", "load", "-i", archive)
	other.expect(0, "hi\n", "run", "--rm", "busybox", "echo", "hi")
	e.expect(0, "Total reclaimed space: 0B\n", "image", "prune")
}

// The CLI raises its own timer slack (timerslack.c); its containers get
// the kernel's usual 50 µs, attached (prespawned init) or detached (the
// monitor's init).
func TestCLIContainerTimerSlack(t *testing.T) {
	e := newEnv(t)
	e.expect(0, "50000\n", "run", "--rm", "busybox", "cat", "/proc/self/timerslack_ns")
	id := strings.TrimSpace(e.ok(nil, "run", "-d", "busybox", "cat", "/proc/self/timerslack_ns"))
	waitFor(t, "the detached container's exit", func() bool { return strings.Contains(e.ok(nil, "ps", "-a"), "Exited (0)") })
	e.expect(0, "50000\n", "logs", id)
	// The CLI itself runs with 1 ms.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := e.cmd(ctx, "run", "--rm", "busybox", "sh", "-c", "echo ready; sleep 5")
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Wait()
	defer c.Process.Kill()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("first line %q, %v; want ready", line, err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/timerslack_ns", c.Process.Pid))
	if err != nil || string(b) != "1000000\n" {
		t.Errorf("the CLI's timer slack: %q, %v; want 1000000", b, err)
	}
}

// Only run and start have a prespawned init (prespawn_filter.c): a
// long-running logs -f has no child (it had one, idle, without the
// filter); a run has its container's init.
func TestCLIPrespawnOnlyForRun(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok(nil, "run", "-d", "busybox", "sleep", "30"))
	children := func(c *exec.Cmd) string {
		var all []string
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", c.Process.Pid))
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			all = append(all, strings.Fields(string(b))...)
		}
		return strings.Join(all, " ")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		args  []string
		child bool
	}{
		{[]string{"logs", "-f", id}, false},
		{[]string{"--root=" + e.root, "logs", "-f", id}, false}, // the global flag again: skipped
		{[]string{"run", "--rm", "busybox", "sleep", "30"}, true},
	} {
		c := e.cmd(ctx, tc.args...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// Long enough for a prespawned init to be forked.
		time.Sleep(300 * time.Millisecond)
		got := children(c)
		c.Process.Kill()
		c.Wait()
		if (got != "") != tc.child {
			t.Errorf("dock %v: children %q; want a child: %v", tc.args, got, tc.child)
		}
	}
}
