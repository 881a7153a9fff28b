//go:build linux && cgo

// The prespawned init (package github.com/go-dock/dock/prespawn): in a
// program that asks for it, this constructor forks, before the Go runtime
// starts, a small process (the zygote) that clones the init of the
// program's first container, in the default namespaces, as a child of the
// program (CLONE_PARENT), reports the init's PID and exits. The init
// waits for its plan on the sync socket, as a re-executed one does; the
// engine takes it with dock_take_prespawned instead of cloning and
// executing a new one: both happened while the Go runtime started.

#include "nsinit.h"

// Defined by package prespawn: linking it in is the request.
extern const int dock_prespawn_wanted __attribute__((weak));
// Defined by the program, if it wants to narrow the request: asked first,
// before the Go runtime starts (it may read /proc/self/cmdline).
extern int dock_prespawn_filter(void) __attribute__((weak));

#define PRESPAWN_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)

static int prespawned_fd = -1; // the engine's end of the sync socket
static pid_t prespawned_zygote;

static void __attribute__((noreturn)) prespawned_init(void)
{
	// Attached semantics: it dies with the program. (Had the program
	// died before this, the plan's read ends: its socket is closed.)
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(1);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	dock_reset_process();
	dock_run_plan();
}

static void __attribute__((noreturn)) zygote(int sock)
{
	// Only the socket is kept, as descriptor 3 (close-on-exec): stdio
	// comes with the plan (OP_STDIO).
	if (sock != SYNC_FD && (dup2(sock, SYNC_FD) < 0 || close(sock) < 0))
		_exit(1);
	if (fcntl(SYNC_FD, F_SETFD, FD_CLOEXEC) < 0)
		_exit(1);
	syscall(SYS_close_range, 0, SYNC_FD - 1, 0);
	syscall(SYS_close_range, SYNC_FD + 1, ~0U, 0);
	pid_t pid = syscall(SYS_clone, CLONE_PARENT | PRESPAWN_FLAGS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		prespawned_init();
	int32_t v = pid > 0 ? pid : -errno;
	(void)!write(SYNC_FD, &v, sizeof v);
	_exit(0);
}

__attribute__((constructor)) static void dock_prespawn(void)
{
	if (!&dock_prespawn_wanted || getenv(NSINIT_ENV) || getenv(HOOK_ENV))
		return;
	if (dock_prespawn_filter && !dock_prespawn_filter())
		return;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	// fork without the C library's fork handlers: the process is
	// single-threaded and the child calls nothing that needs them.
	pid_t z = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (z == 0) {
		close(sv[0]);
		zygote(sv[1]);
	}
	close(sv[1]);
	if (z < 0) {
		close(sv[0]);
		return;
	}
	prespawned_fd = sv[0];
	prespawned_zygote = z;
}

// dock_take_prespawned hands the prespawned init's socket over, once (-1
// when there is none), and the zygote's PID, for the engine to reap.
int dock_take_prespawned(int *zygote_pid)
{
	int fd = prespawned_fd;
	prespawned_fd = -1;
	*zygote_pid = prespawned_zygote;
	return fd;
}

int dock_prespawn_flags(void) { return PRESPAWN_FLAGS; }

int dock_prespawned_waiting(void) { return prespawned_fd >= 0; }
