//go:build linux && cgo

// The CLI's timer slack. It lives for milliseconds, in which the Go
// runtime's monitor thread (sysmon) sleeps 20 µs between its checks while
// the program is busy: with the kernel's default slack of 50 µs, about a
// hundred wake-ups of a 6 ms run, each a context switch on the CPU the
// container's setup needs (0.4 ms of a dock run here). With a slack of 1
// ms, set before the runtime starts its threads (they inherit it), they
// coalesce. The container does not inherit it: its init sets the usual
// 50 µs back (internal/nsinit).

#include <sys/prctl.h>

__attribute__((constructor)) static void dock_cli_timer_slack(void)
{
	prctl(PR_SET_TIMERSLACK, 1000000UL, 0, 0, 0);
}
