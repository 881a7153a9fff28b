//go:build linux

package dock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/go-dock/dock/internal/procstat"
	"github.com/go-dock/dock/internal/testutil"
)

// run runs cfg to completion and returns its stdout, stderr and status.
func run(t *testing.T, e *Engine, cfg Config) (string, string, ExitStatus) {
	t.Helper()
	var out, errb bytes.Buffer
	st, err := e.Run(context.Background(), cfg, nil, &out, &errb)
	var ee *ExitError
	if err != nil && !errors.As(err, &ee) {
		require.NoError(t, err, "Run(%v): stderr %q", cfg.Cmd, errb.String())
	}
	return out.String(), errb.String(), st
}

// sh runs a shell script in busybox and returns its stdout.
func sh(t *testing.T, e *Engine, cfg Config, script string) string {
	t.Helper()
	if cfg.Image == "" {
		cfg.Image = "busybox"
	}
	cfg.Cmd = []string{"sh", "-c", script}
	out, errOut, st := run(t, e, cfg)
	require.Equal(t, 0, st.Code, "script %q: stderr %q", script, errOut)
	return out
}

func TestRunBasics(t *testing.T) {
	e := testEngine(t)
	out := sh(t, e, Config{Hostname: "box"}, `echo $$; hostname; cat /etc/hostname; pwd; echo $HOME; id`)
	assert.Equal(t, "1\nbox\nbox\n/\n/root\nuid=0(root) gid=0(root) groups=0(root)\n", out)
}

func TestRunExitCodes(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for _, tc := range []struct {
		cmd  []string
		code int
	}{
		{[]string{"true"}, 0},
		{[]string{"sh", "-c", "exit 3"}, 3},
		{[]string{"sh", "-c", "kill -TERM $$; sleep 1"}, 0}, // PID 1 ignores signals it has no handler for
		{[]string{"sh", "-c", "sh -c 'kill -9 $$'; exit $?"}, 137},
	} {
		_, _, st := run(t, e, Config{Image: "busybox", Cmd: tc.cmd})
		assert.Equal(t, tc.code, st.Code, "Run(%q).Code", tc.cmd)
	}
	for _, tc := range []struct {
		cmd  []string
		code int
		msg  string
	}{
		{[]string{"nope"}, 127, `exec: "nope": executable file not found in $PATH`},
		{[]string{"/nope"}, 127, "exec /nope"},
		{[]string{"/etc/passwd"}, 126, "exec /etc/passwd: permission denied"},
	} {
		_, err := e.Run(ctx, Config{Image: "busybox", Cmd: tc.cmd}, nil, nil, nil)
		var se *StartError
		require.ErrorAs(t, err, &se, "Run(%q)", tc.cmd)
		assert.Equal(t, tc.code, se.Code, "Run(%q) StartError.Code", tc.cmd)
		assert.Contains(t, err.Error(), tc.msg)
	}
}

