package nettest

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReexecStaysInHost: a test that re-executes the test binary as a
// helper (as dock's init tests do) gets a process in the same H, not a
// nested one, and its guard still holds.
func TestReexecStaysInHost(t *testing.T) {
	Require(t)
	if os.Getenv("DOCK_NETTEST_PRINT_NETNS") == "1" {
		return // TestPrintNetNS is the helper's job
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/proc/self/exe", "-test.run=^TestPrintNetNS$", "-test.v")
	cmd.Env = append(os.Environ(), "DOCK_NETTEST_PRINT_NETNS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	own, err := nsInode("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if want := "netns=" + strconv.FormatUint(own, 10) + "\n"; !strings.Contains(string(out), want) {
		t.Errorf("helper output lacks %q (our H):\n%s", want, out)
	}
}

// TestPrintNetNS is TestReexecStaysInHost's helper: it prints the netns
// inode of the re-executed binary, after the guard.
func TestPrintNetNS(t *testing.T) {
	if os.Getenv("DOCK_NETTEST_PRINT_NETNS") != "1" {
		t.Skip("helper of TestReexecStaysInHost")
	}
	Require(t)
	ino, err := nsInode("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("netns=" + strconv.FormatUint(ino, 10) + "\n")
}
