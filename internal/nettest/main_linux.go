package nettest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	"github.com/go-dock/dock/internal/testutil"
)

// Main runs the tests of m in H, a new network and mount namespace, and
// exits with their status. Call it from TestMain, before anything else that
// touches the network:
//
//	func TestMain(m *testing.M) { nettest.Main(m) }
//
// The test binary re-executes itself (exec.Cmd with CLONE_NEWNET|CLONE_NEWNS,
// the os/exec way of a helper process) and the parent exits with the child's
// exit code. The child dies with the parent (PR_SET_PDEATHSIG), so a killed
// test leaves no namespace behind. In the child, before the tests: the
// namespaces are checked against the parent's (they must differ), / is made
// rprivate, a tmpfs is mounted on /run, /etc/resolv.conf shows ResolvConf and
// lo is brought up.
//
// Without root, the tests run in the parent and every helper skips with the
// reason; with CI=true, Main fails instead. Main never returns.
func Main(m *testing.M) {
	switch os.Getenv(envStage) {
	case "inside":
		// A test re-executed the binary as a helper: it is already in H.
		os.Exit(m.Run())
	case "child":
		if err := setupHost(); err != nil {
			fmt.Fprintf(os.Stderr, "nettest: setting up the host namespace: %v\n", err)
			os.Exit(2)
		}
		os.Setenv(envStage, "inside")
		os.Exit(m.Run())
	}
	if os.Geteuid() != 0 {
		skipOrFail("the network tests need root (new network and mount namespaces)")
		os.Exit(m.Run())
	}
	code, err := runChild()
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
		skipOrFail(fmt.Sprintf("cannot create namespaces: %v", err))
		os.Exit(m.Run())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "nettest: %v\n", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// skipOrFail records why the tests cannot be isolated; in CI that ends the
// binary with a failure, as testutil.Missing does for single tests.
func skipOrFail(reason string) {
	if testutil.InCI() {
		fmt.Fprintf(os.Stderr, "nettest: CI=true and %s\n", reason)
		os.Exit(1)
	}
	skipReason = reason
}

// runChild re-executes the test binary in new namespaces and returns its
// exit code.
func runChild() (int, error) {
	realNet, err := nsInode("/proc/thread-self/ns/net")
	if err != nil {
		return 0, err
	}
	realMnt, err := nsInode("/proc/thread-self/ns/mnt")
	if err != nil {
		return 0, err
	}
	// The binary by its path, resolved in the new mount namespace: an
	// exec of /proc/self/exe would keep the old namespace's mount as the
	// child's executable, which open_tree (nsinit's read-only view of
	// the binary) then refuses with EINVAL.
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		envStage+"=child",
		envRealNet+"="+strconv.FormatUint(realNet, 10),
		envRealMnt+"="+strconv.FormatUint(realMnt, 10))
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
	}
	// Pdeathsig fires when the thread that forked exits, not the process:
	// keep this goroutine on its thread until the child is gone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			fmt.Fprintf(os.Stderr, "nettest: the test process in the host namespace died: %v\n", ws.Signal())
			return 1, nil
		}
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("re-execute the tests in new namespaces: %w", err)
	}
	return 0, nil
}
