package testutil

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// WaitCaught waits until the process pid catches sig (SigCgt in its
// /proc status): the kernel drops the signals a namespace's init does
// not catch, so a test that signals a container's init waits for its
// handler first. It fails the test after 30 seconds.
func WaitCaught(t testing.TB, pid int, sig syscall.Signal) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			if hex, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
				if err != nil {
					t.Fatal(err)
				}
				if mask&(1<<(sig-1)) != 0 {
					return
				}
			}
		}
		if !time.Now().Before(deadline) {
			t.Fatalf("process %d never caught signal %d", pid, sig)
		}
	}
}
