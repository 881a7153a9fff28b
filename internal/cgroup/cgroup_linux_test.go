package cgroup

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const helperEnv = "DOCK_CGROUP_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "hog" {
		hog()
		return
	}
	code := m.Run()
	// Each test asserts that its own cgroup is gone; the shared parent is
	// removed best-effort (another test binary may be using it).
	if os.Geteuid() == 0 {
		if mgr, err := testParent(); err == nil {
			_ = mgr.Destroy()
		}
	}
	os.Exit(code)
}

// hog waits for a byte on stdin (sent once it is in the cgroup), then
// allocates and touches 64 MiB.
func hog() {
	var b [1]byte
	if _, err := os.Stdin.Read(b[:]); err != nil {
		os.Exit(3)
	}
	mem := make([]byte, 64<<20)
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 1
	}
	fmt.Println("survived", len(mem))
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("cgroup tests need root, and CI=true")
		}
		t.Skip("skipping: creating cgroups needs root")
	}
	if DetectMode() == Unknown {
		t.Skip("skipping: no cgroup filesystem at /sys/fs/cgroup")
	}
}

func requireV1(t testing.TB) {
	t.Helper()
	requireRoot(t)
	if m := DetectMode(); m != Legacy && m != Hybrid {
		t.Skipf("skipping: cgroup v1 test, this host is %v", m)
	}
}

func requireMode(t testing.TB, want Mode) {
	t.Helper()
	requireRoot(t)
	if m := DetectMode(); m != want {
		t.Skipf("skipping: needs a %v cgroup host, this one is %v", want, m)
	}
}

func randomName(t testing.TB) string {
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return "dock-test/" + hex.EncodeToString(b)
}

// testParent is a Manager for the shared parent "dock-test" (not created).
func testParent() (Manager, error) { return Load("dock-test") }

// dirsOf lists every directory of m.
func dirsOf(m Manager) []string {
	switch m := m.(type) {
	case *v1Manager:
		return m.allDirs()
	case *v2Manager:
		return []string{m.dir}
	}
	return nil
}

// dirFor is the directory holding ctrl's files.
func dirFor(m Manager, ctrl string) string {
	switch m := m.(type) {
	case *v1Manager:
		return m.dirs[ctrl]
	case *v2Manager:
		return m.dir
	}
	return ""
}

func requireGone(t testing.TB, dirs []string) {
	t.Helper()
	for _, d := range dirs {
		_, err := os.Stat(d)
		require.ErrorIs(t, err, fs.ErrNotExist, "cgroup dir %s still exists", d)
	}
}

// newTest creates a cgroup for t and registers a cleanup that kills,
// destroys and checks that no directory is left.
func newTest(t testing.TB, r Resources) Manager {
	t.Helper()
	m, err := New(randomName(t), r)
	require.NoError(t, err)
	dirs := dirsOf(m)
	require.NotEmpty(t, dirs)
	t.Cleanup(func() {
		if err := m.Kill(); !errors.Is(err, fs.ErrNotExist) { // the test may have destroyed it
			require.NoError(t, err)
		}
		require.NoError(t, m.Destroy())
		requireGone(t, dirs)
	})
	return m
}

// startWaiting starts `sh -c script` with a pipe on stdin; the script
// should begin with `read x` so that it runs on only once added to the
// cgroup and released with release.
func startWaiting(t testing.TB, script string) (cmd *exec.Cmd, release func(), out *bytes.Buffer) {
	t.Helper()
	cmd = exec.Command("/bin/sh", "-c", script)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	out = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, func() { _, _ = io.WriteString(stdin, "go\n"); _ = stdin.Close() }, out
}

func swapAccounting(t testing.TB, m Manager) bool {
	switch m := m.(type) {
	case *v1Manager:
		_, err := os.Stat(filepath.Join(m.dirs["memory"], "memory.memsw.limit_in_bytes"))
		return err == nil
	case *v2Manager:
		_, err := os.Stat(filepath.Join(m.dir, "memory.swap.max"))
		return err == nil
	}
	return false
}

