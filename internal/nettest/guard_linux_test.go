package nettest

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestIsolated is the research's first guard: the tests run in namespaces
// that differ from the real ones, with H prepared as Main promises.
func TestIsolated(t *testing.T) {
	Require(t)
	for _, c := range []struct{ env, kind string }{{envRealNet, "net"}, {envRealMnt, "mnt"}} {
		real, err := strconv.ParseUint(os.Getenv(c.env), 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", c.env, err)
		}
		own, err := nsInode("/proc/thread-self/ns/" + c.kind)
		if err != nil {
			t.Fatal(err)
		}
		if own == real {
			t.Fatalf("%s namespace inode = %d, the real one's", c.kind, own)
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs("/run", &st); err != nil || st.Type != unix.TMPFS_MAGIC {
		t.Errorf("statfs /run = type %#x, %v; want tmpfs", st.Type, err)
	}
	if b, err := os.ReadFile("/etc/resolv.conf"); err != nil || string(b) != ResolvConf {
		t.Errorf("/etc/resolv.conf = %q, %v; want %q", b, err, ResolvConf)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil || lo.Attrs().Flags&unix.IFF_UP == 0 {
		t.Errorf("lo = %v, %v; want up", lo, err)
	}
	// H has nothing but lo before Internet: no uplink to the real network.
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.Attrs().Name != "lo" {
			t.Errorf("H has link %s; want only lo", l.Attrs().Name)
		}
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mi), "\n") {
		if f := strings.Fields(line); len(f) > 6 && f[4] == "/" && strings.HasPrefix(f[6], "shared:") {
			t.Errorf("/ is still shared: %s", line)
		}
	}
}

// TestCheckIsolatedRefusesRealNamespace: the guard rejects a "real"
// namespace that is the current one, as it would be if Main had not run.
func TestCheckIsolatedRefusesRealNamespace(t *testing.T) {
	Require(t)
	own, err := nsInode("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envRealNet, strconv.FormatUint(own, 10))
	if err := checkIsolated(); err == nil || !strings.Contains(err.Error(), "is the real one") {
		t.Errorf("checkIsolated() with the own netns as the real one = %v, want an error", err)
	}
	t.Setenv(envStage, "")
	if err := checkIsolated(); err == nil {
		t.Errorf("checkIsolated() without %s = nil, want an error", envStage)
	}
}
