//go:build linux && cgo

// The container init. It runs as a constructor of the re-executed binary,
// before the Go runtime, when the environment names a sync socket. It reads
// a plan (see ops.go), carries out each operation in order and executes the
// user's process. On failure it writes an error report to the sync socket
// and exits; on success the socket closes with the execve (close-on-exec),
// which tells the engine that the process runs.
//
// Every path inside the container's root is resolved with openat2 and
// RESOLVE_IN_ROOT against a directory descriptor, and mounts are made on
// /proc/self/fd/N of the resolved descriptor, so that a symlink planted in
// an image or swapped in by another container can never redirect a mount
// or a write to the host (CVE-2021-30465, CVE-2025-31133).

#include "nsinit.h"

int dock_sync_fd = SYNC_FD;
int dock_userns_fd = -1;

// dock_fail writes an error report to the engine and exits with code.
// Format: 'E', code, errno, length (little-endian u32s), message.
void __attribute__((noreturn)) dock_fail(int code, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n >= (int)sizeof msg)
		n = sizeof msg - 1;
	unsigned char hdr[13];
	uint32_t v[3] = {(uint32_t)code, (uint32_t)err, (uint32_t)n};
	hdr[0] = REPORT_ERROR;
	memcpy(hdr + 1, v, sizeof v); // x86_64 and arm64 are little-endian
	if (write(dock_sync_fd, hdr, sizeof hdr) == sizeof hdr)
		(void)!write(dock_sync_fd, msg, n);
	_exit(code ? code : 1);
}

int dock_read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= r;
	}
	return 0;
}

uint64_t dock_u64(const struct field *f)
{
	uint64_t v = 0;
	if (f->n == 8)
		memcpy(&v, f->p, 8);
	return v;
}

// dock_split turns a NUL-separated list into a NULL-terminated vector.
char **dock_split(struct field *f)
{
	size_t n = 0;
	for (uint32_t i = 0; i < f->n; i++)
		n += f->p[i] == '\0';
	char **v = calloc(n + 1, sizeof *v);
	if (!v)
		dock_fail(1, ENOMEM, "plan");
	char *p = f->p;
	for (size_t i = 0; i < n; i++) {
		v[i] = p;
		p += strlen(p) + 1;
	}
	return v;
}

// Descriptors that came with the plan (SCM_RIGHTS), for OP_STDIO.
static int passed[3];
static int npassed;

// read_len reads the plan's length, and the descriptors that the engine
// may send with it: a prespawned init gets its stdio this way.
static int read_len(uint32_t *len)
{
	char cbuf[CMSG_SPACE(3 * sizeof(int))];
	struct iovec iov = {.iov_base = len, .iov_len = 4};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	ssize_t n;
	do
		n = recvmsg(dock_sync_fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int *fds = (int *)CMSG_DATA(c);
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			if (npassed < 3)
				passed[npassed++] = fds[i];
			else
				close(fds[i]);
		}
	}
	if (m.msg_flags & MSG_CTRUNC)
		dock_fail(1, 0, "read plan: too many descriptors");
	return n == 4 ? 0 : dock_read_full(dock_sync_fd, (char *)len + n, 4 - n);
}

// op_stdio makes the passed descriptors the process's stdin, stdout and
// stderr, in a new session: what the engine's clone does for a
// re-executed init. A terminal is the Console operation's.
static void op_stdio(void)
{
	if (npassed != 3)
		dock_fail(1, 0, "bad plan: stdio without its descriptors");
	int high[3];
	// Out of 0-2 first: a passed descriptor may hold a number another
	// one is moved to.
	for (int i = 0; i < 3; i++)
		if ((high[i] = fcntl(passed[i], F_DUPFD_CLOEXEC, 10)) < 0)
			dock_fail(1, errno, "stdio");
	for (int i = 0; i < 3; i++)
		close(passed[i]);
	for (int i = 0; i < 3; i++) {
		if (dup2(high[i], i) < 0)
			dock_fail(1, errno, "stdio");
		close(high[i]);
	}
	npassed = 0;
	if (setsid() < 0)
		dock_fail(1, errno, "setsid");
}

