package seccomp

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary run loadHelper instead of the tests.
const helperEnv = "DOCK_SECCOMP_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(loadHelper())
	}
	os.Exit(m.Run())
}

// loadHelper loads Docker's default filter into this process, tries some
// syscalls and prints "name=result" lines for TestKernel.
func loadHelper() int {
	runtime.LockOSThread()
	p, err := Default(dockerCaps)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Println("error: no_new_privs:", err)
		return 1
	}
	if err := load(p); err != nil {
		fmt.Println("error: seccomp:", err)
		return 1
	}
	result := func(name string, err error) {
		s := "ok"
		var errno unix.Errno
		if errors.As(err, &errno) {
			s = unix.ErrnoName(errno)
		} else if err != nil {
			s = err.Error()
		}
		fmt.Printf("%s=%s\n", name, s)
	}
	errnoErr := func(e unix.Errno) error {
		if e == 0 {
			return nil
		}
		return e
	}

	status, err := os.ReadFile("/proc/self/status")
	result("read status", err)
	s := bufio.NewScanner(strings.NewReader(string(status)))
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "Seccomp:"); ok {
			fmt.Printf("seccomp mode=%s\n", strings.TrimSpace(v))
		}
	}
	_, err = unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	result("keyctl", err)
	result("unshare(CLONE_NEWUSER)", unix.Unshare(unix.CLONE_NEWUSER))
	result("mount", unix.Mount("none", "/nonexistent-dock-test", "tmpfs", 0, ""))
	result("io_uring_setup", errnoErr(ioUringSetup()))
	fd, err := unix.Socket(unix.AF_ALG, unix.SOCK_SEQPACKET, 0)
	result("socket(AF_ALG)", err)
	if err == nil {
		unix.Close(fd)
	}
	fd, err = unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM, 0)
	result("socket(AF_VSOCK)", err)
	if err == nil {
		unix.Close(fd)
	}
	fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	result("socket(AF_INET)", err)
	if err == nil {
		unix.Close(fd)
	}
	_, _, e := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)
	result("clone3", errnoErr(e))
	_, _, e = unix.Syscall(unix.SYS_PERSONALITY, 0x1234, 0, 0)
	result("personality(0x1234)", errnoErr(e))
	_, _, e = unix.Syscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)
	result("personality(query)", errnoErr(e))
	_, _, e = unix.Syscall(1000, 0, 0, 0)
	result("syscall 1000", errnoErr(e))
	if unix.Getpid() == os.Getpid() && unix.Getpid() > 0 {
		result("getpid", nil)
	}
	// fork+exec: clone without namespace flags (clone3 gets ENOSYS and Go
	// falls back), execve, wait4.
	result("exec true", exec.Command("true").Run())
	return 0
}

// TestKernel loads the default filter in a child process and checks what
// the kernel then does with some syscalls.
func TestKernel(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("TestKernel needs root (to tell EPERM from seccomp from EPERM for lack of privilege)")
		}
		t.Skip("needs root: without privileges the syscalls fail without the filter too")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "helper: %s", out)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, "helper printed %q", line)
		got[k] = v
	}
	want := map[string]string{
		"read status":            "ok",
		"seccomp mode":           "2",
		"keyctl":                 "EPERM",
		"unshare(CLONE_NEWUSER)": "EPERM",
		"mount":                  "EPERM",
		"io_uring_setup":         "EPERM",
		"socket(AF_ALG)":         "EPERM",
		"socket(AF_VSOCK)":       "EPERM",
		"socket(AF_INET)":        "ok",
		"clone3":                 "ENOSYS",
		"personality(0x1234)":    "EPERM",
		"personality(query)":     "ok",
		"syscall 1000":           "ENOSYS",
		"getpid":                 "ok",
		"exec true":              "ok",
	}
	require.Equal(t, want, got, "helper output:\n%s", out)
}
