package prespawn_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/nettest"
	"github.com/go-dock/dock/internal/testutil"
	_ "github.com/go-dock/dock/prespawn"
)

// The tests run in a network namespace of their own, with a private /run
// (bridge networks).
func TestMain(m *testing.M) { nettest.Main(m) }

// A process has one prespawned init: each case runs in a new process of
// this test binary (TestHelperPrespawned), which the case's subtest
// starts and whose result it reports.
func TestPrespawned(t *testing.T) {
	testutil.RequireRoot(t)
	for _, name := range []string{"attached", "tty", "host-network", "not-found", "userns", "clean-slate", "file-stdin", "bridge", "bridge-port-taken"} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPrespawned$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "DOCK_PRESPAWN_CASE="+name)
			if name == "clean-slate" {
				// Started with an extra descriptor and SIGHUP ignored:
				// the init must not pass them on.
				extra, err := os.Open(os.DevNull)
				require.NoError(t, err)
				defer extra.Close()
				cmd.ExtraFiles = []*os.File{extra}
				signal.Ignore(syscall.SIGHUP)
				defer signal.Reset(syscall.SIGHUP)
			}
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "case %s:\n%s", name, out)
			require.Contains(t, string(out), "--- PASS: TestHelperPrespawned", "the case must have run:\n%s", out)
		})
	}
}

// TestHelperPrespawned is a case of TestPrespawned when the environment
// names one, and nothing otherwise (the os/exec helper-process pattern).
func TestHelperPrespawned(t *testing.T) {
	name := os.Getenv("DOCK_PRESPAWN_CASE")
	if name == "" {
		return
	}
	pre := waitingInit(t)
	ctx := context.Background()
	e, err := dock.Open(t.TempDir())
	require.NoError(t, err)
	defer e.Close()
	_, err = e.ImportDir(ctx, testutil.BusyboxRootfs(t), "busybox", dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}}))
	require.NoError(t, err)

	cfg := dock.Config{Image: "busybox", Cmd: []string{"sh", "-c", "read x; echo out$x; echo err >&2; exit 7"}}
	stdin := strings.NewReader("put\n")
	var stdinFile *os.File
	var stdout, stderr bytes.Buffer
	switch name {
	case "tty":
		cfg.Tty = true
		cfg.Cmd = []string{"sh", "-c", "test -t 0 && test -t 1 && echo on a tty; exit 7"}
		stdin = nil
	case "host-network":
		cfg.Network = "host"
	case "not-found":
		cfg.Cmd = []string{"/nonexistent"}
	case "clean-slate":
		// What the test process had when it started (and so the
		// prespawned init, forked then) does not reach the container:
		// its descriptors, ignored and blocked signals.
		cfg.Cmd = []string{"sh", "-c", "read x; echo out$x; ls /proc/self/fd >&2; grep -E '^Sig(Blk|Ign)' /proc/self/status >&2; exit 7"}
	case "file-stdin":
		// A file as stdin is copied through a pipe, never handed over
		// with the plan: the container could reopen it through
		// /proc/self/fd/0.
		f, err := os.CreateTemp(t.TempDir(), "stdin")
		require.NoError(t, err)
		_, err = f.WriteString("put\n")
		require.NoError(t, err)
		_, err = f.Seek(0, 0)
		require.NoError(t, err)
		defer f.Close()
		defer func() { assert.Equal(t, "put\n", readFile(t, f.Name()), "the host file is unchanged") }()
		cfg.Cmd = []string{"sh", "-c", "read x; echo out$x; readlink /proc/self/fd/0 | cut -c1-5 >&2; echo pwned > /proc/self/fd/0; exit 7"}
		stdinFile = f
	case "bridge", "bridge-port-taken":
		// The bridge is up (another container keeps it): the start
		// makes the pair in the prespawned init's namespace while it
		// reserves the addresses, and the init configures it.
		keep, err := e.Create(ctx, dock.Config{Image: "busybox", Network: "bridge", Cmd: []string{"sleep", "600"}})
		require.NoError(t, err)
		require.NoError(t, keep.StartDetached(ctx))
		defer keep.Remove(ctx, dock.RemoveForce())
		cfg.Network = "bridge"
		cfg.Ports = []dock.PortMapping{{ContainerPort: 80}}
		cfg.Cmd = []string{"sh", "-c", "read x; echo out$x; cat /sys/class/net/eth0/operstate >&2; exit 7"}
		if name == "bridge-port-taken" {
			l, err := net.Listen("tcp", "0.0.0.0:8097")
			require.NoError(t, err)
			defer l.Close()
			cfg.Ports[0].HostPort = 8097
		}
	case "userns":
		// The engine's root must be reachable by the mapped root.
		for d := e.Root(); d != "/" && d != "."; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
				os.Chmod(d, fi.Mode().Perm()|0o011)
			}
		}
		maps := []dock.IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
		cfg.UIDMap, cfg.GIDMap = maps, maps
		cfg.Cmd = []string{"sh", "-c", "read x; echo out$x; id -u >&2; stat -c %u /bin/busybox >&2; exit 7"}
	}
	c, err := e.Create(ctx, cfg)
	require.NoError(t, err)
	defer c.Remove(ctx, dock.RemoveForce())
	if stdin != nil {
		c.Stdin = stdin
	}
	if stdinFile != nil {
		c.Stdin = stdinFile
	}
	c.Stdout, c.Stderr = &stdout, &stderr
	links := linkCount(t)
	err = c.Start(ctx)
	if name == "bridge-port-taken" {
		require.ErrorContains(t, err, "Bind for 0.0.0.0:8097 failed: port is already allocated")
		// Taken and killed: it goes, and its pair (if made) with its
		// namespace (the kernel tears it down a moment later).
		assert.NoDirExists(t, "/proc/"+strconv.Itoa(pre))
		for i := 0; i < 200 && linkCount(t) != links; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		assert.Equal(t, links, linkCount(t), "the discarded init's pair is gone")
		return
	}
	if name == "not-found" {
		var se *dock.StartError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 127, se.Code)
		// Taken, failed, and reaped.
		assert.NoDirExists(t, "/proc/"+strconv.Itoa(pre))
		return
	}
	require.NoError(t, err)
	st, err := c.State(ctx)
	require.NoError(t, err)
	if name == "host-network" {
		// Not in the namespaces asked for: a new init ran, this one
		// still waits.
		assert.NotEqual(t, pre, st.Pid)
	} else {
		assert.Equal(t, pre, st.Pid, "the container's init is the prespawned one")
	}
	exit, err := c.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, exit.Code)
	switch name {
	case "tty":
		assert.Equal(t, "on a tty\r\n", stdout.String())
	case "clean-slate":
		assert.Equal(t, "output\n", stdout.String())
		assert.Equal(t, "0\n1\n2\n3\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n", stderr.String())
	case "file-stdin":
		assert.Equal(t, "output\n", stdout.String())
		assert.Equal(t, "pipe:\n", stderr.String())
	case "bridge":
		assert.Equal(t, "output\n", stdout.String())
		assert.Equal(t, "up\n", stderr.String())
	case "userns":
		// Root in the container, and the image's files owned by it
		// (idmapped layers).
		assert.Equal(t, "output\n", stdout.String())
		assert.Equal(t, "0\n0\n", stderr.String())
	default:
		assert.Equal(t, "output\n", stdout.String())
		assert.Equal(t, "err\n", stderr.String())
	}
	if name == "host-network" {
		assert.Equal(t, []string{"3"}, fds(t, pre), "still waiting, untouched")
	} else {
		assert.NoDirExists(t, "/proc/"+strconv.Itoa(pre), "reaped")
	}
}

