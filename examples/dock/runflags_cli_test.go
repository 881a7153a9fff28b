package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The run and create flags that tie a container to the host, as a docker
// user types them: what the container sees, and docker's refusals.

func TestCLIRunHostFlags(t *testing.T) {
	e := newEnv(t)
	profile := filepath.Join(t.TempDir(), "no-mkdir.json")
	err := os.WriteFile(profile, []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := "df -k /dev/shm | tail -1 | awk '{print $2}'; cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj; " +
		"test -c /dev/lc && : < /dev/lc && echo device; mkdir /tmp/x 2>/dev/null || echo no-mkdir; test -d /data && echo data"
	e.expect(0, "16384\n4096\n1\n300\ndevice\nno-mkdir\ndata\n", "run", "--rm",
		"--shm-size", "16m", "--sysctl", "kernel.shmmax=4096", "--sysctl", "net.ipv4.ip_forward=1", "--oom-score-adj", "300",
		"--device", "/dev/loop-control:/dev/lc:r", "--security-opt", "seccomp="+profile,
		"--security-opt", "apparmor=docker-default", "--security-opt", "label=disable", "-v", dir+":/data:Z,cached",
		"busybox", "sh", "-c", script)

	hostPID, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		t.Fatal(err)
	}
	hostname, _ := os.Hostname()
	e.expect(0, hostPID+"\n"+hostname+"\n", "run", "--rm", "--pid", "host", "--uts", "host", "--userns", "host", "--cgroupns", "host",
		"busybox", "sh", "-c", "readlink /proc/self/ns/pid; hostname")

	// Namespaces of another container: a shareable IPC, a PID namespace.
	e.ok(nil, "run", "-d", "--name", "donor", "--ipc", "shareable", "busybox", "sh", "-c", "echo hi > /dev/shm/f; exec sleep 1000")
	waitFor(t, "the donor's /dev/shm/f", func() bool {
		_, _, code := e.dock(nil, "exec", "donor", "test", "-e", "/dev/shm/f")
		return code == 0
	})
	e.expect(0, "hi\nsleep 1000\n", "run", "--rm", "--ipc", "container:donor", "--pid", "container:donor", "busybox", "sh", "-c",
		"cat /dev/shm/f; cat /proc/1/cmdline | tr '\\0' ' ' | sed 's/ $//'; echo")

	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"--sysctl", "vm.swappiness=10"}, `invalid argument "vm.swappiness=10" for "--sysctl" flag: sysctl 'vm.swappiness=10' is not allowed`},
		{[]string{"--network", "host", "--sysctl", "net.ipv4.ip_forward=1"}, `sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace`},
		{[]string{"--ipc", "bogus"}, "--ipc: invalid IPC mode"},
		{[]string{"--pid", "container:nosuch"}, "no such container"},
		{[]string{"--oom-score-adj", "2000"}, "Invalid value 2000, range for oom score adj is [-1000, 1000]"},
		{[]string{"--device", "/dev/nosuch"}, `error gathering device information while adding custom device "/dev/nosuch": no such file or directory`},
		{[]string{"--device-cgroup-rule", "c 1:3"}, "invalid device cgroup format 'c 1:3'"},
		{[]string{"--security-opt", "seccomp=/nosuch.json"}, "opening seccomp profile (/nosuch.json) failed"},
		{[]string{"-a", "stdout", "-d"}, "conflicting options: cannot specify both --attach and --detach"},
	} {
		args := append(append([]string{"run", "--rm"}, tt.args...), "busybox", "true")
		_, errOut, code := e.dock(nil, args...)
		if code != 125 || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("dock %q = exit %d, stderr %q; want exit 125, stderr with %q", args, code, errOut, tt.stderr)
		}
	}
	e.ok(nil, "create", "--name", "stopped", "busybox", "true")
	_, errOut, code := e.dock(nil, "run", "--rm", "--pid", "container:stopped", "busybox", "true")
	if code != 125 || !strings.Contains(errOut, "Container stopped is not running") {
		t.Errorf("run --pid container:stopped = exit %d, stderr %q; want 125, Container stopped is not running", code, errOut)
	}
	_, errOut, code = e.dock(nil, "run", "--rm", "--ipc", "container:stopped", "busybox", "true")
	if code != 125 || !strings.Contains(errOut, "Container stopped is not running") {
		t.Errorf("run --ipc container:stopped = exit %d, stderr %q", code, errOut)
	}
}