func TestRunProcessConfig(t *testing.T) {
	e := testEngine(t)
	cases := []struct {
		name string
		cfg  Config
		cmd  string
		want string
	}{
		{"env", Config{Env: []string{"A=1", "B=x y", "NOEQ"}}, `echo "$A|$B|${NOEQ-unset}"`, "1|x y|unset\n"},
		{"workdir created", Config{WorkingDir: "/new/dir"}, `pwd`, "/new/dir\n"},
		{"user by name", Config{User: "dockuser"}, `id`, "uid=1000(dockuser) gid=1000(dockuser) groups=10(wheel),29(audio),1000(dockuser)\n"},
		{"user by number", Config{User: "4242:4343"}, `id -u; id -g; echo $HOME`, "4242\n4343\n/\n"},
		{"user and group names", Config{User: "dockuser:audio"}, `id -u; id -g`, "1000\n29\n"},
		{"group add", Config{User: "nobody", GroupAdd: []string{"audio", "777"}}, `id -G`, "65534 29 777\n"},
		{"ulimit", Config{Ulimits: []Ulimit{{Name: "nofile", Soft: 321, Hard: 654}}}, `ulimit -n; ulimit -Hn`, "321\n654\n"},
		{"read-only rootfs", Config{ReadOnly: true}, `touch /x 2>/dev/null || echo ro; touch /tmp/x 2>/dev/null || echo tmp-ro`, "ro\ntmp-ro\n"},
		{"tmpfs", Config{ReadOnly: true, Mounts: []Mount{{Type: "tmpfs", Target: "/scratch", Options: []string{"size=1m"}}}},
			`echo hi > /scratch/f && cat /scratch/f && grep -c ' /scratch tmpfs' /proc/mounts`, "hi\n1\n"},
		{"entrypoint", Config{Entrypoint: []string{"echo", "from-entrypoint"}}, "", ""},
		{"network none", Config{}, `ls /sys/class/net`, "lo\n"},
		{"init reaps", Config{Init: true}, `echo $$; (sleep 0.1 &) ; sleep 0.3; ps -o pid,stat | grep -c Z || true`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Image = "busybox"
			switch tc.name {
			case "entrypoint":
				out, _, st := run(t, e, cfg)
				assert.Equal(t, 0, st.Code)
				assert.Equal(t, "from-entrypoint\n", out)
			case "init reaps":
				out := sh(t, e, cfg, tc.cmd)
				lines := strings.Fields(out)
				require.Len(t, lines, 2, "output %q", out)
				assert.NotEqual(t, "1", lines[0], "with Init the process is not PID 1")
				assert.Equal(t, "0", lines[1], "zombies left")
			default:
				assert.Equal(t, tc.want, sh(t, e, cfg, tc.cmd))
			}
		})
	}
}

// TestRunNoneNetwork: the none network has loopback, up (Docker's).
func TestRunNoneNetwork(t *testing.T) {
	e := testEngine(t)
	out := sh(t, e, Config{}, `ls /sys/class/net; ip -o link show lo | grep -o '<[A-Z_,]*>'; (nc -l -p 7000 & sleep 0.2; echo hi | nc -w 2 127.0.0.1 7000) 2>&1 | grep -c "can't connect" || true`)
	assert.Equal(t, "lo\n<LOOPBACK,UP,LOWER_UP>\n0\n", out)
}

func TestRunHostNetwork(t *testing.T) {
	e := testEngine(t)
	nettest.Internet(t) // a link besides lo
	// Through netlink: this process's /sys is the machine's sysfs, made
	// before nettest's namespace.
	host, err := net.Interfaces()
	require.NoError(t, err)
	require.Greater(t, len(host), 1)
	out := sh(t, e, Config{Network: "host"}, `ls /sys/class/net | wc -l`)
	assert.Equal(t, strconv.Itoa(len(host))+"\n", out)
}

func TestRunMountTable(t *testing.T) {
	e := testEngine(t)
	out := sh(t, e, Config{}, `cat /proc/mounts`)
	for _, want := range []string{
		"overlay / overlay rw",
		"proc /proc proc rw,nosuid,nodev,noexec",
		"tmpfs /dev tmpfs rw,nosuid",
		"devpts /dev/pts devpts rw,nosuid,noexec",
		"shm /dev/shm tmpfs rw,nosuid,nodev,noexec",
		"mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec",
		"sysfs /sys sysfs ro,nosuid,nodev,noexec",
		"/etc/hostname ", "/etc/hosts ", "/etc/resolv.conf ",
		"/proc/sys proc ro,",
		"/proc/interrupts ", "/proc/keys ", "/proc/acpi tmpfs ro,",
	} {
		assert.Contains(t, out, want)
	}
	devs := sh(t, e, Config{}, `ls /dev | tr '\n' ' '`)
	wantDevs := "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero "
	if _, err := os.Stat("/proc/kcore"); err == nil {
		wantDevs = "core " + wantDevs // see TestDevCore
	}
	assert.Equal(t, wantDevs, devs)
	assert.Equal(t, "character special file 1 3\n", sh(t, e, Config{}, `stat -c '%F %t %T' /dev/null`))
}