// linkCount is the number of links in this thread's network namespace
// (/sys/class/net would show the sysfs mount's).
func linkCount(t *testing.T) int {
	t.Helper()
	dev, err := os.ReadFile("/proc/thread-self/net/dev")
	require.NoError(t, err)
	return strings.Count(string(dev), "\n") - 2 // two lines of headers
}

// waitingInit finds the prespawned init among this process's children: in
// other namespaces than this process, holding its sync socket only.
func waitingInit(t *testing.T) int {
	t.Helper()
	var found []int
	deadline := time.Now().Add(5 * time.Second)
	ourMnt, err := os.Readlink("/proc/self/ns/mnt")
	require.NoError(t, err)
	for len(found) == 0 && time.Now().Before(deadline) {
		for _, pid := range children(t) {
			stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil || strings.Contains(string(stat), ") Z ") {
				continue // the zygote, exited
			}
			// The zygote, not yet exited, is still in our namespaces; the
			// init, just cloned, may not have closed its descriptors yet.
			mnt, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/mnt")
			if err != nil || mnt == ourMnt || !slices.Equal(fds(t, pid), []string{"3"}) {
				continue
			}
			found = append(found, pid)
		}
		if len(found) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	require.Len(t, found, 1, "one prespawned init")
	pid := found[0]
	for _, ns := range []string{"mnt", "pid_for_children", "uts", "ipc", "net"} {
		ours, err := os.Readlink("/proc/self/ns/" + ns)
		require.NoError(t, err)
		its, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + nsOf(ns))
		require.NoError(t, err)
		assert.NotEqual(t, ours, its, "namespace %s", ns)
	}
	assert.Equal(t, []string{"3"}, fds(t, pid), "only the sync socket is open")
	return pid
}

// nsOf is the namespace file of a process that is its PID namespace's
// init: its own pid namespace is the new one.
func nsOf(ns string) string {
	if ns == "pid_for_children" {
		return "pid"
	}
	return ns
}

func children(t *testing.T) []int {
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	require.NoError(t, err)
	var pids []int
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		require.NoError(t, err)
		for _, s := range strings.Fields(string(b)) {
			n, err := strconv.Atoi(s)
			require.NoError(t, err)
			pids = append(pids, n)
		}
	}
	return pids
}

func fds(t *testing.T, pid int) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}
