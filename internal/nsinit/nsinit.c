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

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <time.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	OP_END = 0, OP_MOUNT = 1, OP_ROOT = 2, OP_MKDIR = 3, OP_MKNOD = 4,
	OP_SYMLINK = 5, OP_PIVOT = 6, OP_MASK = 7, OP_READONLY = 8,
	OP_HOSTNAME = 9, OP_RLIMIT = 10, OP_USER = 11, OP_BOUNDING = 12,
	OP_CAPS = 13, OP_NNP = 14, OP_SECCOMP = 15, OP_CHDIR = 16, OP_EXEC = 17,
	OP_SETNS = 18, OP_FORK = 19, OP_REAPER = 20, OP_REMOUNT = 21,
	OP_CHDIR_HOST = 22, OP_PDEATHSIG = 23, OP_UNSHARE = 24, OP_MONITOR = 25, OP_JOIN = 26,
	OP_PAUSE = 27, OP_IDMAP = 28, OP_ENTER_USERNS = 29, OP_OPEN_USERNS = 30,
	OP_AUTOREMOVE = 31,
};

enum {
	M_IN_ROOT = 1 << 0, M_MKDIR = 1 << 1, M_MKFILE = 1 << 2,
	M_NOSYMLINKS = 1 << 3, M_VERIFY_PROC = 1 << 4, M_VERIFY_SYS = 1 << 5,
	M_REMOUNT = 1 << 6, M_SOURCE_TTY = 1 << 7,
};

#define SYNC_FD 3
#define MAX_PLAN (64 << 20)
#define MAX_FIELDS 8

static int sync_fd = SYNC_FD;
static int root_fd = -1;

struct field {
	char *p; // NUL-terminated copy
	uint32_t n;
};

// report writes an error report to the engine and exits with code.
// Format: 'E', code, errno, length (little-endian u32s), message.
static void __attribute__((noreturn)) fail(int code, int err, const char *fmt, ...)
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
	hdr[0] = 'E';
	memcpy(hdr + 1, v, sizeof v); // x86_64 and arm64 are little-endian
	if (write(sync_fd, hdr, sizeof hdr) == sizeof hdr)
		(void)!write(sync_fd, msg, n);
	_exit(code ? code : 1);
}

static int read_full(int fd, void *buf, size_t n)
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

static uint64_t u64(const struct field *f)
{
	uint64_t v = 0;
	if (f->n == 8)
		memcpy(&v, f->p, 8);
	return v;
}

static char fdpath_buf[2][64];
static const char *fdpath(int slot, int fd)
{
	snprintf(fdpath_buf[slot], sizeof fdpath_buf[slot], "/proc/self/fd/%d", fd);
	return fdpath_buf[slot];
}

// in_root opens path inside the root without ever leaving it.
static int in_root(const char *path, int flags, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};
	int fd;
	do
		fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	return fd;
}

// parent_in_root opens the parent directory of path inside the root and
// returns the last component in *base.
static int parent_in_root(char *path, const char **base)
{
	char *slash = strrchr(path, '/');
	if (!slash) {
		*base = path;
		return in_root("/", O_PATH | O_DIRECTORY, 0);
	}
	*slash = '\0';
	int fd = in_root(path[0] ? path : "/", O_PATH | O_DIRECTORY, 0);
	*slash = '/';
	*base = slash + 1;
	return fd;
}