func TestBindAndVolumeMounts(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	host := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(host, "in"), []byte("from-host"), 0o644))
	out := sh(t, e, Config{Mounts: []Mount{
		{Type: "bind", Source: host, Target: "/rw"},
		{Type: "bind", Source: host, Target: "/ro", ReadOnly: true},
		{Type: "bind", Source: filepath.Join(host, "in"), Target: "/etc/single"},
	}}, `cat /rw/in; echo; echo out > /rw/out; touch /ro/x 2>/dev/null || echo ro-refused; cat /etc/single`)
	assert.Equal(t, "from-host\nro-refused\nfrom-host", out)
	data, err := os.ReadFile(filepath.Join(host, "out"))
	require.NoError(t, err)
	assert.Equal(t, "out\n", string(data))

	sh(t, e, Config{Mounts: []Mount{{Type: "volume", Source: "data", Target: "/data"}}}, `echo kept > /data/f`)
	assert.Equal(t, "kept\n", sh(t, e, Config{Mounts: []Mount{{Type: "volume", Source: "data", Target: "/data", ReadOnly: true}}}, `cat /data/f`))
	vols, err := e.Volumes(ctx)
	require.NoError(t, err)
	require.Len(t, vols, 1)
	assert.Equal(t, "data", vols[0].Name)

	// A volume in use by a container cannot be removed.
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"true"}, Mounts: []Mount{{Type: "volume", Source: "data", Target: "/data"}}})
	require.NoError(t, err)
	require.ErrorIs(t, e.RemoveVolume(ctx, "data"), ErrInUse)
	require.NoError(t, c.Remove(ctx))
	require.NoError(t, e.RemoveVolume(ctx, "data"))
	_, err = e.Volume(ctx, "data")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = e.CreateVolume(ctx, "../x")
	require.ErrorIs(t, err, ErrInvalid)
}

func TestStdio(t *testing.T) {
	e := testEngine(t)
	script := "tr a-z A-Z; echo err >&2"
	var out, errOut bytes.Buffer
	st, err := e.Run(context.Background(), Config{Image: "busybox", Cmd: []string{"sh", "-c", script}},
		strings.NewReader("hello\n"), &out, &errOut)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Code)
	assert.Equal(t, "HELLO\n", out.String())
	assert.Equal(t, "err\n", errOut.String())

	// One writer for both streams gets both, whole lines (their order
	// across the two pipes is the scheduler's, as with docker).
	var both bytes.Buffer
	_, err = e.Run(context.Background(), Config{Image: "busybox", Cmd: []string{"sh", "-c", script}},
		strings.NewReader("hello\n"), &both, &both)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"HELLO", "err"}, strings.Fields(both.String()))
}

func TestTTY(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	// The terminal is the container's own /dev/pts/0, as in Docker, and
	// /dev/console is the same device; it belongs to the process's user.
	script := "tty; stty size; echo $TERM; stat -c '%t:%T %u:%g %a' /dev/pts/0 /dev/console; echo $(ls /dev/pts)"
	for _, tc := range []struct{ user, owner string }{{"", "0:5"}, {"dockuser", "1000:5"}} {
		c, err := e.Create(ctx, Config{Image: "busybox", Tty: true, User: tc.user, Cmd: []string{"sh", "-c", script}})
		require.NoError(t, err)
		var out syncBuffer
		c.Stdout = &out
		c.TtySize = WindowSize{Rows: 33, Cols: 101} // seen from the first instruction
		require.NoError(t, c.Start(ctx))
		st, err := c.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, 0, st.Code)
		dev := "88:0 " + tc.owner + " 620\r\n"
		assert.Equal(t, "/dev/pts/0\r\n33 101\r\nxterm\r\n"+dev+dev+"0 ptmx\r\n", out.String(), "user %q", tc.user)
		require.NoError(t, c.Remove(ctx))
	}
}

func TestLogs(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf partial"}})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	var out, errb bytes.Buffer
	require.NoError(t, c.Logs(ctx, &out, &errb, LogOptions{}))
	assert.Equal(t, "out1\nout2\nout3\npartial", out.String())
	assert.Equal(t, "err1\nerr2\nerr3\n", errb.String())
	out.Reset()
	// Tail counts lines of both streams, as Docker does; the order of
	// out3 and err3 is up to the scheduler, partial is written last.
	require.NoError(t, c.Logs(ctx, &out, nil, LogOptions{Tail: 1}))
	assert.Equal(t, "partial", out.String())
	raw, err := os.ReadFile(c.dir("json.log"))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `{"log":"out1\n","stream":"stdout","time":"`)
}