func TestDetectMode(t *testing.T) {
	m := DetectMode()
	require.Equal(t, m, DetectMode())
	t.Logf("cgroup mode: %v", m)
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		require.Equal(t, Unified, m)
	} else if _, err := os.Stat("/sys/fs/cgroup/unified/cgroup.controllers"); err == nil {
		require.Equal(t, Hybrid, m)
	}
}

func TestLifecycle(t *testing.T) {
	requireRoot(t)
	r := Resources{
		Memory:            64 << 20,
		MemoryReservation: 32 << 20,
		CPUQuota:          50000,
		CPUPeriod:         100000,
		CPUShares:         512,
		CpusetCpus:        "0",
		CpusetMems:        "0",
		PIDs:              50,
		Devices:           DefaultDevices(),
	}
	m := newTest(t, r)
	require.True(t, strings.HasPrefix(m.Path(), "dock-test/"), "Path() = %q", m.Path())
	if swapAccounting(t, m) {
		r.MemorySwap = 128 << 20
		require.NoError(t, m.Apply(r))
	}

	// Every limit reads back as written.
	var writes []write
	if _, ok := m.(*v1Manager); ok {
		writes = v1Writes(r, 1<<62)
	} else {
		writes = v2Writes(r)
	}
	for _, w := range writes {
		if w.ctrl == "devices" {
			continue
		}
		got, err := readFile(dirFor(m, w.ctrl), w.file)
		require.NoError(t, err)
		require.Equal(t, w.value, got, "%s", w.file)
	}
	if m, ok := m.(*v1Manager); ok {
		list, err := readFile(m.dirs["devices"], "devices.list")
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
			"c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"}, strings.Split(list, "\n"))
	}

	cmd, release, _ := startWaiting(t, "read x; exec sleep 100")
	pid := cmd.Process.Pid
	require.NoError(t, m.AddProc(pid))
	release()
	procs, err := m.Procs()
	require.NoError(t, err)
	require.Contains(t, procs, pid)

	var st Stats
	_, err = poll(5*time.Second, func() (bool, error) {
		st, err = m.Stats()
		return st.Memory.Usage > 0, err
	})
	require.NoError(t, err)
	t.Logf("stats: %+v", st)
	require.GreaterOrEqual(t, st.PIDs.Current, uint64(1))
	require.Equal(t, uint64(50), st.PIDs.Limit)
	require.Positive(t, st.Memory.Usage)
	require.Equal(t, uint64(64<<20), st.Memory.Limit)

	require.NoError(t, m.Freeze())
	if v1, ok := m.(*v1Manager); ok {
		state, err := readFile(v1.dirs["freezer"], "freezer.state")
		require.NoError(t, err)
		require.Equal(t, "FROZEN", state)
	} else {
		frozen, err := m.(*v2Manager).frozen(true)
		require.NoError(t, err)
		require.True(t, frozen)
	}
	require.NoError(t, m.Freeze(), "Freeze of a frozen cgroup")
	require.NoError(t, m.Thaw())

	oom, err := m.OOMKilled()
	require.NoError(t, err)
	require.False(t, oom)

	require.NoError(t, m.Kill())
	requireKilled(t, cmd.Wait())
	procs, err = m.Procs()
	require.NoError(t, err)
	require.Empty(t, procs)

	dirs := dirsOf(m)
	require.NoError(t, m.Destroy())
	requireGone(t, dirs)
	require.NoError(t, m.Destroy(), "second Destroy")
}

func requireKilled(t testing.TB, err error) {
	t.Helper()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	ws, ok := ee.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled(), "exit status %v", ws)
	require.Equal(t, syscall.SIGKILL, ws.Signal())
}

