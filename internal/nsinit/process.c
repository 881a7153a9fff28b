//go:build linux && cgo

// The process: identity, capabilities, seccomp, working directory, exec;
// and the forks (exec into a running container, the minimal init).

#include "nsinit.h"

void dock_op_user(struct field *f)
{
	uint64_t uid = dock_u64(&f[0]), gid = dock_u64(&f[1]);
	size_t ng = f[2].n / 4;
	gid_t groups[ng ? ng : 1];
	memcpy(groups, f[2].p, ng * 4);
	// (uid_t)-1 means "unchanged" to the kernel: an ID out of range would
	// leave the process root. The engine refuses them; so does the init.
	if (uid > MAX_ID || gid > MAX_ID)
		dock_fail(1, EINVAL, "user %llu:%llu is outside 0..%d", (unsigned long long)uid, (unsigned long long)gid, MAX_ID);
	for (size_t i = 0; i < ng; i++)
		if (groups[i] > MAX_ID)
			dock_fail(1, EINVAL, "group %u is outside 0..%d", groups[i], MAX_ID);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		dock_fail(1, errno, "keep capabilities");
	if (setgroups(ng, groups) < 0)
		dock_fail(1, errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		dock_fail(1, errno, "setgid %llu", (unsigned long long)gid);
	if (setresuid(uid, uid, uid) < 0)
		dock_fail(1, errno, "setuid %llu", (unsigned long long)uid);
	uid_t r, e, s;
	gid_t rg, eg, sg;
	if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0 || r != uid || e != uid ||
	    s != uid || rg != gid || eg != gid || sg != gid)
		dock_fail(1, EPERM, "the process is not user %llu:%llu after setting it", (unsigned long long)uid,
		     (unsigned long long)gid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		dock_fail(1, errno, "clear keep capabilities");
}

// dock_op_null_stdio puts the container's own /dev/null on the descriptors of
// the mask (bits 0-2) in place of the host's, which the engine or the
// monitor opened: through /proc/self/fd a container could otherwise
// chmod or chown the host's null device. The node must be the null
// device reached without symlinks: an exec'd process must not take
// whatever a container put in its /dev.
void dock_op_null_stdio(struct field *f)
{
	uint64_t mask = dock_u64(&f[0]);
	if (!mask)
		return;
	struct open_how how = {
		.flags = O_RDWR | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;
	do
		fd = syscall(SYS_openat2, AT_FDCWD, "/dev/null", &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0)
		dock_fail(1, errno, "open the container's /dev/null");
	struct stat st;
	if (fstat(fd, &st) < 0)
		dock_fail(1, errno, "stat the container's /dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		dock_fail(1, 0, "the container's /dev/null is not the null device");
	for (int i = 0; i < 3; i++)
		if ((mask & (1 << i)) && dup2(fd, i) < 0)
			dock_fail(1, errno, "stdio on /dev/null");
	close(fd);
}

void dock_op_bounding(struct field *f)
{
	uint64_t keep = dock_u64(&f[0]);
	for (int c = 0; c < 64; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability: so are the rest */
			dock_fail(1, errno, "drop capability %d from the bounding set", c);
		}
	}
}

void dock_op_caps(struct field *f)
{
	uint64_t set = dock_u64(&f[0]), ambient = dock_u64(&f[1]);
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2], cur[2];
	// Ask only for what this process has: a host without, say,
	// CAP_SYS_RESOURCE cannot grant it to a privileged container.
	if (syscall(SYS_capget, &hdr, cur) < 0)
		dock_fail(1, errno, "get capabilities");
	set &= (uint64_t)cur[0].permitted | ((uint64_t)cur[1].permitted << 32);
	ambient &= set;
	for (int i = 0; i < 2; i++) {
		data[i].effective = data[i].permitted = (uint32_t)(set >> (32 * i));
		// The inheritable set stays empty, as in runc since
		// CVE-2022-29162: it could hand capabilities to programs that
		// carry inheritable file capabilities.
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		dock_fail(1, errno, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		dock_fail(1, errno, "clear ambient capabilities");
	for (int c = 0; c < 64; c++)
		if ((ambient & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			dock_fail(1, errno, "raise ambient capability %d", c);
}

void dock_op_seccomp(struct field *f)
{
	struct sock_fprog prog = {
		.len = f[0].n / sizeof(struct sock_filter),
		.filter = (struct sock_filter *)f[0].p,
	};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		dock_fail(1, errno, "load seccomp filter");
}

void dock_op_chdir(struct field *f)
{
	char cwd[PATH_MAX];
	if (chdir(f[0].p) < 0)
		dock_fail(1, errno, "chdir to %s", f[0].p);
	// A working directory outside the root (a leaked descriptor seen
	// through /proc/self/fd) reads as "(unreachable)/...": refuse it
	// (CVE-2024-21626).
	if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/')
		dock_fail(1, errno, "working directory %s is outside the container", f[0].p);
}


void __attribute__((noreturn)) dock_op_exec(struct field *f)
{
	const char *file = f[0].p;
	char **argv = dock_split(&f[1]), **envp = dock_split(&f[2]);
	umask(022);
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		int err = errno;
		dock_fail(err == ENOENT ? 127 : 126, err, "exec %s", file);
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	int denied = 0;
	char buf[PATH_MAX];
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		int len = end - p;
		if (len == 0)
			snprintf(buf, sizeof buf, "%s", file);
		else
			snprintf(buf, sizeof buf, "%.*s/%s", len, p, file);
		execve(buf, argv, envp);
		if (errno == EACCES)
			denied = 1;
		else if (errno != ENOENT && errno != ENOTDIR)
			dock_fail(126, errno, "exec %s", buf);
		if (!*end)
			break;
		p = end;
	}
	if (denied)
		dock_fail(126, EACCES, "exec: \"%s\"", file);
	dock_fail(127, 0, "exec: \"%s\": executable file not found in $PATH", file);
}

void dock_op_setns(struct field *f)
{
	int fd = open(f[0].p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		dock_fail(1, errno, "open %s", f[0].p);
	if (setns(fd, (int)dock_u64(&f[1])) < 0)
		dock_fail(1, errno, "setns %s", f[0].p);
	close(fd);
}

// A forked process (dock_op_fork, dock_op_monitor) goes on only once the engine has
// placed it: the parent reports its PID ('P' and a little-endian u32) and
// leaves the socket to it; the child waits for the go-ahead byte 'G'.
void dock_report_pid(pid_t pid)
{
	unsigned char msg[5] = {REPORT_PID};
	uint32_t p = pid;
	memcpy(msg + 1, &p, 4);
	if (write(dock_sync_fd, msg, sizeof msg) != sizeof msg)
		_exit(1);
	close(dock_sync_fd);
}

void dock_wait_go(void)
{
	char go;
	if (dock_read_full(dock_sync_fd, &go, 1) < 0 || go != REPORT_GO)
		_exit(1);
}

static volatile pid_t relay_child;

static void relay(int sig)
{
	if (relay_child > 0)
		kill(relay_child, sig);
}

// exit_like ends the process the way the child ended.
static void __attribute__((noreturn)) exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		signal(sig, SIG_DFL);
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, sig);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
		kill(getpid(), sig);
		_exit(128 + sig); // PID 1 cannot be killed by its own signal
	}
	_exit(WEXITSTATUS(status));
}

// dock_op_fork forks after setns into a PID namespace: the child is the new
// process; this process relays signals to it and exits as it exits.
void dock_op_fork(void)
{
	pid_t pid = fork();
	if (pid < 0)
		dock_fail(1, errno, "fork");
	if (pid == 0) {
		dock_wait_go();
		return;
	}
	dock_report_pid(pid);
	relay_child = pid;
	struct sigaction sa = {.sa_handler = relay, .sa_flags = SA_RESTART};
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD)
			sigaction(s, &sa, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	exit_like(status);
}

// dock_op_reaper forks: this process stays as PID 1, forwards signals to the
// child and reaps every zombie; it exits as the child exits.
void dock_op_reaper(void)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid < 0)
		dock_fail(1, errno, "fork");
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return;
	}
	close(dock_sync_fd);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		int status;
		pid_t w;
		while ((w = waitpid(-1, &status, WNOHANG)) > 0)
			if (w == pid)
				exit_like(status);
	}
}
