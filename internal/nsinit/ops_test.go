package nsinit

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// cNumbers parses the numbered names of nsinit.h: its enum members
// (NAME = 3, NAME = 1 << 2, NAME = 'E') and its #defines of numbers and
// strings.
func cNumbers(t *testing.T) (nums map[string]int64, strs map[string]string) {
	t.Helper()
	src, err := os.ReadFile("nsinit.h")
	if err != nil {
		t.Fatal(err)
	}
	nums, strs = map[string]int64{}, map[string]string{}
	member := regexp.MustCompile(`\b([A-Z][A-Z0-9_]*)\s*=\s*([^,}\n]+)`)
	for _, enum := range regexp.MustCompile(`(?s)enum\s*\{(.*?)\}`).FindAllStringSubmatch(string(src), -1) {
		for _, m := range member.FindAllStringSubmatch(enum[1], -1) {
			nums[m[1]] = cValue(t, m[1], m[2])
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^#define ([A-Z][A-Z0-9_]*) (.+)$`).FindAllStringSubmatch(string(src), -1) {
		if s, err := strconv.Unquote(m[2]); err == nil {
			strs[m[1]] = s
		} else if v, err := strconv.ParseInt(m[2], 0, 64); err == nil {
			nums[m[1]] = v
		}
	}
	return nums, strs
}

// cValue evaluates the C expressions that nsinit.h numbers with: an
// integer, a shift of one, a character.
func cValue(t *testing.T, name, expr string) int64 {
	t.Helper()
	expr = strings.TrimSpace(expr)
	if a, b, ok := strings.Cut(expr, "<<"); ok {
		return cValue(t, name, a) << cValue(t, name, b)
	}
	if len(expr) == 3 && expr[0] == '\'' && expr[2] == '\'' {
		return int64(expr[1])
	}
	v, err := strconv.ParseInt(expr, 0, 64)
	if err != nil {
		t.Fatalf("nsinit.h: %s = %q: not a number this test can read", name, expr)
	}
	return v
}

// TestWireNumbersAgree checks that every number the Go and C sides of the
// init share (operations, mount flags, report kinds, the sync socket's
// descriptor, the environment variable) is the same on both: a mismatch
// would make the init carry out another operation than the one sent.
func TestWireNumbersAgree(t *testing.T) {
	nums, strs := cNumbers(t)
	goNums := map[string]int64{
		"OP_END": int64(opEnd), "OP_MOUNT": int64(opMount), "OP_ROOT": int64(opRoot),
		"OP_MKDIR": int64(opMkdir), "OP_MKNOD": int64(opMknod), "OP_SYMLINK": int64(opSymlink),
		"OP_PIVOT": int64(opPivot), "OP_MASK": int64(opMask), "OP_READONLY": int64(opReadonly),
		"OP_HOSTNAME": int64(opHostname), "OP_RLIMIT": int64(opRlimit), "OP_USER": int64(opUser),
		"OP_BOUNDING": int64(opBounding), "OP_CAPS": int64(opCaps), "OP_NNP": int64(opNNP),
		"OP_SECCOMP": int64(opSeccomp), "OP_CHDIR": int64(opChdir), "OP_EXEC": int64(opExec),
		"OP_SETNS": int64(opSetns), "OP_FORK": int64(opFork), "OP_REAPER": int64(opReaper),
		"OP_REMOUNT": int64(opRemount), "OP_CHDIR_HOST": int64(opChdirHost),
		"OP_PDEATHSIG": int64(opPdeathsig), "OP_UNSHARE": int64(opUnshare),
		"OP_MONITOR": int64(opMonitor), "OP_JOIN": int64(opJoin), "OP_PAUSE": int64(opPause),
		"OP_IDMAP": int64(opIdmap), "OP_ENTER_USERNS": int64(opEnterUserns),
		"OP_OPEN_USERNS": int64(opOpenUserns), "OP_AUTOREMOVE": int64(opAutoRemove),
		"OP_AUTOREMOVE_VOLUMES": int64(opAutoRemoveVolumes), "OP_STDIO": int64(opStdio),
		"OP_NEXT": int64(opNext), "OP_NULL_STDIO": int64(opNullStdio),
		"OP_EXIT_HOOK": int64(opExitHook), "OP_HOLD": int64(opHold), "OP_LOOPBACK": int64(opLoopback), "OP_LINK": int64(opLink),
		"OP_CONSOLE": int64(opConsole), "OP_RESTART_HOOK": int64(opRestartHook), "OP_HEALTH": int64(opHealth), "OP_EVENTS": int64(opEvents), "OP_ATTACH": int64(opAttach),
		"HOLD_BATCH": HoldBatch, "HEALTH_STARTING": HealthStarting,
		"OP_WRITE_PROC": int64(opWriteProc), "OP_DEVICE": int64(opDevice), "OP_SHARE_MOUNT": int64(opShareMount),
		"OP_SHARED_PIDNS": int64(opSharedPidns), "P_IN_ROOT": ProcInRoot,

		"M_IN_ROOT": MountInRoot, "M_MKDIR": MountMkdir, "M_MKFILE": MountMkfile,
		"M_NOSYMLINKS": MountNoSymlinks, "M_VERIFY_PROC": MountVerifyProc,
		"M_VERIFY_SYS": MountVerifySys, "M_REMOUNT": MountRemount, "M_SKIP_READONLY": MountSkipReadonly,

		"REPORT_ERROR": reportError, "REPORT_PID": reportPid, "REPORT_GO": reportGo, "REPORT_TTY": reportTty,

		"SYNC_FD": SyncFd,
	}
	for name, want := range goNums {
		got, ok := nums[name]
		switch {
		case !ok:
			t.Errorf("nsinit.h has no %s, want %d as in Go", name, want)
		case got != want:
			t.Errorf("nsinit.h: %s = %d, want %d as in Go", name, got, want)
		}
	}
	// Every operation and flag the C side knows must be known here.
	for name := range nums {
		if strings.HasPrefix(name, "OP_") || strings.HasPrefix(name, "M_") || strings.HasPrefix(name, "P_") {
			if _, ok := goNums[name]; !ok {
				t.Errorf("nsinit.h: %s = %d has no Go counterpart in this test", name, nums[name])
			}
		}
	}
	if got := strs["HOOK_ENV"]; got != HookEnv {
		t.Errorf("nsinit.h: HOOK_ENV = %q, want %q as HookEnv", got, HookEnv)
	}
	if got := strs["NSINIT_ENV"]; got != Env {
		t.Errorf("nsinit.h: NSINIT_ENV = %q, want %q as Env", got, Env)
	}
}
