//go:build linux && cgo

#include "nsinit.h"

// Health checks of a detached container, with no daemon: the monitor
// keeps Docker's schedule and runs, at each check, the program that
// started the container (from the binary opened when the plan came) in
// a hook mode that runs the check in the container (an exec, as docker
// exec), bounds it by its timeout and records the result in the
// container's directory. One check runs at a time; the next one starts
// an interval after the previous one ended. The program's exit status
// says whether the container is still starting (HEALTH_STARTING), for
// the start interval.

// A check's program that runs this long past its own timeout is killed:
// Docker gives the exec 30 s to start, besides the timeout.
#define HEALTH_GRACE_NS (60ULL * 1000000000ULL)

static struct {
	int fd;
	char **argv, **env;
	uint64_t interval, start_period, start_interval, timeout; // ns
	uint64_t started, next, deadline;                          // CLOCK_MONOTONIC ns
	int starting;
	pid_t pid; // the check in progress, or 0
	int pidfd;
} health = {.fd = -1, .pidfd = -1, .starting = 1};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void dock_op_health(struct field *f)
{
	health.fd = open(f[0].p, O_RDONLY | O_CLOEXEC);
	if (health.fd < 0)
		dock_fail(1, errno, "open %s", f[0].p);
	health.argv = dock_split(&f[1]);
	health.env = dock_split(&f[2]);
	health.interval = dock_u64(&f[3]);
	health.start_period = dock_u64(&f[4]);
	health.start_interval = dock_u64(&f[5]);
	health.timeout = dock_u64(&f[6]);
	if (!health.interval || !health.start_interval)
		dock_fail(1, EINVAL, "bad plan: health check interval 0");
}

// interval is the wait before the next check, as Docker's health monitor
// has it: within the start period, the start interval while the
// container is starting, and never past the end of the start period.
static uint64_t interval(uint64_t now)
{
	uint64_t elapsed = now - health.started;
	if (elapsed >= health.start_period)
		return health.interval;
	uint64_t left = health.start_period - elapsed;
	if (left < health.interval)
		return left;
	return health.starting ? health.start_interval : health.interval;
}

void dock_health_begin(void)
{
	if (health.fd < 0)
		return;
	health.started = now_ns();
	health.next = health.started + interval(health.started);
}

static void start_check(uint64_t now)
{
	pid_t pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, health.fd, "", health.argv, health.env, AT_EMPTY_PATH);
		_exit(127);
	}
	if (pid < 0) {
		health.next = now + interval(now); // try again later
		return;
	}
	health.pid = pid;
	health.pidfd = syscall(SYS_pidfd_open, pid, 0);
	health.deadline = now + health.timeout + HEALTH_GRACE_NS;
}

// finish_check takes the check's status (reaped) and schedules the next.
static void finish_check(int status)
{
	if (health.pidfd >= 0)
		close(health.pidfd);
	health.pid = 0, health.pidfd = -1;
	health.starting = WIFEXITED(status) && WEXITSTATUS(status) == HEALTH_STARTING;
	uint64_t now = now_ns();
	health.next = now + interval(now);
}

// end_check reaps the check, killed first when kill_it.
static void end_check(int kill_it)
{
	int status = 0;
	if (kill_it)
		kill(health.pid, SIGKILL);
	while (waitpid(health.pid, &status, 0) < 0 && errno == EINTR)
		;
	finish_check(status);
}

int dock_health_fd(void)
{
	return health.pidfd;
}

int dock_health_timeout_ms(void)
{
	if (health.fd < 0)
		return -1;
	uint64_t now = now_ns(), until = health.pid ? health.deadline : health.next;
	if (health.pid && health.pidfd < 0)
		until = now + 10000000ULL; // no pidfd: look every 10 ms
	if (until <= now)
		return 0;
	uint64_t ms = (until - now + 999999) / 1000000;
	return ms > 1 << 30 ? 1 << 30 : (int)ms;
}

// dock_health_tick starts a check that is due, or ends one that exited
// (ready: its pidfd is readable) or ran too long.
void dock_health_tick(int ready)
{
	if (health.fd < 0)
		return;
	uint64_t now = now_ns();
	if (!health.pid) {
		if (now >= health.next)
			start_check(now);
		return;
	}
	if (ready)
		end_check(0);
	else if (now >= health.deadline)
		end_check(1);
	else if (health.pidfd < 0) {
		int status = 0;
		if (waitpid(health.pid, &status, WNOHANG) == health.pid)
			finish_check(status);
	}
}

// dock_health_stop ends the checks when the container has exited: a check
// in progress is killed (its result no longer matters).
void dock_health_stop(void)
{
	if (health.pid)
		end_check(1);
	health.fd = -1;
}
