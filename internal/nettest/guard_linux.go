package nettest

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/go-dock/dock/internal/testutil"
)

// The environment between the parent test binary and the re-executed child.
const (
	// envStage is "child" in the process that Main re-executed, which then
	// sets it to "inside": a test binary re-executed again (a test's helper
	// process) runs its tests as they are, without nesting another H.
	envStage = "DOCK_NETTEST_STAGE"
	// envRealNet and envRealMnt hold the inodes of the parent's network and
	// mount namespaces: the real ones, that no code here may ever touch.
	envRealNet = "DOCK_NETTEST_REAL_NETNS"
	envRealMnt = "DOCK_NETTEST_REAL_MNTNS"
)

// skipReason is set by Main when the tests cannot be isolated; Require then
// skips (or fails in CI) instead of letting a test reach the real network.
var skipReason string

// Require proves that the calling thread is in H, a network namespace that
// Main created, and not in the real one; otherwise it stops the test: it
// skips with the reason Main found (no root), fails in CI, and always fails
// when Main is not this package's TestMain. Every helper of this package calls
// it first; tests that touch the network by other means call it themselves.
//
// The proof does not trust the environment alone: the thread's netns inode
// must differ from the parent's (passed by Main) and from PID 1's.
func Require(t testing.TB) {
	t.Helper()
	if skipReason != "" {
		testutil.Missing(t, skipReason)
	}
	if err := checkIsolated(); err != nil {
		t.Fatalf("nettest: refusing to touch the network: %v", err)
	}
}

// checkIsolated returns why the calling thread may be in the real network or
// mount namespace, or nil.
func checkIsolated() error {
	if s := os.Getenv(envStage); s != "child" && s != "inside" {
		return fmt.Errorf("not re-executed by nettest.Main (%s=%q): call nettest.Main from TestMain", envStage, s)
	}
	for _, c := range []struct{ env, kind string }{{envRealNet, "net"}, {envRealMnt, "mnt"}} {
		real, err := strconv.ParseUint(os.Getenv(c.env), 10, 64)
		if err != nil {
			return fmt.Errorf("%s=%q: %w", c.env, os.Getenv(c.env), err)
		}
		// thread-self, not self: a network namespace belongs to a thread,
		// and InNetNS moves single threads.
		own, err := nsInode("/proc/thread-self/ns/" + c.kind)
		if err != nil {
			return err
		}
		if own == real {
			return fmt.Errorf("this thread's %s namespace (inode %d) is the real one", c.kind, own)
		}
		// PID 1 lives in the real namespaces on a VM or a plain host; we
		// never compare equal to it unless something went wrong above.
		if init, err := nsInode("/proc/1/ns/" + c.kind); err == nil && init == own {
			return fmt.Errorf("this thread's %s namespace (inode %d) is PID 1's", c.kind, own)
		}
	}
	return nil
}

// nsInode returns the inode of the namespace file path (/proc/.../ns/...).
func nsInode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return st.Ino, nil
}