func TestLogsFollow(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo a; sleep 0.3; echo b"}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	var out bytes.Buffer
	require.NoError(t, c.Logs(ctx, &out, nil, LogOptions{Follow: true}))
	assert.Equal(t, "a\nb\n", out.String())
}

// Follow reads a detached container's log while its monitor rotates it
// dozens of times: every line once, in order (the files are enough for
// the whole output, so that a slow reader loses nothing).
func TestLogsFollowDetachedRotation(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	const lines = 20000 // about 1.5 MB of json-file lines
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"seq", "1", strconv.Itoa(lines)},
		Log: LogConfig{MaxSize: 32 << 10, MaxFiles: 100}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	var out bytes.Buffer
	require.NoError(t, c.Logs(ctx, &out, nil, LogOptions{Follow: true}))
	var want strings.Builder
	for i := 1; i <= lines; i++ {
		fmt.Fprintf(&want, "%d\n", i)
	}
	if out.String() != want.String() {
		got := strings.Fields(out.String())
		t.Errorf("Logs(Follow) across rotations: %d lines, want %d, in order", len(got), lines)
	}
	_, err = os.Stat(rotatedLog(c.dir("json.log"), 30))
	require.NoError(t, err, "the log must have been rotated dozens of times")
}

func TestLifecycle(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Name: "life", Cmd: []string{"sleep", "60"}, StopSignal: "KILL"})
	require.NoError(t, err)
	st, err := c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusCreated, st.Status)
	_, err = e.Create(ctx, Config{Image: "busybox", Name: "life"})
	require.ErrorIs(t, err, ErrExist)

	require.NoError(t, c.Start(ctx))
	require.ErrorIs(t, c.Start(ctx), ErrRunning)
	require.ErrorIs(t, c.Remove(ctx), ErrRunning)
	byName, err := e.Container("life")
	require.NoError(t, err)
	assert.Equal(t, c.ID(), byName.ID())
	byPrefix, err := e.Container(c.ID()[:8])
	require.NoError(t, err)
	assert.Equal(t, c.ID(), byPrefix.ID())

	require.NoError(t, c.Pause(ctx))
	st, _ = c.State(ctx)
	assert.Equal(t, StatusPaused, st.Status)
	require.NoError(t, c.Unpause(ctx))

	// Many goroutines wait at once; all see the same exit.
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := byName.Wait(ctx)
			assert.NoError(t, err)
			codes[i] = st.Code
		}()
	}
	require.NoError(t, c.Stop(ctx, 5*time.Second))
	wg.Wait()
	for _, code := range codes {
		assert.Equal(t, 137, code)
	}
	ex, err := c.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 9, ex.Signal)

	list, err := e.Containers(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, StatusExited, list[0].State.Status)
	require.ErrorIs(t, c.Kill(ctx), ErrNotRunning)
	require.NoError(t, c.Remove(ctx))
	_, err = e.Container("life")
	require.ErrorIs(t, err, ErrNotFound)
}

// The first Start uses the user Create resolved; a restart resolves it
// again, from the container's own /etc/passwd, which its first run may
// have changed (as Docker does).
func TestRestartResolvesUserAgain(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	secImage(t, e, "withuser", func(root string) {
		f, err := os.OpenFile(filepath.Join(root, "etc", "passwd"), os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.WriteString("u:x:1000:1000::/:/bin/sh\n")
		require.NoError(t, err)
		require.NoError(t, f.Close())
	})
	// Runs as u (1000); then u gets the UID 2000 in the container's own
	// /etc/passwd (written in its upper directory, as a run as root
	// would), for the next start.
	var out bytes.Buffer
	c, err := e.Create(ctx, Config{Image: "withuser", User: "u", Cmd: []string{"id", "-u"}})
	require.NoError(t, err)
	c.Stdout = &out
	require.NoError(t, c.Start(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1000\n", out.String())
	upperEtc := filepath.Join(e.root, "containers", c.ID(), "upper", "etc")
	require.NoError(t, os.MkdirAll(upperEtc, 0o755))
	passwd, err := os.ReadFile(filepath.Join(testutil.BusyboxRootfs(t), "etc", "passwd"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(upperEtc, "passwd"), append(passwd, "u:x:2000:2000::/:/bin/sh\n"...), 0o644))
	out.Reset()
	require.NoError(t, c.Start(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, "2000\n", out.String())
}

func TestStopGracePeriod(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.05; done"}})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	time.Sleep(100 * time.Millisecond) // let the shell set its trap
	require.NoError(t, c.Stop(ctx, 5*time.Second))
	st, err := c.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 42, st.Code, "the container handled SIGTERM")

	// One that ignores SIGTERM is killed after the grace period.
	c2, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "60"}})
	require.NoError(t, err)
	require.NoError(t, c2.Start(ctx))
	require.NoError(t, c2.Stop(ctx, 200*time.Millisecond))
	st, err = c2.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 137, st.Code)
}

