//go:build linux

package dock

// The run/create options a Docker user expects (shm size, devices and
// device rules, sysctls, namespaces shared with the host or another
// container, OOM settings, block I/O limits, a seccomp profile file,
// LSM options, mount modes, create --rm), each checked from inside a
// container, from the host's cgroup files, and in its refusals.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/procstat"
)

// flagRun runs script in busybox with cfg and returns its output; the
// container must exit 0.
func flagRun(t *testing.T, e *Engine, cfg Config, script string) string {
	t.Helper()
	out, errs, st := secSh(t, e, cfg, script)
	require.Equal(t, 0, st.Code, "script %q: stdout %q, stderr %q", script, out, errs)
	return out
}

// flagDetached starts cfg detached running script (which should keep the
// container running) and returns it with its init's PID; it is removed
// at cleanup.
func flagDetached(t *testing.T, e *Engine, cfg Config, script string) (*Container, int) {
	t.Helper()
	ctx := context.Background()
	cfg.Image = "busybox"
	cfg.Cmd = []string{"sh", "-c", script}
	c, err := e.Create(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Remove(context.Background(), RemoveForce()) })
	require.NoError(t, c.StartDetached(ctx))
	st, err := c.State(ctx)
	require.NoError(t, err)
	return c, st.Pid
}

// flagLogs waits until the detached c has logged want, and returns its log.
func flagLogs(t *testing.T, c *Container, want string) string {
	t.Helper()
	var out bytes.Buffer
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		out.Reset()
		require.NoError(t, c.Logs(context.Background(), &out, &out, LogOptions{}))
		if strings.Contains(out.String(), want) {
			return out.String()
		}
	}
	t.Fatalf("container log %q never had %q", out.String(), want)
	return ""
}

// nsOf is the namespace of kind ("ipc", "pid", ...) of process pid (0:
// this test), as readlink shows it: "ipc:[4026531839]".
func nsOf(t *testing.T, pid int, kind string) string {
	t.Helper()
	p := "/proc/self/ns/" + kind
	if pid != 0 {
		p = fmt.Sprintf("/proc/%d/ns/%s", pid, kind)
	}
	link, err := os.Readlink(p)
	require.NoError(t, err)
	return link
}

func createErr(t *testing.T, e *Engine, cfg Config) error {
	t.Helper()
	if cfg.Image == "" {
		cfg.Image = "busybox"
	}
	c, err := e.Create(context.Background(), cfg)
	if err == nil {
		c.Remove(context.Background(), RemoveForce())
	}
	return err
}

func TestRunShmSize(t *testing.T) {
	e := testEngine(t)
	df := "df -k /dev/shm | tail -1 | awk '{print $2}'"
	assert.Equal(t, "65536\n", flagRun(t, e, Config{}, df), "the default /dev/shm")
	assert.Equal(t, "32768\n", flagRun(t, e, Config{ShmSize: 32 << 20}, df), "ShmSize 32 MiB")
	assert.ErrorIs(t, createErr(t, e, Config{ShmSize: -1}), ErrInvalid)
}