static void run(struct field *f, uint32_t op, uint32_t nf)
{
	static const uint8_t want[] = {
		[OP_MOUNT] = 6, [OP_ROOT] = 1, [OP_MKDIR] = 4, [OP_MKNOD] = 3,
		[OP_SYMLINK] = 2, [OP_PIVOT] = 0, [OP_MASK] = 1, [OP_READONLY] = 1,
		[OP_HOSTNAME] = 1, [OP_RLIMIT] = 3, [OP_USER] = 3, [OP_BOUNDING] = 1,
		[OP_CAPS] = 2, [OP_NNP] = 0, [OP_SECCOMP] = 1, [OP_CHDIR] = 1,
		[OP_EXEC] = 3, [OP_SETNS] = 2, [OP_FORK] = 0, [OP_REAPER] = 0,
		[OP_REMOUNT] = 2, [OP_CHDIR_HOST] = 1, [OP_PDEATHSIG] = 1,
		[OP_UNSHARE] = 1, [OP_MONITOR] = 7, [OP_JOIN] = 1,
		[OP_PAUSE] = 0, [OP_IDMAP] = 2, [OP_ENTER_USERNS] = 0, [OP_OPEN_USERNS] = 1,
		[OP_AUTOREMOVE] = 4, [OP_AUTOREMOVE_VOLUMES] = 3, [OP_STDIO] = 0, [OP_NULL_STDIO] = 1,
		[OP_EXIT_HOOK] = 4, [OP_HOLD] = 1, [OP_LOOPBACK] = 0,
		[OP_LINK] = 4, [OP_CONSOLE] = 4, [OP_RESTART_HOOK] = 5, [OP_HEALTH] = 7,
		[OP_WRITE_PROC] = 3, [OP_DEVICE] = 5, [OP_SHARE_MOUNT] = 3,
		[OP_SHARED_PIDNS] = 2, [OP_EVENTS] = 4, [OP_ATTACH] = 3,
	};
	if (op >= sizeof want || want[op] != nf)
		dock_fail(1, 0, "bad plan: op %u with %u fields", op, nf);
	switch (op) {
	case OP_MOUNT: dock_op_mount(f); break;
	case OP_ROOT: dock_op_root(f); break;
	case OP_MKDIR:
		dock_mkdir_all(f[0].p, dock_u64(&f[1]), 0, (uid_t)dock_u64(&f[2]), (gid_t)dock_u64(&f[3]));
		break;
	case OP_MKNOD: dock_op_mknod(f); break;
	case OP_SYMLINK: dock_op_symlink(f); break;
	case OP_PIVOT: dock_op_pivot(); break;
	case OP_MASK: dock_op_mask(f); break;
	case OP_READONLY: dock_op_readonly(f); break;
	case OP_REMOUNT: dock_op_remount(f); break;
	case OP_HOSTNAME:
		if (sethostname(f[0].p, f[0].n) < 0)
			dock_fail(1, errno, "sethostname");
		break;
	case OP_RLIMIT: {
		struct rlimit rl = {dock_u64(&f[1]), dock_u64(&f[2])};
		if (setrlimit((int)dock_u64(&f[0]), &rl) < 0)
			dock_fail(1, errno, "setrlimit %d", (int)dock_u64(&f[0]));
		break;
	}
	case OP_USER: dock_op_user(f); break;
	case OP_BOUNDING: dock_op_bounding(f); break;
	case OP_CAPS: dock_op_caps(f); break;
	case OP_NNP:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			dock_fail(1, errno, "set no_new_privs");
		break;
	case OP_SECCOMP: dock_op_seccomp(f); break;
	case OP_CHDIR: dock_op_chdir(f); break;
	case OP_CHDIR_HOST:
		if (chdir(f[0].p) < 0)
			dock_fail(1, errno, "chdir %s", f[0].p);
		break;
	case OP_EXEC: dock_op_exec(f);
	case OP_SETNS: dock_op_setns(f); break;
	case OP_FORK: dock_op_fork(); break;
	case OP_REAPER: dock_op_reaper(); break;
	case OP_MONITOR: dock_op_monitor(f); break;
	case OP_JOIN: dock_op_join(f); break;
	case OP_PAUSE: {
		// Hold the namespaces this process was made in until the engine
		// closes the socket.
		char c;
		while (read(dock_sync_fd, &c, 1) > 0 || errno == EINTR)
			;
		_exit(0);
	}
	case OP_IDMAP: dock_op_idmap(f); break;
	case OP_AUTOREMOVE: dock_op_autoremove(f); break;
	case OP_AUTOREMOVE_VOLUMES: dock_op_autoremove_volumes(f); break;
	case OP_STDIO: op_stdio(); break;
	case OP_NULL_STDIO: dock_op_null_stdio(f); break;
	case OP_EXIT_HOOK: dock_op_exit_hook(f); break;
	case OP_HOLD: dock_op_hold(f); break;
	case OP_RESTART_HOOK: dock_op_restart_hook(f); break;
	case OP_HEALTH: dock_op_health(f); break;
	case OP_LOOPBACK: dock_op_loopback(); break;
	case OP_LINK: dock_op_link(f); break;
	case OP_CONSOLE: dock_op_console(f); break;
	case OP_WRITE_PROC: dock_op_write_proc(f); break;
	case OP_DEVICE: dock_op_device(f); break;
	case OP_SHARE_MOUNT: dock_op_share_mount(f); break;
	case OP_SHARED_PIDNS: dock_op_shared_pidns(f); break;
	case OP_EVENTS: dock_op_events(f); break;
	case OP_ATTACH: dock_op_attach(f); break;
	case OP_OPEN_USERNS:
		if ((dock_userns_fd = open(f[0].p, O_RDONLY | O_CLOEXEC)) < 0)
			dock_fail(1, errno, "open %s", f[0].p);
		break;
	case OP_ENTER_USERNS:
		if (setns(dock_userns_fd, CLONE_NEWUSER) < 0)
			dock_fail(1, errno, "enter the user namespace");
		break;
	case OP_UNSHARE:
		if (unshare((int)dock_u64(&f[0])) < 0)
			dock_fail(1, errno, "unshare");
		break;
	case OP_PDEATHSIG:
		if (prctl(PR_SET_PDEATHSIG, (int)dock_u64(&f[0]), 0, 0, 0) < 0)
			dock_fail(1, errno, "set parent death signal");
		break;
	}
}