func TestOOM(t *testing.T) {
	requireRoot(t)
	r := Resources{Memory: 16 << 20}
	m := newTest(t, r)
	if swapAccounting(t, m) { // or the hog would swap instead of dying
		r.MemorySwap = 16 << 20
		require.NoError(t, m.Apply(r))
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=hog")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	require.NoError(t, m.AddProc(cmd.Process.Pid))
	oom, err := m.OOMKilled()
	require.NoError(t, err)
	require.False(t, oom, "OOMKilled before the hog ran")

	_, err = stdin.Write([]byte{1})
	require.NoError(t, err)
	requireKilled(t, cmd.Wait())
	require.NotContains(t, out.String(), "survived")
	oom, err = m.OOMKilled()
	require.NoError(t, err)
	require.True(t, oom, "OOMKilled after the hog was killed")
}

func TestPIDsLimit(t *testing.T) {
	requireRoot(t)
	m := newTest(t, Resources{PIDs: 5})
	// dash gives up at the first failed fork ("Cannot fork"), so the
	// failures are counted by the kernel, in pids.events.
	cmd, release, out := startWaiting(t, "read x; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 5 >/dev/null 2>&1 & done; wait")
	require.NoError(t, m.AddProc(cmd.Process.Pid))
	release()
	err := cmd.Wait()
	require.Error(t, err, "a shell forking 20 children under pids.max 5 exited cleanly; output %q", out)
	require.Contains(t, strings.ToLower(out.String()), "fork")
	events, err := readKeyed(dirFor(m, "pids"), "pids.events")
	require.NoError(t, err)
	require.Positive(t, events["max"], "pids.events")
	st, err := m.Stats()
	require.NoError(t, err)
	require.LessOrEqual(t, st.PIDs.Current, uint64(5))
	procs, err := m.Procs()
	require.NoError(t, err)
	t.Logf("fork failures (pids.events max): %d; sleeps running: %d", events["max"], len(procs))
	require.Len(t, procs, 4, "the shell had 5 tasks at most, the 4 sleeps remain") // killed by the cleanup
}

func TestDevices(t *testing.T) {
	requireRoot(t)
	m := newTest(t, Resources{Devices: []DeviceRule{
		{Type: 'a', Major: -1, Minor: -1, Access: "rwm"},
		{Allow: true, Type: 'c', Major: 1, Minor: 3, Access: "rwm"}, // /dev/null only
	}})
	cmd, release, out := startWaiting(t, `read x; echo hi > /dev/null && echo null-ok
if head -c1 /dev/zero >/dev/null 2>&1; then echo zero-ok; else echo zero-denied; fi`)
	require.NoError(t, m.AddProc(cmd.Process.Pid))
	release()
	require.NoError(t, cmd.Wait())
	require.Equal(t, "null-ok\nzero-denied\n", out.String())
}

func TestNewExistsAndLoad(t *testing.T) {
	requireRoot(t)
	m := newTest(t, Resources{})
	_, err := New(m.Path(), Resources{})
	require.ErrorIs(t, err, fs.ErrExist)
	for _, d := range dirsOf(m) {
		require.DirExists(t, d, "the failed New touched the existing cgroup")
	}
	l, err := Load(m.Path())
	require.NoError(t, err)
	require.Equal(t, m.Path(), l.Path())
	require.Equal(t, dirsOf(m), dirsOf(l))
	_, err = l.Procs()
	require.NoError(t, err)

	_, err = Load(randomName(t))
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = New("../escape", Resources{})
	require.Error(t, err)
	_, err = New(randomName(t), Resources{Memory: 1})
	require.ErrorIs(t, err, ErrInvalid)
}

func TestNewRollbackV1(t *testing.T) {
	requireV1(t)
	if cpus, _ := onlineCPUs(); !cpus[0] || !cpus[1] {
		t.Skip("skipping: needs CPUs 0 and 1")
	}
	// A parent restricted to CPU 0: the kernel refuses CPU 1 in the
	// child only after New has created the directories.
	parent := newTest(t, Resources{CpusetCpus: "0"})
	path := parent.Path() + "/child"
	m, err := newV1(path, DetectMode())
	require.NoError(t, err)
	_, err = New(path, Resources{PIDs: 10, CpusetCpus: "1"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "cpuset.cpus")
	requireGone(t, m.allDirs())
}

// TestHybridUnified runs the cgroup v2 code (devices filter, freeze,
// cgroup.kill, CLONE_INTO_CGROUP) in the controller-less cgroup2 hierarchy
// of a hybrid host.
func TestHybridUnified(t *testing.T) {
	requireMode(t, Hybrid)
	root := filepath.Join(cgroupRoot, "unified")
	path := randomName(t)
	m := &v2Manager{root: root, path: path, dir: filepath.Join(root, path)}
	rules := []DeviceRule{
		{Type: 'a', Major: -1, Minor: -1, Access: "rwm"},
		{Allow: true, Type: 'c', Major: 1, Minor: 3, Access: "rwm"},
	}
	require.NoError(t, m.create(Resources{Devices: rules}))
	t.Cleanup(func() {
		require.NoError(t, m.Kill())
		require.NoError(t, m.Destroy())
		requireGone(t, []string{m.dir})
	})
	// Apply again replaces the filter rather than stacking a second one.
	require.NoError(t, m.Apply(Resources{Devices: rules}))
	dirFd, err := syscall.Open(m.dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	require.NoError(t, err)
	n, err := deviceFilterCount(dirFd)
	syscall.Close(dirFd)
	require.NoError(t, err)
	require.Equal(t, 1, n, "device programs attached")

	fd, err := m.Fd()
	require.NoError(t, err)
	cmd := exec.Command("/bin/sh", "-c", `echo hi > /dev/null && echo null-ok
if head -c1 /dev/zero >/dev/null 2>&1; then echo zero-ok; else echo zero-denied; fi
exec sleep 100`)
	var out lockedBuffer
	cmd.Stdout = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	require.NoError(t, cmd.Start())
	syscall.Close(fd)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	procs, err := m.Procs()
	require.NoError(t, err)
	require.Contains(t, procs, cmd.Process.Pid)
	_, err = poll(5*time.Second, func() (bool, error) { return strings.Count(out.String(), "\n") == 2, nil })
	require.NoError(t, err)
	require.Equal(t, "null-ok\nzero-denied\n", out.String())

	require.NoError(t, m.Freeze())
	frozen, err := m.frozen(true)
	require.NoError(t, err)
	require.True(t, frozen)
	require.NoError(t, m.Thaw())
	require.NoError(t, m.Kill())
	requireKilled(t, cmd.Wait())

	// Rollback: cpu.weight is missing here (cpu is a v1 controller).
	path2 := randomName(t)
	m2 := &v2Manager{root: root, path: path2, dir: filepath.Join(root, path2)}
	err = m2.create(Resources{CPUShares: 512})
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Contains(t, err.Error(), "cpu.weight")
	requireGone(t, []string{m2.dir})
}

func TestV2CloneIntoPIDsLimit(t *testing.T) {
	requireMode(t, Unified)
	m := newTest(t, Resources{PIDs: 2})
	fd, err := m.Fd()
	require.NoError(t, err)
	defer syscall.Close(fd)
	var started []*exec.Cmd
	t.Cleanup(func() {
		for _, c := range started {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	})
	var forkErr error
	for range 4 {
		c := exec.Command("sleep", "100")
		c.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
		if forkErr = c.Start(); forkErr != nil {
			break
		}
		started = append(started, c)
	}
	require.ErrorIs(t, forkErr, syscall.EAGAIN)
	require.Len(t, started, 2)
	procs, err := m.Procs()
	require.NoError(t, err)
	require.Len(t, procs, 2)
	require.NoError(t, m.Kill())
}

func TestFdOnV1(t *testing.T) {
	requireV1(t)
	m := newTest(t, Resources{})
	fd, err := m.Fd()
	if DetectMode() == Legacy {
		require.ErrorIs(t, err, errors.ErrUnsupported)
		return
	}
	// Hybrid: the cgroup2 tracking directory.
	require.NoError(t, err)
	unix.Close(fd)
}

// A process moves itself into every v1 hierarchy through JoinFiles.
func TestJoinFiles(t *testing.T) {
	requireV1(t)
	m := newTest(t, Resources{})
	files := m.JoinFiles()
	require.NotEmpty(t, files)
	script := ""
	for _, f := range files {
		script += "echo 0 > " + f + " && "
	}
	cmd := exec.Command("sh", "-c", script+"sleep 5")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	require.Eventually(t, func() bool {
		procs, err := m.Procs()
		return err == nil && slices.Contains(procs, cmd.Process.Pid)
	}, 5*time.Second, 10*time.Millisecond)
}

func TestApplyUpdatesMemoryAndSwap(t *testing.T) {
	requireRoot(t)
	m := newTest(t, Resources{Memory: 16 << 20})
	if !swapAccounting(t, m) {
		t.Skip("skipping: swap accounting is off")
	}
	// Raise then lower both: the order of the two writes matters on v1.
	for _, mem := range []int64{16 << 20, 64 << 20, 8 << 20} {
		require.NoError(t, m.Apply(Resources{Memory: mem, MemorySwap: 2 * mem}), "memory %d", mem)
		st, err := m.Stats()
		require.NoError(t, err)
		require.Equal(t, uint64(mem), st.Memory.Limit)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func BenchmarkNewDestroy(b *testing.B) {
	requireRoot(b)
	for _, bc := range []struct {
		name string
		r    Resources
	}{
		{"empty", Resources{}},
		{"limits+devices", Resources{Memory: 64 << 20, CPUShares: 512, PIDs: 100, Devices: DefaultDevices()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				m, err := New(randomName(b), bc.r)
				if err != nil {
					b.Fatal(err)
				}
				if err := m.Destroy(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// NewStaged: the first stage makes only what a process is cloned into
// (the cgroup2 tracking directory on hybrid hosts, nothing more on v1);
// the second makes the rest with the limits; a failing second stage
// leaves nothing; a leftover fails the first stage.
func TestNewStaged(t *testing.T) {
	requireRoot(t)
	path := randomName(t)
	m, rest, err := NewStaged(path, Resources{PIDs: 42})
	require.NoError(t, err)
	t.Cleanup(func() { m.Destroy() })
	if v1, ok := m.(*v1Manager); ok {
		if v1.unified != "" {
			require.DirExists(t, v1.unified)
		}
		for _, d := range v1.order {
			require.NoDirExists(t, d, "made by the second stage only")
		}
	}
	require.NoError(t, rest())
	for _, d := range dirsOf(m) {
		require.DirExists(t, d)
	}
	s, err := m.Stats()
	require.NoError(t, err)
	require.Equal(t, uint64(42), s.PIDs.Limit)

	_, _, err = NewStaged(path, Resources{})
	require.ErrorIs(t, err, fs.ErrExist)
	for _, d := range dirsOf(m) {
		require.DirExists(t, d, "the failed NewStaged touched the existing cgroup")
	}
	require.NoError(t, m.Destroy())
	requireGone(t, dirsOf(m))

	if DetectMode() != Unified {
		if cpus, _ := onlineCPUs(); cpus[0] && cpus[1] {
			parent := newTest(t, Resources{CpusetCpus: "0"})
			child, rest, err := NewStaged(parent.Path()+"/child", Resources{CpusetCpus: "1"})
			require.NoError(t, err)
			require.Error(t, rest(), "the kernel refuses CPU 1 below a parent of CPU 0")
			requireGone(t, dirsOf(child))
		}
	}
}

// Remove finishes a removal that another process began: with the
// directory where Load looks gone, Load no longer finds the cgroup, and
// Remove removes what is left.
func TestRemovePartlyRemoved(t *testing.T) {
	requireRoot(t)
	m := newTest(t, Resources{})
	dirs := dirsOf(m)
	first := dirs[0]
	if v1, ok := m.(*v1Manager); ok {
		first = v1.dirs[v1.primary]
	}
	require.NoError(t, os.Remove(first))
	_, err := Load(m.Path())
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, Remove(m.Path()))
	requireGone(t, dirs)
	require.NoError(t, Remove(m.Path()), "second Remove")
	require.Error(t, Remove("../escape"), "a path out of the hierarchies")
}