func TestExec(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Hostname: "exechost", Cmd: []string{"sleep", "60"},
		Env: []string{"FROM=container"}, Resources: Resources{PIDs: 50}})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	defer c.Remove(ctx, RemoveForce())

	p := c.Exec(ExecConfig{Cmd: []string{"sh", "-c", "hostname; echo $FROM $X; id -u; pwd; cat /proc/1/cmdline | tr '\\0' ' '; echo; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; cat /proc/self/cgroup | grep -c dock; exit 5"},
		Env: []string{"X=exec"}, User: "1000", WorkingDir: "/tmp"})
	var out bytes.Buffer
	p.Stdout, p.Stderr = &out, &out
	require.NoError(t, p.Start(ctx))
	st, err := p.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5, st.Code)
	assert.Equal(t, "exechost\ncontainer exec\n1000\n/tmp\nsleep 60 \nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n0\n", out.String())

	// stdin, and a missing command.
	p = c.Exec(ExecConfig{Cmd: []string{"cat"}})
	out.Reset()
	p.Stdin, p.Stdout = strings.NewReader("piped"), &out
	require.NoError(t, p.Start(ctx))
	st, err = p.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Code)
	assert.Equal(t, "piped", out.String())

	p = c.Exec(ExecConfig{Cmd: []string{"nope"}})
	err = p.Start(ctx)
	var se *StartError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 127, se.Code)

	// A signal reaches the exec'd process.
	// Pid is the host's ID of the process.
	p = c.Exec(ExecConfig{Cmd: []string{"sleep", "60"}})
	assert.Zero(t, p.Pid(), "Pid before Start")
	require.NoError(t, p.Start(ctx))
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.Pid()))
	require.NoError(t, err)
	assert.Equal(t, "sleep\x0060\x00", string(cmdline), "the command of Pid()")
	require.NoError(t, p.Signal(syscall.SIGKILL))
	st, err = p.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 137, st.Code)
}

func TestExecTTY(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "60"}})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	defer c.Remove(ctx, RemoveForce())
	p := c.Exec(ExecConfig{Cmd: []string{"sh", "-c", "sleep 0.2; test -t 0 && echo tty; stty size"}, Tty: true})
	var out syncBuffer
	p.Stdout = &out
	require.NoError(t, p.Start(ctx))
	require.NoError(t, p.Resize(WindowSize{Rows: 20, Cols: 70}))
	st, err := p.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Code)
	assert.Equal(t, "tty\r\n20 70\r\n", out.String())

	// The terminal is a new one in the container's devpts, /dev/pts/0
	// here as with docker exec -t, of the size asked, given to the
	// exec's user; input reaches it.
	p = c.Exec(ExecConfig{Cmd: []string{"sh", "-c", "tty; stty size; stat -c %u /dev/pts/0; read x; echo got $x"}, Tty: true, User: "dockuser"})
	var out2 syncBuffer
	p.Stdout = &out2
	p.Stdin = strings.NewReader("abc\n")
	p.TtySize = WindowSize{Rows: 9, Cols: 42}
	require.NoError(t, p.Start(ctx))
	st, err = p.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Code)
	// The terminal echoes the input whenever it comes.
	assert.Equal(t, "/dev/pts/0\r\n9 42\r\n1000\r\ngot abc\r\n", strings.Replace(out2.String(), "abc\r\n", "", 1))

	// In a container with a terminal of its own (pts/0), the next one.
	tc, err := e.Create(ctx, Config{Image: "busybox", Tty: true, Cmd: []string{"sleep", "60"}})
	require.NoError(t, err)
	tc.Stdout = io.Discard
	require.NoError(t, tc.Start(ctx))
	defer tc.Remove(ctx, RemoveForce())
	p = tc.Exec(ExecConfig{Cmd: []string{"tty"}, Tty: true})
	var out3 syncBuffer
	p.Stdout = &out3
	require.NoError(t, p.Start(ctx))
	_, err = p.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, "/dev/pts/1\r\n", out3.String())
}