// mkdir_all creates path and its missing parents inside the root. The
// last component is a file when file is set.
static void mkdir_all(const char *path, mode_t mode, int file, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX];
	if (strlen(path) >= sizeof buf)
		fail(1, ENAMETOOLONG, "mkdir %s", path);
	strcpy(buf, path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		int last = *p == '\0';
		char save = *p;
		*p = '\0';
		int fd = in_root(buf, O_PATH, 0);
		if (fd >= 0) {
			close(fd);
		} else if (errno == ENOENT) {
			const char *base;
			int dfd = parent_in_root(buf, &base);
			if (dfd < 0)
				fail(1, errno, "mkdir %s", buf);
			int r;
			if (last && file) {
				r = openat(dfd, base, O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_WRONLY, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(dfd, base, mode);
			}
			if (r < 0 && errno != EEXIST)
				fail(1, errno, "mkdir %s", buf);
			if (r >= 0 && uid != (uid_t)-1 && fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
				fail(1, errno, "chown %s", buf);
			close(dfd);
		} else {
			fail(1, errno, "open %s", buf);
		}
		*p = save;
		if (last)
			break;
	}
}

// statfs_flags returns the mount flags that a bind remount must keep
// (locked flags cannot be cleared inside a user namespace).
static unsigned long statfs_flags(int fd)
{
	struct statfs st;
	unsigned long f = 0;
	if (fstatfs(fd, &st) < 0)
		return 0;
	if (st.f_flags & ST_NOSUID) f |= MS_NOSUID;
	if (st.f_flags & ST_NODEV) f |= MS_NODEV;
	if (st.f_flags & ST_NOEXEC) f |= MS_NOEXEC;
	if (st.f_flags & ST_RDONLY) f |= MS_RDONLY;
	return f;
}

static void op_mount(struct field *f)
{
	uint64_t flags = u64(&f[0]);
	const char *src = f[1].p, *target = f[2].p, *fstype = f[3].p, *data = f[5].p;
	char tty[64];
	// The terminal a monitor made: named by the path of stdin in this
	// mount namespace (a bind from another namespace is refused).
	if ((flags & M_SOURCE_TTY) && ttyname_r(0, tty, sizeof tty) == 0)
		src = tty;
	else if (flags & M_SOURCE_TTY)
		fail(1, errno, "mount %s: stdin is not a terminal", target);
	unsigned long mflags = u64(&f[4]);
	const char *tpath = target;
	int tfd = -1;
	uint64_t resolve = (flags & M_NOSYMLINKS) ? RESOLVE_NO_SYMLINKS : 0;

	if (flags & M_IN_ROOT) {
		if (flags & (M_MKDIR | M_MKFILE))
			mkdir_all(target, 0755, !!(flags & M_MKFILE), (uid_t)-1, (gid_t)-1);
		tfd = in_root(target, O_PATH, resolve);
		if (tfd < 0)
			fail(1, errno, "mount %s: open target", target);
		tpath = fdpath(0, tfd);
	}
	// A bind source is a host path that the engine chose (a volume) or
	// the caller named (a bind mount): it is trusted as given. A bind is
	// made first, and the flags (ro, nosuid...) applied by a remount.
	unsigned long first = mflags;
	if (mflags & MS_BIND)
		first = mflags & (MS_BIND | MS_REC);
	if (mount(src[0] ? src : NULL, tpath, fstype[0] ? fstype : NULL, first, data[0] ? data : NULL) < 0)
		fail(1, errno, "mount %s on %s", src[0] ? src : fstype, target);
	if (tfd >= 0) {
		close(tfd);
		tfd = -1;
	}
	if (!(flags & (M_REMOUNT | M_VERIFY_PROC | M_VERIFY_SYS)))
		return;
	// Reopen: the descriptor opened before mounting names the covered
	// directory, not the new mount.
	if (flags & M_IN_ROOT) {
		tfd = in_root(target, O_PATH, RESOLVE_NO_SYMLINKS);
		if (tfd < 0)
			fail(1, errno, "mount %s: reopen target", target);
		tpath = fdpath(0, tfd);
	}
	if (flags & (M_VERIFY_PROC | M_VERIFY_SYS)) {
		struct statfs st;
		long want = (flags & M_VERIFY_PROC) ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
		if (tfd < 0 || fstatfs(tfd, &st) < 0 || st.f_type != want)
			fail(1, 0, "mount %s: not the filesystem mounted", target);
	}
	if ((flags & M_REMOUNT) && (mflags & MS_BIND)) {
		unsigned long keep = tfd >= 0 ? statfs_flags(tfd) & ~MS_RDONLY : 0;
		unsigned long rf = MS_BIND | MS_REMOUNT | keep |
			(mflags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
		if (mount(NULL, tpath, NULL, rf, NULL) < 0)
			fail(1, errno, "remount %s", target);
	}
	if (tfd >= 0)
		close(tfd);
}

static void op_root(struct field *f)
{
	if (root_fd >= 0)
		close(root_fd);
	root_fd = open(f[0].p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		fail(1, errno, "open root %s", f[0].p);
}

static void op_mknod(struct field *f)
{
	const char *base;
	int dfd = parent_in_root(f[0].p, &base);
	if (dfd < 0)
		fail(1, errno, "mknod %s", f[0].p);
	if (mknodat(dfd, base, (mode_t)u64(&f[1]), (dev_t)u64(&f[2])) < 0 && errno != EEXIST)
		fail(1, errno, "mknod %s", f[0].p);
	close(dfd);
}

static void op_symlink(struct field *f)
{
	const char *base;
	int dfd = parent_in_root(f[1].p, &base);
	if (dfd < 0)
		fail(1, errno, "symlink %s", f[1].p);
	if (symlinkat(f[0].p, dfd, base) < 0 && errno != EEXIST)
		fail(1, errno, "symlink %s", f[1].p);
	close(dfd);
}

static void op_pivot(void)
{
	if (fchdir(root_fd) < 0)
		fail(1, errno, "chdir to root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(1, errno, "pivot_root");
	// The old root is stacked under the new one: make it private so that
	// the detach does not propagate to the host, then detach it.
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail(1, errno, "make old root slave");
	if (umount2(".", MNT_DETACH) < 0)
		fail(1, errno, "detach old root");
	if (chdir("/") < 0)
		fail(1, errno, "chdir /");
	close(root_fd);
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		fail(1, errno, "open /");
}

// op_mask hides a path. The /dev/null bound over files is verified to be
// the null device, so that an image whose /dev/null is a symlink cannot
// make the mask bind a host or procfs file (CVE-2025-31133).
static void op_mask(struct field *f)
{
	int fd = in_root(f[0].p, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail(1, errno, "mask %s", f[0].p);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		fail(1, errno, "mask %s", f[0].p);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", fdpath(0, fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
			fail(1, errno, "mask %s", f[0].p);
	} else {
		int null = in_root("/dev/null", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
		struct stat ns;
		if (null < 0 || fstat(null, &ns) < 0 || !S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3))
			fail(1, errno, "mask %s: /dev/null is not the null device", f[0].p);
		if (mount(fdpath(1, null), fdpath(0, fd), NULL, MS_BIND, NULL) < 0)
			fail(1, errno, "mask %s", f[0].p);
		close(null);
	}
	close(fd);
}

static void op_readonly(struct field *f)
{
	int fd = in_root(f[0].p, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail(1, errno, "readonly %s", f[0].p);
	}
	if (mount(fdpath(0, fd), fdpath(0, fd), NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(1, errno, "readonly %s", f[0].p);
	close(fd);
	fd = in_root(f[0].p, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		fail(1, errno, "readonly %s", f[0].p);
	unsigned long keep = statfs_flags(fd);
	if (mount(NULL, fdpath(0, fd), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
		fail(1, errno, "readonly %s", f[0].p);
	close(fd);
}

static void op_remount(struct field *f)
{
	int fd = in_root(f[0].p, O_PATH, 0);
	if (fd < 0)
		fail(1, errno, "remount %s", f[0].p);
	unsigned long mflags = u64(&f[1]) | (statfs_flags(fd) & ~MS_RDONLY);
	if (mount(NULL, fdpath(0, fd), NULL, MS_REMOUNT | MS_BIND | mflags, NULL) < 0)
		fail(1, errno, "remount %s", f[0].p);
	close(fd);
}

static void op_user(struct field *f)
{
	uid_t uid = u64(&f[0]);
	gid_t gid = u64(&f[1]);
	size_t ng = f[2].n / 4;
	gid_t groups[ng ? ng : 1];
	memcpy(groups, f[2].p, ng * 4);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail(1, errno, "keep capabilities");
	if (setgroups(ng, groups) < 0)
		fail(1, errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		fail(1, errno, "setgid %u", gid);
	if (setresuid(uid, uid, uid) < 0)
		fail(1, errno, "setuid %u", uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail(1, errno, "clear keep capabilities");
}

static void op_bounding(struct field *f)
{
	uint64_t keep = u64(&f[0]);
	for (int c = 0; c < 64; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			fail(1, errno, "drop capability %d from the bounding set", c);
	}
}

static void op_caps(struct field *f)
{
	uint64_t set = u64(&f[0]), ambient = u64(&f[1]);
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2], cur[2];
	// Ask only for what this process has: a host without, say,
	// CAP_SYS_RESOURCE cannot grant it to a privileged container.
	if (syscall(SYS_capget, &hdr, cur) < 0)
		fail(1, errno, "get capabilities");
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
		fail(1, errno, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail(1, errno, "clear ambient capabilities");
	for (int c = 0; c < 64; c++)
		if ((ambient & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			fail(1, errno, "raise ambient capability %d", c);
}

static void op_seccomp(struct field *f)
{
	struct sock_fprog prog = {
		.len = f[0].n / sizeof(struct sock_filter),
		.filter = (struct sock_filter *)f[0].p,
	};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		fail(1, errno, "load seccomp filter");
}

static void op_chdir(struct field *f)
{
	char cwd[PATH_MAX];
	if (chdir(f[0].p) < 0)
		fail(1, errno, "chdir to %s", f[0].p);
	// A working directory outside the root (a leaked descriptor seen
	// through /proc/self/fd) reads as "(unreachable)/...": refuse it
	// (CVE-2024-21626).
	if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/')
		fail(1, errno, "working directory %s is outside the container", f[0].p);
}

// split turns a NUL-separated list into a NULL-terminated vector.
static char **split(struct field *f)
{
	size_t n = 0;
	for (uint32_t i = 0; i < f->n; i++)
		n += f->p[i] == '\0';
	char **v = calloc(n + 1, sizeof *v);
	if (!v)
		fail(1, ENOMEM, "plan");
	char *p = f->p;
	for (size_t i = 0; i < n; i++) {
		v[i] = p;
		p += strlen(p) + 1;
	}
	return v;
}

static void __attribute__((noreturn)) op_exec(struct field *f)
{
	const char *file = f[0].p;
	char **argv = split(&f[1]), **envp = split(&f[2]);
	umask(022);
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		int err = errno;
		fail(err == ENOENT ? 127 : 126, err, "exec %s", file);
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
			fail(126, errno, "exec %s", buf);
		if (!*end)
			break;
		p = end;
	}
	if (denied)
		fail(126, EACCES, "exec: \"%s\"", file);
	fail(127, 0, "exec: \"%s\": executable file not found in $PATH", file);
}

static void op_setns(struct field *f)
{
	int fd = open(f[0].p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(1, errno, "open %s", f[0].p);
	if (setns(fd, (int)u64(&f[1])) < 0)
		fail(1, errno, "setns %s", f[0].p);
	close(fd);
}

// A forked process (op_fork, op_monitor) goes on only once the engine has
// placed it: the parent reports its PID ('P' and a little-endian u32) and
// leaves the socket to it; the child waits for the go-ahead byte 'G'.
static void report_pid(pid_t pid)
{
	unsigned char msg[5] = {'P'};
	uint32_t p = pid;
	memcpy(msg + 1, &p, 4);
	if (write(sync_fd, msg, sizeof msg) != sizeof msg)
		_exit(1);
	close(sync_fd);
}

static void wait_go(void)
{
	char go;
	if (read_full(sync_fd, &go, 1) < 0 || go != 'G')
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

// op_fork forks after setns into a PID namespace: the child is the new
// process; this process relays signals to it and exits as it exits.
static void op_fork(void)
{
	pid_t pid = fork();
	if (pid < 0)
		fail(1, errno, "fork");
	if (pid == 0) {
		wait_go();
		return;
	}
	report_pid(pid);
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

// op_reaper forks: this process stays as PID 1, forwards signals to the
// child and reaps every zombie; it exits as the child exits.
static void op_reaper(void)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid < 0)
		fail(1, errno, "fork");
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return;
	}
	close(sync_fd);
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



// User namespaces. The init sets up the container as host root, then
// enters a user namespace made beforehand by the engine (a process that
// only holds it, see OP_PAUSE), just before it switches to the
// container's user: every mount is made with the host's privileges, and
// the image's layers appear with mapped owners through idmapped mounts
// (op_idmap), so that layers stay shared and unchanged.
static int userns_fd = -1;

// op_idmap mounts an idmapped view of the directory src (a layer) on dst.
static void op_idmap(struct field *f)
{
	int fd = open_tree(AT_FDCWD, f[0].p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		fail(1, errno, "open_tree %s", f[0].p);
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns_fd};
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
		fail(1, errno, "idmap %s", f[0].p);
	if (move_mount(fd, "", AT_FDCWD, f[1].p, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		fail(1, errno, "mount idmapped %s on %s", f[0].p, f[1].p);
	close(fd);
}

// Monitor: a detached container's parent. It has no Go runtime and keeps
// only the log file and two pipes open: it copies the container's output
// into the log as Docker's json-file lines and records the exit status.

static size_t json_escape(char *dst, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = src[i];
		switch (ch) {
		case '"': dst[o++] = '\\'; dst[o++] = '"'; break;
		case '\\': dst[o++] = '\\'; dst[o++] = '\\'; break;
		case '\n': dst[o++] = '\\'; dst[o++] = 'n'; break;
		case '\r': dst[o++] = '\\'; dst[o++] = 'r'; break;
		case '\t': dst[o++] = '\\'; dst[o++] = 't'; break;
		default:
			if (ch < 0x20) {
				memcpy(dst + o, "\\u00", 4);
				dst[o + 4] = hex[ch >> 4];
				dst[o + 5] = hex[ch & 15];
				o += 6;
			} else {
				dst[o++] = ch;
			}
		}
	}
	return o;
}

static void rfc3339(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

#define LOG_LINE (16 << 10)

struct stream {
	int fd;
	const char *name;
	char buf[LOG_LINE];
	size_t len;
};

static void log_line(int logfd, struct stream *s, size_t n)
{
	static char out[LOG_LINE * 6 + 128];
	char ts[48];
	rfc3339(ts, sizeof ts);
	size_t o = 0;
	memcpy(out, "{\"log\":\"", 8);
	o = 8;
	o += json_escape(out + o, s->buf, n);
	o += snprintf(out + o, sizeof out - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", s->name, ts);
	(void)!write(logfd, out, o);
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
}

// pump reads what is available; it returns 0 at end of stream.
static int pump(int logfd, struct stream *s)
{
	ssize_t r = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (r <= 0) {
		if (s->len > 0)
			log_line(logfd, s, s->len);
		return 0;
	}
	s->len += r;
	for (;;) {
		char *nl = memchr(s->buf, '\n', s->len);
		if (nl)
			log_line(logfd, s, nl - s->buf + 1);
		else if (s->len == sizeof s->buf)
			log_line(logfd, s, s->len);
		else
			break;
	}
	return 1;
}

static void write_exit(const char *path, int status)
{
	char tmp[PATH_MAX], ts[48], body[256];
	int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	rfc3339(ts, sizeof ts);
	int n = snprintf(body, sizeof body, "{\"code\":%d,\"signal\":%d,\"exitedAt\":\"%s\"}\n", code, sig, ts);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	(void)!write(fd, body, n);
	close(fd);
	rename(tmp, path);
}


// Auto-removal (docker run -d --rm): once the exit is recorded, the
// monitor removes the container as the engine's Remove would, under the
// engine's lock: its cgroup directories, then its directory, renamed into
// the engine's tmp/ first so that the name is free at once.
static struct {
	char *lock, *dir, *trash, *cgroups;
} autorm;

static void op_autoremove(struct field *f)
{
	autorm.lock = strdup(f[0].p);
	autorm.dir = strdup(f[1].p);
	autorm.trash = strdup(f[2].p);
	autorm.cgroups = malloc(f[3].n + 1);
	if (!autorm.lock || !autorm.dir || !autorm.trash || !autorm.cgroups)
		fail(1, ENOMEM, "plan");
	memcpy(autorm.cgroups, f[3].p, f[3].n + 1);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		return 0; // go on: remove what can be removed
	return 0;
}

static void auto_remove(void)
{
	if (!autorm.dir)
		return;
	int lock = open(autorm.lock, O_RDWR | O_CLOEXEC);
	if (lock >= 0)
		flock(lock, LOCK_EX);
	// A cgroup is busy for a moment after its last process died.
	for (char *c = autorm.cgroups; *c; c += strlen(c) + 1)
		for (int i = 0; i < 20; i++) {
			if (rmdir(c) == 0 || errno != EBUSY)
				break;
			usleep(5000 * (i + 1));
		}
	if (rename(autorm.dir, autorm.trash) == 0)
		nftw(autorm.trash, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (lock >= 0)
		close(lock);
}

static void op_monitor(struct field *f)
{
	const char *logpath = f[0].p, *exitpath = f[1].p;
	uint64_t flags = u64(&f[2]);
	// The process the engine started exits at once, so that the engine
	// can reap it; the monitor goes on, orphaned, in its own session.
	pid_t m = fork();
	if (m < 0)
		fail(1, errno, "fork monitor");
	if (m > 0)
		_exit(0);
	// Output comes through two pipes, or with a terminal (tty) through a
	// pseudo-terminal whose master the monitor keeps.
	int tty = u64(&f[4]) != 0;
	int out[2], err[2], master = -1, slave = -1;
	if (tty) {
		char name[64];
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0)
			fail(1, errno, "open pty");
		slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0)
			fail(1, errno, "open %s", name);
	} else if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		fail(1, errno, "pipe");
	}
	int logfd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (logfd < 0)
		fail(1, errno, "open log");
	// The init is born in its cgroup (cgroup v2, or the cgroup2 tracking
	// directory of a hybrid host) when one is given.
	struct clone_args ca = {.flags = flags, .exit_signal = SIGCHLD};
	int cgfd = -1;
	if (f[3].n > 0) {
		cgfd = open(f[3].p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cgfd < 0)
			fail(1, errno, "open cgroup %s", f[3].p);
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = cgfd;
	}
	pid_t pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0)
		fail(1, errno, "clone3");
	if (pid == 0) {
		if (tty) {
			if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 ||
			    dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
				fail(1, errno, "terminal");
		} else {
			int null = open("/dev/null", O_RDONLY);
			if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
				fail(1, errno, "stdio");
			close(null);
		}
		if (cgfd >= 0)
			close(cgfd);
		wait_go();
		return;
	}
	if (cgfd >= 0)
		close(cgfd);
	if (tty) {
		close(slave);
	} else {
		close(out[1]);
		close(err[1]);
	}
	report_pid(pid);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	static struct stream so, se;
	// A terminal mixes both streams; Docker logs it as stdout.
	so.fd = tty ? master : out[0], so.name = "stdout";
	se.fd = tty ? -1 : err[0], se.name = "stderr";
	int open_streams = tty ? 1 : 2;
	struct pollfd pfd[2] = {{so.fd, POLLIN, 0}, {se.fd, POLLIN, 0}};
	while (open_streams > 0) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		struct stream *ss[2] = {&so, &se};
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!pump(logfd, ss[i])) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_streams--;
			}
		}
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	write_exit(exitpath, status);
	auto_remove();
	_exit(0);
}

// op_join moves this (single-threaded) process into cgroup v1
// hierarchies by writing "0" to their tasks files: a thread that moves
// itself skips the global lock that moving another process takes, and
// with it a wait for an RCU grace period.
static void op_join(struct field *f)
{
	char **files = split(f);
	for (char **p = files; *p; p++) {
		int fd = open(*p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			fail(1, errno, "join cgroup %s", *p);
		close(fd);
	}
	free(files);
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
		[OP_UNSHARE] = 1, [OP_MONITOR] = 5, [OP_JOIN] = 1,
		[OP_PAUSE] = 0, [OP_IDMAP] = 2, [OP_ENTER_USERNS] = 0, [OP_OPEN_USERNS] = 1,
		[OP_AUTOREMOVE] = 4,
	};
	if (op >= sizeof want || want[op] != nf)
		fail(1, 0, "bad plan: op %u with %u fields", op, nf);
	switch (op) {
	case OP_MOUNT: op_mount(f); break;
	case OP_ROOT: op_root(f); break;
	case OP_MKDIR:
		mkdir_all(f[0].p, u64(&f[1]), 0, (uid_t)u64(&f[2]), (gid_t)u64(&f[3]));
		break;
	case OP_MKNOD: op_mknod(f); break;
	case OP_SYMLINK: op_symlink(f); break;
	case OP_PIVOT: op_pivot(); break;
	case OP_MASK: op_mask(f); break;
	case OP_READONLY: op_readonly(f); break;
	case OP_REMOUNT: op_remount(f); break;
	case OP_HOSTNAME:
		if (sethostname(f[0].p, f[0].n) < 0)
			fail(1, errno, "sethostname");
		break;
	case OP_RLIMIT: {
		struct rlimit rl = {u64(&f[1]), u64(&f[2])};
		if (setrlimit((int)u64(&f[0]), &rl) < 0)
			fail(1, errno, "setrlimit %d", (int)u64(&f[0]));
		break;
	}
	case OP_USER: op_user(f); break;
	case OP_BOUNDING: op_bounding(f); break;
	case OP_CAPS: op_caps(f); break;
	case OP_NNP:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			fail(1, errno, "set no_new_privs");
		break;
	case OP_SECCOMP: op_seccomp(f); break;
	case OP_CHDIR: op_chdir(f); break;
	case OP_CHDIR_HOST:
		if (chdir(f[0].p) < 0)
			fail(1, errno, "chdir %s", f[0].p);
		break;
	case OP_EXEC: op_exec(f);
	case OP_SETNS: op_setns(f); break;
	case OP_FORK: op_fork(); break;
	case OP_REAPER: op_reaper(); break;
	case OP_MONITOR: op_monitor(f); break;
	case OP_JOIN: op_join(f); break;
	case OP_PAUSE: {
		// Hold the namespaces this process was made in until the engine
		// closes the socket.
		char c;
		while (read(sync_fd, &c, 1) > 0 || errno == EINTR)
			;
		_exit(0);
	}
	case OP_IDMAP: op_idmap(f); break;
	case OP_AUTOREMOVE: op_autoremove(f); break;
	case OP_OPEN_USERNS:
		if ((userns_fd = open(f[0].p, O_RDONLY | O_CLOEXEC)) < 0)
			fail(1, errno, "open %s", f[0].p);
		break;
	case OP_ENTER_USERNS:
		if (setns(userns_fd, CLONE_NEWUSER) < 0)
			fail(1, errno, "enter the user namespace");
		break;
	case OP_UNSHARE:
		if (unshare((int)u64(&f[0])) < 0)
			fail(1, errno, "unshare");
		break;
	case OP_PDEATHSIG:
		if (prctl(PR_SET_PDEATHSIG, (int)u64(&f[0]), 0, 0, 0) < 0)
			fail(1, errno, "set parent death signal");
		break;
	}
}

// dock_nsinit runs before main when the environment asks for it, and never
// returns: the process becomes the container's process or exits.
__attribute__((constructor)) static void dock_nsinit(void)
{
	const char *env = getenv("_DOCK_NSINIT");
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
	if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) < 0)
		fail(1, errno, "sync socket");
	umask(0);

	uint32_t len;
	if (read_full(sync_fd, &len, 4) < 0 || len < 8 || len > MAX_PLAN)
		fail(1, 0, "read plan");
	char *plan = malloc(len);
	if (!plan || read_full(sync_fd, plan, len) < 0)
		fail(1, errno, "read plan");
	char *p = plan, *end = plan + len;
	for (;;) {
		uint32_t hdr[2];
		if (end - p < 8)
			fail(1, 0, "bad plan: truncated");
		memcpy(hdr, p, 8);
		p += 8;
		if (hdr[0] == OP_END)
			break;
		if (hdr[1] > MAX_FIELDS)
			fail(1, 0, "bad plan: op %u has %u fields", hdr[0], hdr[1]);
		struct field f[MAX_FIELDS] = {0};
		for (uint32_t i = 0; i < hdr[1]; i++) {
			uint32_t n;
			if (end - p < 4)
				fail(1, 0, "bad plan: truncated");
			memcpy(&n, p, 4);
			p += 4;
			if ((uint64_t)(end - p) < n)
				fail(1, 0, "bad plan: truncated");
			f[i].p = malloc(n + 1);
			if (!f[i].p)
				fail(1, ENOMEM, "plan");
			memcpy(f[i].p, p, n);
			f[i].p[n] = '\0';
			f[i].n = n;
			p += n;
		}
		run(f, hdr[0], hdr[1]);
		for (uint32_t i = 0; i < hdr[1]; i++)
			free(f[i].p);
	}
	fail(1, 0, "bad plan: no exec");
}