func TestRunIPCModes(t *testing.T) {
	e := testEngine(t)
	ns := "readlink /proc/self/ns/ipc"
	host := nsOf(t, 0, "ipc")
	assert.NotEqual(t, host+"\n", flagRun(t, e, Config{}, ns), "a private IPC namespace")
	assert.Equal(t, host+"\n", flagRun(t, e, Config{IPC: "host"}, ns), "the host's IPC namespace")
	// The host's /dev/shm: a file made there shows in the container.
	f, err := os.CreateTemp("/dev/shm", "dock-test-")
	require.NoError(t, err)
	f.Close()
	defer os.Remove(f.Name())
	flagRun(t, e, Config{IPC: "host"}, "test -e "+f.Name())
	assert.Equal(t, "no shm\n", flagRun(t, e, Config{IPC: "none"}, "test -e /dev/shm || echo no shm"))
	assert.NotEqual(t, host+"\n", flagRun(t, e, Config{IPC: "none"}, ns))

	// A shareable container's namespace and /dev/shm, joined.
	donor, pid := flagDetached(t, e, Config{Name: "ipc-donor", IPC: "shareable"},
		"echo from-donor > /dev/shm/f && echo ready && exec sleep 1000")
	flagLogs(t, donor, "ready")
	out := flagRun(t, e, Config{IPC: "container:ipc-donor"}, ns+"; cat /dev/shm/f; echo back > /dev/shm/g")
	assert.Equal(t, nsOf(t, pid, "ipc")+"\nfrom-donor\n", out)
	var back bytes.Buffer
	p := donor.Exec(ExecConfig{Cmd: []string{"cat", "/dev/shm/g"}})
	p.Stdout = &back
	require.NoError(t, p.Start(context.Background()))
	_, err = p.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "back\n", back.String(), "the joiner's write, in the donor's /dev/shm")

	// Docker's refusals: a private donor, a stopped one.
	flagDetached(t, e, Config{Name: "ipc-private"}, "exec sleep 1000")
	_, _, _, err = secRun(t, e, Config{Image: "busybox", IPC: "container:ipc-private", Cmd: []string{"true"}})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "container ipc-private: non-shareable IPC (hint: use IpcMode:shareable for the donor container)")
	stopped := secCreate(t, e, Config{Image: "busybox", Name: "ipc-stopped", IPC: "shareable", Cmd: []string{"true"}})
	_ = stopped
	_, _, _, err = secRun(t, e, Config{Image: "busybox", IPC: "container:ipc-stopped", Cmd: []string{"true"}})
	require.ErrorIs(t, err, ErrNotRunning)
	assert.Contains(t, err.Error(), "Container ipc-stopped is not running")
	assert.ErrorIs(t, createErr(t, e, Config{IPC: "bogus"}), ErrInvalid)
}

func TestRunPIDModes(t *testing.T) {
	e := testEngine(t)
	ns := "readlink /proc/self/ns/pid"
	host := nsOf(t, 0, "pid")
	assert.NotEqual(t, host+"\n", flagRun(t, e, Config{}, ns))
	// The host's: the container sees this test's process.
	out := flagRun(t, e, Config{PID: "host"}, ns+"; test -d /proc/"+strconv.Itoa(os.Getpid())+" && echo sees-host")
	assert.Equal(t, host+"\nsees-host\n", out)

	donor, pid := flagDetached(t, e, Config{Name: "pid-donor"}, "echo ready; exec sleep 1000")
	flagLogs(t, donor, "ready")
	out = flagRun(t, e, Config{PID: "container:pid-donor"}, ns+"; cat /proc/1/cmdline | tr '\\0' ' '")
	assert.Equal(t, nsOf(t, pid, "pid")+"\nsleep 1000 ", out, "the other container's namespace, its PID 1 sleeping")

	// Detached in the other container's namespace, through the monitor.
	joiner, jpid := flagDetached(t, e, Config{PID: "container:pid-donor"}, "echo ready; exec sleep 1000")
	flagLogs(t, joiner, "ready")
	assert.Equal(t, nsOf(t, pid, "pid"), nsOf(t, jpid, "pid"))
	require.NoError(t, joiner.Kill(context.Background()))

	secCreate(t, e, Config{Image: "busybox", Name: "pid-stopped", Cmd: []string{"true"}})
	_, _, _, err := secRun(t, e, Config{Image: "busybox", PID: "container:pid-stopped", Cmd: []string{"true"}})
	require.ErrorIs(t, err, ErrNotRunning)
	assert.Contains(t, err.Error(), "Container pid-stopped is not running")
	_, _, _, err = secRun(t, e, Config{Image: "busybox", PID: "container:nosuch", Cmd: []string{"true"}})
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, createErr(t, e, Config{PID: "private"}), ErrInvalid)
}

