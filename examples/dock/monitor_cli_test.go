package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCLIMonitorMemory: the monitor of a detached container (the CLI's
// binary re-executed, no Go runtime) stays under 1 MiB resident, the
// issue's bound, when the CLI is built as scripts/build-cli.sh builds it
// (statically: a dynamic build maps about 600 KiB of libc and ld.so).
func TestCLIMonitorMemory(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "-d", "--name", "m", "busybox", "sleep", "30")
	defer e.dock(nil, "rm", "-f", "m")
	var info []struct {
		State struct{ Pid int }
	}
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "inspect", "m")), &info))
	require.Len(t, info, 1)
	require.Positive(t, info[0].State.Pid)
	monitor := parentPID(t, info[0].State.Pid)
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", monitor))
	require.NoError(t, err)
	require.Equal(t, "dock-init\x00", string(cmdline), "the container's parent is its monitor")
	rss := statusKB(t, monitor, "VmRSS")
	t.Logf("monitor RSS %d KiB", rss)
	require.Less(t, rss, 1024, "monitor RSS in KiB")
}

// parentPID reads the parent of pid from /proc/PID/stat.
func parentPID(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // after comm
	ppid, err := strconv.Atoi(fields[1])
	require.NoError(t, err)
	return ppid
}

// statusKB reads a "kB" field of /proc/PID/status.
func statusKB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