// dock_run_plan reads the plan from the sync socket and carries it out; it
// ends with the exec of the user's process or with an error report.
void __attribute__((noreturn)) dock_run_plan(void)
{
	char *p = NULL, *end = NULL, *copies = NULL;
	for (int next = 1;;) {
		if (next) {
			// The plan, or its next part (OP_NEXT). One allocation
			// holds it and the NUL-terminated copies of its fields
			// (each field has a 4-byte length before it: the copies
			// take at most len * 5 / 4 bytes), never freed: the process
			// execs or exits soon, and musl's allocator mapped and
			// unmapped memory for each field (about 50 mmaps and
			// munmaps per start, 0.6 ms with their TLB shootdowns).
			uint32_t len;
			if (read_len(&len) < 0 || len < 8 || len > MAX_PLAN)
				dock_fail(1, 0, "read plan");
			char *plan = malloc((size_t)len + len + len / 4 + 1);
			if (!plan || dock_read_full(dock_sync_fd, plan, len) < 0)
				dock_fail(1, errno, "read plan");
			p = plan, end = plan + len, copies = end, next = 0;
		}
		uint32_t hdr[2];
		if (end - p < 8)
			dock_fail(1, 0, "bad plan: truncated");
		memcpy(hdr, p, 8);
		p += 8;
		if (hdr[0] == OP_END)
			break;
		if (hdr[0] == OP_NEXT) {
			if (hdr[1] != 0)
				dock_fail(1, 0, "bad plan: op %u has %u fields", hdr[0], hdr[1]);
			next = 1;
			continue;
		}
		if (hdr[1] > MAX_FIELDS)
			dock_fail(1, 0, "bad plan: op %u has %u fields", hdr[0], hdr[1]);
		struct field f[MAX_FIELDS] = {0};
		for (uint32_t i = 0; i < hdr[1]; i++) {
			uint32_t n;
			if (end - p < 4)
				dock_fail(1, 0, "bad plan: truncated");
			memcpy(&n, p, 4);
			p += 4;
			if ((uint64_t)(end - p) < n)
				dock_fail(1, 0, "bad plan: truncated");
			f[i].p = copies;
			copies += n + 1;
			memcpy(f[i].p, p, n);
			f[i].p[n] = '\0';
			f[i].n = n;
			p += n;
		}
		run(f, hdr[0], hdr[1]);
	}
	dock_fail(1, 0, "bad plan: no exec");
}

// dock_reset_process gives the init a clean slate, whatever the engine's
// process (or its parent) had: every signal to its default and none
// blocked, the kernel's usual timer slack (the example CLI raises its
// own), and a umask of 0 for the setup (dock_op_exec sets 022). The signals
// through the kernel's calls, not the C library's: glibc and musl refuse
// to touch the ones they reserve for their threads (32-34), which the
// engine's process may still have ignored (the race detector's runtime
// does). A kernel sigaction of zeros is SIG_DFL, no flags, no mask, on
// every architecture.
void dock_reset_process(void)
{
	uint64_t dfl[4] = {0}, none = 0;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			syscall(SYS_rt_sigaction, s, dfl, NULL, sizeof none);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
	prctl(PR_SET_TIMERSLACK, 50000UL, 0, 0, 0);
	umask(0);
}

// dock_nsinit runs before main when the environment asks for it, and never
// returns: the process becomes the container's process or exits.
__attribute__((constructor)) static void dock_nsinit(void)
{
	const char *env = getenv(NSINIT_ENV);
	if (!env || !*env)
		return;
	// Other processes of the container must not reach this binary
	// through /proc/PID/exe or /proc/PID/mem while it runs.
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	// Only the sync socket is ours; the binary's descriptor and anything
	// else inherited is closed (CVE-2024-21626).
	syscall(SYS_close_range, SYNC_FD + 1, ~0U, 0);
	// The socket closes with the final execve: that is how the engine
	// learns that the process runs.
	if (fcntl(dock_sync_fd, F_SETFD, FD_CLOEXEC) < 0)
		dock_fail(1, errno, "sync socket");
	dock_reset_process();
	dock_run_plan();
}