// Without a PID namespace of its own, what the init leaves is killed
// when it exits: attached (the engine) and detached (the monitor). A
// background process holding the output open would otherwise keep the
// container running.
func TestRunSharedPIDKillsTheRest(t *testing.T) {
	e := testEngine(t)
	script := "sleep 1000 & echo $!"
	for _, detached := range []bool{false, true} {
		t.Run(fmt.Sprint("detached=", detached), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out syncBuffer
			c, err := e.Create(ctx, Config{Image: "busybox", PID: "host", Cmd: []string{"sh", "-c", script}})
			require.NoError(t, err)
			defer c.Remove(context.Background(), RemoveForce())
			if detached {
				require.NoError(t, c.StartDetached(ctx))
			} else {
				c.Stdout = &out
				require.NoError(t, c.Start(ctx))
			}
			_, err = c.Wait(ctx)
			require.NoError(t, err, "the container's end")
			if detached {
				require.NoError(t, c.Logs(ctx, &out, &out, LogOptions{}))
			}
			pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
			require.NoError(t, err, "output %q", out.String())
			start, err := procstat.StartTime(pid)
			if err == nil {
				require.Eventually(t, func() bool { return !procstat.Alive(pid, start) }, 10*time.Second, 20*time.Millisecond,
					"the background sleep %d outlived the container", pid)
			}
		})
	}
}

func TestRunUTSAndCgroupNS(t *testing.T) {
	e := testEngine(t)
	hostname, err := os.Hostname()
	require.NoError(t, err)
	out := flagRun(t, e, Config{UTS: "host"}, "readlink /proc/self/ns/uts; hostname; cat /etc/hostname")
	assert.Equal(t, nsOf(t, 0, "uts")+"\n"+hostname+"\n"+hostname+"\n", out)
	require.ErrorIs(t, createErr(t, e, Config{UTS: "host", Hostname: "x"}), ErrInvalid)

	host := nsOf(t, 0, "cgroup")
	assert.NotEqual(t, host+"\n", flagRun(t, e, Config{}, "readlink /proc/self/ns/cgroup"))
	out = flagRun(t, e, Config{Name: "cgns", CgroupNS: "host"}, "readlink /proc/self/ns/cgroup; grep -c /dock/ /proc/self/cgroup")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, "%q", out)
	assert.Equal(t, host, lines[0])
	assert.NotEqual(t, "0", lines[1], "the host's cgroup namespace shows the container's cgroup path")
	assert.ErrorIs(t, createErr(t, e, Config{CgroupNS: "none"}), ErrInvalid)
}

func TestRunSysctls(t *testing.T) {
	e := testEngine(t)
	hostShmmax := readFile(t, "/proc/sys/kernel/shmmax")
	out := flagRun(t, e, Config{Sysctls: map[string]string{
		"kernel.shmmax": "123456789", "net.ipv4.ip_forward": "1", "fs.mqueue.msg_max": "20",
		"net/ipv4/conf/lo/forwarding": "1",
	}}, "cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward /proc/sys/fs/mqueue/msg_max /proc/sys/net/ipv4/conf/lo/forwarding")
	assert.Equal(t, "123456789\n1\n20\n1\n", out)
	assert.Equal(t, hostShmmax, readFile(t, "/proc/sys/kernel/shmmax"), "the host's shmmax")

	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Sysctls: map[string]string{"vm.swappiness": "10"}}, `sysctl "vm.swappiness" is not in a separate kernel namespace`},
		{Config{Sysctls: map[string]string{"kernel.hostname": "x"}}, `sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field`},
		{Config{Network: "host", Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}}, `sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace`},
		{Config{IPC: "host", Sysctls: map[string]string{"kernel.shmmax": "1"}}, `sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace`},
		{Config{Sysctls: map[string]string{"../../etc": "1"}}, "invalid name"},
	} {
		err := createErr(t, e, tc.cfg)
		require.ErrorIs(t, err, ErrInvalid, "%v", tc.cfg.Sysctls)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestRunOOMScoreAdj(t *testing.T) {
	e := testEngine(t)
	assert.Equal(t, "500\n", flagRun(t, e, Config{OOMScoreAdj: 500}, "cat /proc/self/oom_score_adj"))
	// Positive: lowering it takes CAP_SYS_RESOURCE, which some hosts
	// (this test's VM) do not give even to root.
	c, _ := flagDetached(t, e, Config{OOMScoreAdj: 700}, "echo ready; exec sleep 1000")
	flagLogs(t, c, "ready")
	var out bytes.Buffer
	p := c.Exec(ExecConfig{Cmd: []string{"cat", "/proc/self/oom_score_adj"}})
	p.Stdout = &out
	require.NoError(t, p.Start(context.Background()))
	st, err := p.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0, st.Code)
	assert.Equal(t, "700\n", out.String(), "an exec'd process")
	err = createErr(t, e, Config{OOMScoreAdj: 1001})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "Invalid value 1001, range for oom score adj is [-1000, 1000]")
}