func TestResourceLimits(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	t.Run("memory OOM", func(t *testing.T) {
		_, _, st := run(t, e, Config{Image: "busybox", Resources: Resources{Memory: 16 << 20, MemorySwap: 16 << 20},
			Cmd: []string{"sh", "-c", `x=$(head -c 64m /dev/zero | tr '\0' a); echo ${#x}`}})
		assert.True(t, st.OOMKilled, "OOMKilled")
		assert.Equal(t, 137, st.Code)
	})
	t.Run("pids", func(t *testing.T) {
		// The shell forks until the kernel refuses, and dies of it.
		_, errOut, st := run(t, e, Config{Image: "busybox", Resources: Resources{PIDs: 10},
			Cmd: []string{"sh", "-c", `while :; do sleep 5 & done`}})
		assert.NotEqual(t, 0, st.Code)
		assert.Contains(t, errOut, "fork")
	})
	t.Run("cpu quota and stats", func(t *testing.T) {
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "while :; do :; done"},
			Resources: Resources{CPUs: 0.2, Memory: 64 << 20}})
		require.NoError(t, err)
		require.NoError(t, c.Start(ctx))
		defer c.Remove(ctx, RemoveForce())
		s1, err := c.Stats(ctx)
		require.NoError(t, err)
		time.Sleep(500 * time.Millisecond)
		s2, err := c.Stats(ctx)
		require.NoError(t, err)
		used := time.Duration(s2.CPU.Usage - s1.CPU.Usage)
		// 0.2 CPU over 0.5 s is 100 ms; allow for the period boundaries.
		assert.Less(t, used, 250*time.Millisecond, "CPU time used in 500 ms under cpus=0.2")
		assert.Greater(t, s2.Memory.Usage, uint64(0))
		assert.Equal(t, uint64(64<<20), s2.Memory.Limit)
		assert.GreaterOrEqual(t, s2.PIDs.Current, uint64(1))
	})
	t.Run("stats of a stopped container", func(t *testing.T) {
		// What the cgroup keeps charged after the exit (the page cache
		// of the file written) is no process's memory: 0 in use, as
		// docker stats shows; the CPU time used stays.
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "head -c 8m /dev/zero > /f; while :; do :; done & sleep 0.2; kill $!"},
			Resources: Resources{Memory: 64 << 20}})
		require.NoError(t, err)
		defer c.Remove(ctx, RemoveForce())
		require.NoError(t, c.Start(ctx))
		_, err = c.Wait(ctx)
		require.NoError(t, err)
		s, err := c.Stats(ctx)
		require.NoError(t, err)
		assert.Equal(t, uint64(0), s.Memory.Usage)
		assert.Greater(t, s.Memory.MaxUsage, uint64(8<<20))
		assert.Equal(t, uint64(0), s.PIDs.Current)
		assert.Greater(t, s.CPU.Usage, time.Duration(0))
	})
}

func TestDetachedFromAnotherProcess(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	// A child process (this test binary again) opens the root, starts a
	// detached container and exits.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DOCK_TEST_HELPER=start-detached", "DOCK_TEST_ROOT="+e.Root())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "helper: %s", out)
	id := strings.TrimSpace(string(out))

	c, err := e.Container(id)
	require.NoError(t, err)
	st, err := c.State(ctx)
	require.NoError(t, err)
	require.Equal(t, StatusRunning, st.Status)
	assert.True(t, st.Detached)

	// Exec works from here, and the monitor logs the output.
	p := c.Exec(ExecConfig{Cmd: []string{"sh", "-c", "echo via-exec > /proc/1/fd/1"}})
	require.NoError(t, p.Start(ctx))
	_, err = p.Wait(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Signal(ctx, syscall.SIGUSR1))
	ex, err := c.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, ex.Code)
	var logs bytes.Buffer
	require.NoError(t, c.Logs(ctx, &logs, &logs, LogOptions{}))
	assert.Equal(t, "ready\nvia-exec\ngot USR1\n", logs.String())
	require.NoError(t, c.Remove(ctx))
}

