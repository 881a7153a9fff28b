//go:build linux && cgo

#include "nsinit.h"

// The restart policy of a detached container, with no daemon: when the
// container exits and the policy may start it again, the monitor, once
// the exit is recorded, becomes the program that started the container
// (execveat of the binary opened when the plan came), in a hook mode
// that waits the policy's back-off and starts the container again with
// everything the engine does at a start (cgroup, network, mounts), and a
// new monitor. The PID stays the monitor's, so that a reader that finds
// it alive knows the exit is being handled (the engine's State). The
// program decides; the monitor only spares it two clear cases: the user
// stopped the container (the stop marker exists), or the policy is
// on-failure and the exit status is 0.
static struct {
	int fd;
	char **argv, **env, *stop;
	int on_failure;
} restart = {.fd = -1};

void dock_op_restart_hook(struct field *f)
{
	restart.fd = open(f[0].p, O_RDONLY | O_CLOEXEC);
	if (restart.fd < 0)
		dock_fail(1, errno, "open %s", f[0].p);
	restart.argv = dock_split(&f[1]);
	restart.env = dock_split(&f[2]);
	restart.stop = f[3].p; // the plan's buffer is never freed
	restart.on_failure = dock_u64(&f[4]) != 0;
}

int dock_restart_wanted(int status)
{
	if (restart.fd < 0 || access(restart.stop, F_OK) == 0)
		return 0;
	return !(restart.on_failure && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void dock_restart_exec(void)
{
	// The program gets the signals as a program expects them.
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	syscall(SYS_execveat, restart.fd, "", restart.argv, restart.env, AT_EMPTY_PATH);
	// The exit is recorded; a reader that finds this process gone
	// records it as it is, without a restart.
}