// testDevice is a host device that no container may open by default: the
// loop driver's control node, harmless to open.
const testDevice = "/dev/loop-control"

func TestRunDevices(t *testing.T) {
	e := testEngine(t)
	var st unix.Stat_t
	require.NoError(t, unix.Stat(testDevice, &st), "this test needs the loop driver's %s", testDevice)
	major, minor := unix.Major(st.Rdev), unix.Minor(st.Rdev)
	open := "if : < %s; then echo opened; fi"
	out := flagRun(t, e, Config{Devices: []Device{{PathOnHost: testDevice, PathInContainer: "/dev/x/ctl", Permissions: "rw"}}},
		fmt.Sprintf("stat -c '%%F %%t:%%T %%a %%u:%%g' /dev/x/ctl; "+open, "/dev/x/ctl"))
	assert.Equal(t, fmt.Sprintf("character special file %x:%x %o %d:%d\nopened\n", major, minor, st.Mode&0o7777, st.Uid, st.Gid), out)

	// Not allowed by default: a node made in the container opens nothing.
	mk := fmt.Sprintf("mknod /tmp/n c %d %d && "+open+" || echo refused", major, minor, "/tmp/n")
	_, errs, _ := secSh(t, e, Config{}, mk)
	assert.Contains(t, errs, "Operation not permitted")
	// Allowed by a rule.
	assert.Equal(t, "opened\n", flagRun(t, e, Config{DeviceCgroupRules: []string{fmt.Sprintf("c %d:* r", major)}}, mk))

	// The rules as the host's cgroup shows them.
	c, _ := flagDetached(t, e, Config{
		Devices:           []Device{{PathOnHost: testDevice, Permissions: "r"}},
		DeviceCgroupRules: []string{"b 7:* rw"},
	}, "echo ready; exec sleep 1000")
	flagLogs(t, c, "ready")
	if cgroup.DetectMode() != cgroup.Unified {
		list := readFile(t, filepath.Join(v1Mount(t, "devices"), "dock", c.ID(), "devices.list"))
		assert.Contains(t, list, fmt.Sprintf("c %d:%d r\n", major, minor))
		assert.Contains(t, list, "b 7:* rw\n")
	}

	// Docker's refusals.
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Devices: []Device{{PathOnHost: "/dev/nosuch"}}}, `error gathering device information while adding custom device "/dev/nosuch": no such file or directory`},
		{Config{Devices: []Device{{PathOnHost: "/etc/hostname"}}}, "not a device node"},
		{Config{Devices: []Device{{PathOnHost: testDevice, Permissions: "rx"}}}, "invalid device mode: rx"},
		{Config{Devices: []Device{{PathOnHost: testDevice, PathInContainer: "dev/x"}}}, "dev/x is not an absolute path"},
		{Config{DeviceCgroupRules: []string{"c 1:3"}}, "invalid device cgroup format 'c 1:3'"},
		{Config{DeviceCgroupRules: []string{"x 1:3 r"}}, "invalid device cgroup format"},
		{Config{Privileged: true, Devices: []Device{{PathOnHost: testDevice, PathInContainer: "/dev/other"}}}, "privileged"},
	} {
		err := createErr(t, e, tc.cfg)
		require.ErrorIs(t, err, ErrInvalid, "%+v", tc.cfg)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// v1Mount is the mount point of a cgroup v1 hierarchy.
func v1Mount(t *testing.T, controller string) string {
	t.Helper()
	for _, h := range mustV1(t) {
		if slices.Contains(strings.Split(h.Controllers, ","), controller) {
			return "/sys/fs/cgroup/" + h.Name
		}
	}
	t.Fatalf("no cgroup v1 hierarchy with %s", controller)
	return ""
}

func mustV1(t *testing.T) []cgroup.Hierarchy {
	hs, err := cgroup.V1Hierarchies()
	require.NoError(t, err)
	return hs
}

// wholeDisk is a block device of the host that can be throttled (not a
// partition).
func wholeDisk(t *testing.T) (string, uint32, uint32) {
	t.Helper()
	entries, err := os.ReadDir("/sys/block")
	require.NoError(t, err)
	for _, ent := range entries {
		p := "/dev/" + ent.Name()
		if major, minor, err := blockDevice(p); err == nil {
			return p, major, minor
		}
	}
	t.Fatal("no whole disk under /sys/block with its node in /dev")
	return "", 0, 0
}

func TestRunBlkioAndOOM(t *testing.T) {
	e := testEngine(t)
	disk, major, minor := wholeDisk(t)
	f := cgroup.Probe()
	cfg := Config{Resources: Resources{
		Memory: 64 << 20, OOMKillDisable: true, BlkioWeight: 300,
		BlkioDeviceReadBps:   []ThrottleDevice{{Path: disk, Rate: 1 << 20}},
		BlkioDeviceWriteIOps: []ThrottleDevice{{Path: disk, Rate: 100}},
	}}
	c, _ := flagDetached(t, e, cfg, "echo ready; exec sleep 1000")
	flagLogs(t, c, "ready")
	info, err := c.Inspect(context.Background())
	require.NoError(t, err)
	w := c.Warnings()
	dev := fmt.Sprintf("%d:%d", major, minor)
	if cgroup.DetectMode() == cgroup.Unified {
		dir := filepath.Join("/sys/fs/cgroup/dock", c.ID())
		assert.Contains(t, readFile(t, filepath.Join(dir, "io.max")), dev+" rbps=1048576 wbps=max riops=max wiops=100")
		assert.Contains(t, w, "Your kernel does not support OomKillDisable. OomKill disabling discarded.")
		assert.False(t, info.Config.Resources.OOMKillDisable, "recorded as discarded")
		return
	}
	blkio := filepath.Join(v1Mount(t, "blkio"), "dock", c.ID())
	assert.Equal(t, dev+" 1048576\n", readFile(t, filepath.Join(blkio, "blkio.throttle.read_bps_device")))
	assert.Equal(t, dev+" 100\n", readFile(t, filepath.Join(blkio, "blkio.throttle.write_iops_device")))
	if f.BlkioWeight {
		assert.Empty(t, w)
	} else {
		assert.Equal(t, []string{"Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."}, w)
		assert.Zero(t, info.Config.Resources.BlkioWeight, "recorded as discarded")
	}
	oom := readFile(t, filepath.Join(v1Mount(t, "memory"), "dock", c.ID(), "memory.oom_control"))
	assert.Contains(t, oom, "oom_kill_disable 1\n")

	// Without a memory limit: Docker's warning.
	c2 := secCreate(t, e, Config{Image: "busybox", Resources: Resources{OOMKillDisable: true}})
	assert.Contains(t, c2.Warnings(), "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.")

	for _, tc := range []struct {
		r    Resources
		want string
	}{
		{Resources{BlkioWeight: 5}, "range of blkio weight is from 10 to 1000"},
		{Resources{BlkioDeviceReadBps: []ThrottleDevice{{Path: "/etc/hostname", Rate: 1}}}, "not a block device"},
		{Resources{BlkioDeviceWriteBps: []ThrottleDevice{{Path: "/dev/nosuch", Rate: 1}}}, "no such file"},
	} {
		err := createErr(t, e, Config{Resources: tc.r})
		require.ErrorIs(t, err, ErrInvalid, "%+v", tc.r)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestRunSeccompProfile(t *testing.T) {
	e := testEngine(t)
	profile := `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}`
	_, errs, st := secSh(t, e, Config{SeccompProfile: profile}, "mkdir /tmp/d")
	assert.NotEqual(t, 0, st.Code)
	assert.Contains(t, errs, "Operation not permitted")
	flagRun(t, e, Config{}, "mkdir /tmp/d") // the default profile allows it
	err := createErr(t, e, Config{SeccompProfile: "{not json"})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "decoding seccomp profile failed")
	err = createErr(t, e, Config{SeccompProfile: `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}`})
	require.ErrorIs(t, err, ErrInvalid)
}

func TestRunLSMOptions(t *testing.T) {
	e := testEngine(t)
	// This host runs no AppArmor and no SELinux (the test says so if
	// that changes): the options are accepted and do nothing.
	require.Equal(t, lsms{}, hostLSM(), "this test expects a host without AppArmor and SELinux")
	dir := t.TempDir()
	flagRun(t, e, Config{
		AppArmorProfile: "docker-default", SELinuxLabel: []string{"disable", "level:s0:c100,c200"},
		Mounts: []Mount{{Type: "bind", Source: dir, Target: "/data", Relabel: "Z", Consistency: "cached"}},
	}, "test -d /data")
	err := createErr(t, e, Config{SELinuxLabel: []string{"bogus"}})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "bad label option")
	assert.ErrorIs(t, createErr(t, e, Config{Mounts: []Mount{{Type: "bind", Source: dir, Target: "/d", Relabel: "x"}}}), ErrInvalid)

	// Where the LSM runs, dock cannot apply the profile: refused.
	for _, tc := range []struct {
		l   lsms
		cfg Config
	}{
		{lsms{apparmor: true}, Config{AppArmorProfile: "docker-default"}},
		{lsms{selinux: true}, Config{SELinuxLabel: []string{"type:container_t"}}},
		{lsms{selinux: true}, Config{Mounts: []Mount{{Type: "bind", Source: dir, Target: "/d", Relabel: "z"}}}},
	} {
		assert.ErrorIs(t, checkLSM(&tc.cfg, tc.l), ErrUnsupported, "%+v with %+v", tc.cfg, tc.l)
	}
	assert.NoError(t, checkLSM(&Config{AppArmorProfile: "unconfined", SELinuxLabel: []string{"disable"}}, lsms{true, true}))
}

// A container created with AutoRemove is removed after a later start,
// attached (the engine) or detached (its monitor): docker create --rm.
func TestCreateAutoRemove(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	for _, detached := range []bool{false, true} {
		c, err := e.Create(ctx, Config{Image: "busybox", AutoRemove: true, Cmd: []string{"true"}})
		require.NoError(t, err)
		if detached {
			require.NoError(t, c.StartDetached(ctx))
		} else {
			require.NoError(t, c.Start(ctx))
			st, err := c.Wait(ctx)
			require.NoError(t, err)
			assert.Equal(t, 0, st.Code)
			_, err = e.Container(c.ID())
			require.ErrorIs(t, err, ErrNotFound, "removed when Wait returns")
			continue
		}
		require.Eventually(t, func() bool {
			_, err := e.Container(c.ID())
			return errors.Is(err, ErrNotFound)
		}, 10*time.Second, 20*time.Millisecond, "detached=%v: the container is still there", detached)
	}
}

// Containers that share namespaces and /dev/shm, get devices, sysctls and
// block I/O limits leave nothing on the host once removed: no mount, no
// cgroup, no process, nothing in the state directory.
func TestRunHostOptionsLeaveNothing(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	disk, _, _ := wholeDisk(t)
	base := secTakeState(t, e)
	donor, _ := flagDetached(t, e, Config{Name: "leak-donor", IPC: "shareable"}, "echo ready; exec sleep 1000")
	flagLogs(t, donor, "ready")
	joiner, jpid := flagDetached(t, e, Config{IPC: "container:leak-donor", PID: "container:leak-donor",
		Sysctls: map[string]string{"kernel.shmmax": "4096"}, OOMScoreAdj: 100,
		Devices:   []Device{{PathOnHost: testDevice}},
		Resources: Resources{BlkioDeviceReadBps: []ThrottleDevice{{Path: disk, Rate: 1 << 20}}},
	}, "sleep 1000 & echo ready; wait")
	flagLogs(t, joiner, "ready")
	jstart, err := procstat.StartTime(jpid)
	require.NoError(t, err)
	flagRun(t, e, Config{PID: "host", IPC: "host", UTS: "host", CgroupNS: "host"}, "sleep 1000 & true")
	for _, c := range []*Container{joiner, donor} {
		require.NoError(t, c.Remove(ctx, RemoveForce()))
	}
	assert.False(t, procstat.Alive(jpid, jstart), "the joiner's init")
	secWantState(t, e, "host options", base)
}