// OOM and block I/O flags: applied, or discarded with docker's warning
// where the kernel lacks them.
func TestCLIRunResourceWarnings(t *testing.T) {
	e := newEnv(t)
	_, errOut, code := e.dock(nil, "create", "--oom-kill-disable", "busybox", "true")
	if code != 0 || !strings.Contains(errOut, "WARNING: ") || !strings.Contains(errOut, "OOM") {
		t.Errorf("create --oom-kill-disable without -m = exit %d, stderr %q; want a WARNING about the OOM killer", code, errOut)
	}
}

func TestCLICidfile(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "cid")
	e.expect(0, "", "run", "--cidfile", file, "busybox", "true")
	id, err := os.ReadFile(file)
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{64}$`).Match(id) {
		t.Fatalf("cidfile = %q, %v; want the container's ID, no newline", id, err)
	}
	if ps := e.ok(nil, "ps", "-aq", "--no-trunc"); ps != string(id)+"\n" {
		t.Errorf("ps -aq = %q, want the ID of the cidfile %q", ps, id)
	}
	_, errOut, code := e.dock(nil, "create", "--cidfile", file, "busybox", "true")
	want := "container ID file found, make sure the other container isn't running or delete " + file
	if code != 125 || !strings.Contains(errOut, want) {
		t.Errorf("create with an existing cidfile = exit %d, stderr %q; want 125, %q", code, errOut, want)
	}
	// A failed create leaves no file.
	other := filepath.Join(t.TempDir(), "cid")
	e.dock(nil, "create", "--cidfile", other, "nosuchimage")
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("cidfile of a failed create: %v, want none", err)
	}
}

func TestCLIRunAttachStreams(t *testing.T) {
	e := newEnv(t)
	script := "echo out; echo err >&2"
	for _, tt := range []struct {
		attach          []string
		stdout, stderr  string
		stdin, wantCode int
	}{
		{nil, "out\n", "err\n", 0, 0},
		{[]string{"-a", "stdout"}, "out\n", "", 0, 0},
		{[]string{"-a", "STDERR"}, "", "err\n", 0, 0},
		{[]string{"-a", "stdout", "-a", "stderr"}, "out\n", "err\n", 0, 0},
	} {
		args := append(append([]string{"run", "--rm"}, tt.attach...), "busybox", "sh", "-c", script)
		out, errOut, code := e.dock(nil, args...)
		if out != tt.stdout || errOut != tt.stderr || code != 0 {
			t.Errorf("dock %q = %q, %q, exit %d; want %q, %q, 0", args, out, errOut, code, tt.stdout, tt.stderr)
		}
	}
	// -a stdin attaches the input.
	out, _, code := e.dock([]byte("in\n"), "run", "--rm", "-a", "stdin", "-a", "stdout", "busybox", "cat")
	if out != "in\n" || code != 0 {
		t.Errorf("run -a stdin -a stdout cat = %q, exit %d", out, code)
	}
}

// create --rm: the container goes once a later start ends, attached or
// detached.
func TestCLICreateRm(t *testing.T) {
	e := newEnv(t)
	for _, start := range [][]string{{"start", "-a"}, {"start"}} {
		id := strings.TrimSpace(e.ok(nil, "create", "--rm", "busybox", "sh", "-c", "exit 3"))
		_, _, code := e.dock(nil, append(start, id)...)
		if want := map[bool]int{true: 3, false: 0}[len(start) == 2]; code != want {
			t.Errorf("dock %q = exit %d, want %d", append(start, id), code, want)
		}
		waitFor(t, "the container of create --rm to go after "+strconv.Quote(strings.Join(start, " ")), func() bool {
			return !strings.Contains(e.ok(nil, "ps", "-aq", "--no-trunc"), id)
		})
	}
}