// A detached container whose monitor and init are killed is reported
// exited, never running.
func TestVanishedContainerIsExited(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "60"}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	st, err := c.State(ctx)
	require.NoError(t, err)
	// Kill the monitor first, then the init: nobody records the exit.
	mon := parentPid(t, st.Pid)
	require.NoError(t, syscall.Kill(mon, syscall.SIGKILL))
	require.NoError(t, syscall.Kill(st.Pid, syscall.SIGKILL))
	require.Eventually(t, func() bool { return !procstat.Alive(st.Pid, st.PidStart) }, 5*time.Second, 10*time.Millisecond)
	st, err = c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusExited, st.Status)
	require.NoError(t, c.Remove(ctx))
}

func parentPid(t *testing.T, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, err := strconv.Atoi(f[1])
	require.NoError(t, err)
	return ppid
}

// No goroutine, descriptor, mount or cgroup outlives a container.
func TestNoLeaks(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	var ids []string
	cycle := func() {
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo x"}, Resources: Resources{Memory: 32 << 20}})
		require.NoError(t, err)
		ids = append(ids, c.ID())
		var out bytes.Buffer
		c.Stdout = &out
		require.NoError(t, c.Start(ctx))
		_, err = c.Wait(ctx)
		require.NoError(t, err)
		require.NoError(t, c.Remove(ctx))
	}
	cycle() // warm up: the binary's mount, the seccomp cache
	goroutines, fds := runtime.NumGoroutine(), countFDs(t)
	mounts := readFile(t, "/proc/self/mountinfo")
	for range 30 {
		cycle()
	}
	// Polled by hand: assert.Eventually runs goroutines of its own.
	for i := 0; i < 200 && runtime.NumGoroutine() > goroutines; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after\n%s", goroutines, n, buf[:runtime.Stack(buf, true)])
	}
	assert.Equal(t, fds, countFDs(t), "open descriptors")
	assert.Equal(t, mounts, readFile(t, "/proc/self/mountinfo"), "host mounts")
	for _, id := range ids {
		assert.Empty(t, dockCgroups(t, id), "cgroups of container %s", id)
	}
	entries, err := os.ReadDir(e.path("containers"))
	require.NoError(t, err)
	assert.Empty(t, entries)
	tmp, err := os.ReadDir(e.path("tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp)
}

func countFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(entries)
}

func readFile(t *testing.T, p string) string {
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(data)
}

// dockCgroups lists the cgroup directories of a container, in every
// hierarchy.
func dockCgroups(t *testing.T, id string) []string {
	var out []string
	for _, pattern := range []string{"/sys/fs/cgroup/*/dock/" + id, "/sys/fs/cgroup/dock/" + id} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		out = append(out, m...)
	}
	return out
}

func TestMain(m *testing.M) {
	if mode := os.Getenv("DOCK_TEST_HELPER"); mode != "" {
		os.Exit(testHelper(mode))
	}
	if os.Getenv("DOCK_SECURITY_HELPER") != "" {
		// The binary runs as a probe inside a container (security_test.go).
		os.Exit(m.Run())
	}
	// Every test runs in a private "host" network and mount namespace
	// (with its own /run), so that the network tests change nothing on
	// the machine's real network.
	nettest.Main(m)
}

