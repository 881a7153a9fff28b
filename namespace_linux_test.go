package dock

import (
	"os"
	"slices"
	"testing"
)

// TestRootIsMountPoint reads mountinfo texts as the kernel shows them to
// a process whose root is a mount (a host, a pivot_root), and to one in a
// chroot into a plain directory (the mounts outside it are left out; those
// below it are relative to it).
func TestRootIsMountPoint(t *testing.T) {
	for _, tc := range []struct {
		name, mountinfo string
		want            bool
	}{
		{"host", `22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
`, true},
		{"pivot_root into a bind mount", `612 577 259:1 /work/fresh/root / rw,relatime - ext4 /dev/root rw
613 612 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
`, true},
		{"chroot, /proc mounted inside", `613 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
614 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
`, false},
		{"chroot, a mount point with a space", `615 22 0:30 / /mnt/a\040b rw - tmpfs tmpfs rw
`, false},
		{"root covered twice", `22 1 259:1 / / rw - ext4 /dev/root rw
90 22 0:40 / / rw - tmpfs tmpfs rw
`, true},
		{"empty", "", false},
	} {
		if got := rootIsMountPoint([]byte(tc.mountinfo)); got != tc.want {
			t.Errorf("rootIsMountPoint(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
	// This process (the test runs on a host, not in a chroot).
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skipf("no /proc/self/mountinfo: %v", err)
	}
	if !rootIsMountPoint(data) || rootNotMounted() {
		t.Errorf("rootIsMountPoint(/proc/self/mountinfo) = false, want true on this host:\n%s", data)
	}
}

func TestProcessEnv(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		tty  bool
		want []string
	}{
		{[]string{"A=1", "PATH=/bin"}, false, []string{"PATH=/bin", "HOSTNAME=h", "A=1", "HOME=/root"}},
		{[]string{"PATH=/bin", "A=1"}, true, []string{"PATH=/bin", "HOSTNAME=h", "TERM=xterm", "A=1", "HOME=/root"}},
		{[]string{"PATH=/bin", "TERM=vt100", "HOSTNAME=x", "HOME=/h"}, true, []string{"PATH=/bin", "HOSTNAME=x", "TERM=vt100", "HOME=/h"}},
		{nil, false, []string{"HOSTNAME=h", "HOME=/root"}},
	} {
		got := processEnv(tc.env, "h", "/root", tc.tty)
		if !slices.Equal(got, tc.want) {
			t.Errorf("processEnv(%q, tty %v) = %q, want %q", tc.env, tc.tty, got, tc.want)
		}
	}
}

// TestDevCore: /dev/core links to /proc/kcore only where the kernel has
// it, as runc makes it: never a dangling link.
func TestDevCore(t *testing.T) {
	e := testEngine(t)
	out, _, st := run(t, e, Config{Image: "busybox", Cmd: []string{"sh", "-c", "[ -L /dev/core ] && echo link || echo none"}})
	want := "none\n"
	if _, err := os.Stat("/proc/kcore"); err == nil {
		want = "link\n"
	}
	if st.Code != 0 || out != want {
		t.Errorf("/dev/core: %q (exit %d), want %q", out, st.Code, want)
	}
}

// TestDefaultSysctls: Docker's network sysctls in a container's own
// network namespace (an unprivileged user binds port 80 and pings), the
// caller's value first, none with the host's network.
func TestDefaultSysctls(t *testing.T) {
	e := testEngine(t)
	read := "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range"
	out, _, st := run(t, e, Config{Image: "busybox", Cmd: []string{"sh", "-c", read}})
	if st.Code != 0 || out != "0\n0\t2147483647\n" {
		t.Errorf("defaults: %q (exit %d)", out, st.Code)
	}
	out, _, st = run(t, e, Config{Image: "busybox", User: "1000", Cmd: []string{"sh", "-c", "nc -l -p 80 & sleep 0.2; kill $! && echo bound"}})
	if st.Code != 0 || out != "bound\n" {
		t.Errorf("an unprivileged user binding port 80: %q (exit %d)", out, st.Code)
	}
	out, _, st = run(t, e, Config{Image: "busybox", Cmd: []string{"sh", "-c", read},
		Sysctls: map[string]string{"net.ipv4.ip_unprivileged_port_start": "500"}})
	if st.Code != 0 || out != "500\n0\t2147483647\n" {
		t.Errorf("the caller's value: %q (exit %d)", out, st.Code)
	}
	host, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		t.Fatal(err)
	}
	out, _, st = run(t, e, Config{Image: "busybox", Network: "host", Cmd: []string{"cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"}})
	if st.Code != 0 || out != string(host) {
		t.Errorf("host network: %q (exit %d), want the host's %q", out, st.Code, host)
	}
}