// testHelper runs in a re-executed test binary (see TestMain).
func testHelper(mode string) int {
	ctx := context.Background()
	switch mode {
	case "pull":
		// Pulls DOCK_TEST_REF into DOCK_TEST_ROOT; the test kills it.
		e, err := Open(os.Getenv("DOCK_TEST_ROOT"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		_, err = e.Pull(ctx, os.Getenv("DOCK_TEST_REF"), WithProgress(func(p Progress) {
			if p.Phase == PhaseDownloading && p.Current > 0 {
				fmt.Println("downloading") // the test's signal to kill
			}
		}))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "start-detached":
		e, err := Open(os.Getenv("DOCK_TEST_ROOT"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		c, err := e.Create(ctx, Config{Image: "busybox", Network: os.Getenv("DOCK_TEST_NETWORK"), Cmd: []string{"sh", "-c",
			"trap 'echo got USR1; exit 7' USR1; echo ready; while :; do sleep 0.05; done"}})
		if err == nil {
			err = c.StartDetached(ctx)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(c.ID())
		return 0
	case "run-network":
		// Runs a container attached on DOCK_TEST_NETWORK with a published
		// port, says so, and waits: the test kills this process.
		e, err := Open(os.Getenv("DOCK_TEST_ROOT"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		c, err := e.Create(ctx, Config{Image: "busybox", Network: os.Getenv("DOCK_TEST_NETWORK"),
			Cmd: []string{"sleep", "60"}, Ports: []PortMapping{{HostPort: 8088, ContainerPort: 80}}})
		if err == nil {
			err = c.Start(ctx)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("started")
		c.Wait(ctx)
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown helper", mode)
	return 2
}

// AutoRemove: a detached container's monitor removes it after its exit,
// cgroup included; an attached one is removed by the program.
func TestAutoRemove(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for _, detached := range []bool{true, false} {
		c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo bye; exit 3"}, AutoRemove: true})
		require.NoError(t, err)
		if detached {
			require.NoError(t, c.StartDetached(ctx))
		} else {
			require.NoError(t, c.Start(ctx))
			st, err := c.Wait(ctx)
			require.NoError(t, err)
			assert.Equal(t, 3, st.Code)
		}
		require.Eventually(t, func() bool {
			_, err := e.Container(c.ID())
			return errors.Is(err, ErrNotFound)
		}, 5*time.Second, 10*time.Millisecond, "container %s (detached %v) removed", c.ID(), detached)
		assert.Empty(t, dockCgroups(t, c.ID()), "cgroups")
		// The directory is renamed into tmp/ first, then deleted.
		require.Eventually(t, func() bool {
			tmp, err := os.ReadDir(e.path("tmp"))
			return err == nil && len(tmp) == 0
		}, 5*time.Second, 10*time.Millisecond, "tmp/ emptied")
	}
}

// A detached container can have a terminal: its init opens it in the
// container's devpts (/dev/pts/0, and /dev/console), its monitor keeps
// the master and logs what the container writes to it.
func TestDetachedTTY(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Tty: true, Cmd: []string{"sh", "-c", "tty; test -t 1 && echo is-a-tty; echo err >&2; stat -c %t:%T /dev/console"}})
	require.NoError(t, err)
	require.NoError(t, c.StartDetached(ctx))
	st, err := c.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, st.Code)
	var out, errOut bytes.Buffer
	require.NoError(t, c.Logs(ctx, &out, &errOut, LogOptions{}))
	assert.Equal(t, "/dev/pts/0\r\nis-a-tty\r\nerr\r\n88:0\r\n", out.String())
	assert.Empty(t, errOut.String(), "a terminal has one stream")
}

// Concurrent starts of one container: exactly one succeeds.
func TestConcurrentStart(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sleep", "30"}})
	require.NoError(t, err)
	defer c.Remove(ctx, RemoveForce())
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := e.Container(c.ID())
			if err == nil {
				err = h.Start(ctx)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			assert.ErrorIs(t, err, ErrRunning)
		}
	}
	assert.Equal(t, 1, ok, "starts that succeeded: %v", errs)
}

// The container sees its own cgroup, read-only, at /sys/fs/cgroup (v2, or
// each v1 hierarchy), so that programs size themselves from its limits.
func TestCgroupVisibleInside(t *testing.T) {
	e := testEngine(t)
	out := sh(t, e, Config{Resources: Resources{Memory: 64 << 20}},
		`cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; `+
			`grep -c ':/$' /proc/self/cgroup >/dev/null && echo root-in-namespace; `+
			`touch /sys/fs/cgroup/x 2>/dev/null || echo read-only`)
	assert.Equal(t, "67108864\nroot-in-namespace\nread-only\n", out)
}
