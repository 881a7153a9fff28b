//go:build linux && cgo

#include "nsinit.h"

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

// The log file and its limits: when a line would take it past max_size
// (0: no limit), it is rotated as the engine's rotateLog (logrotate.go)
// does: path.(n-2) to path.(n-1), ..., path to path.1, where n is
// max_files, the files kept in all (with 1, path is removed), then a new
// file is opened at path. A failure loses lines, never the container.
static struct {
	char path[PATH_MAX];
	int fd; // -1 after a failed reopen: the next line tries again
	uint64_t size, max_size;
	unsigned max_files;
} lg = {.fd = -1};

static int log_open(void)
{
	struct stat st;
	lg.fd = open(lg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (lg.fd < 0)
		return -1;
	// A restarted container appends: what is there counts.
	lg.size = fstat(lg.fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

static void log_rotate(void)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	if (lg.max_files <= 1) {
		if (unlink(lg.path) < 0 && errno != ENOENT)
			return; // keep the file: better too long than lost
	} else {
		for (unsigned i = lg.max_files - 1; i >= 2; i--) {
			snprintf(from, sizeof from, "%s.%u", lg.path, i - 1);
			snprintf(to, sizeof to, "%s.%u", lg.path, i);
			rename(from, to); // ENOENT: not rotated that often yet
		}
		snprintf(to, sizeof to, "%s.1", lg.path);
		if (rename(lg.path, to) < 0 && errno != ENOENT)
			return;
	}
	close(lg.fd);
	log_open();
}

static void log_append(const char *p, size_t n)
{
	if (lg.fd >= 0 && lg.max_size && lg.size > 0 && lg.size + n > lg.max_size)
		log_rotate();
	if (lg.fd < 0 && log_open() < 0)
		return;
	while (n > 0) {
		ssize_t w = write(lg.fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; // a full disk loses log lines
		lg.size += w, p += w, n -= w;
	}
}

static void log_line(struct stream *s, size_t n)
{
	static char out[LOG_LINE * 6 + 128];
	char ts[48];
	rfc3339(ts, sizeof ts);
	size_t o = 0;
	memcpy(out, "{\"log\":\"", 8);
	o = 8;
	o += json_escape(out + o, s->buf, n);
	o += snprintf(out + o, sizeof out - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", s->name, ts);
	log_append(out, o);
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
}

// The container's stdout and stderr (with a terminal, so alone).
static struct stream so, se;

// pump reads what is available; it returns 0 at end of stream. What it
// read goes to the attached clients (attach.c) as it comes, and to the
// log a line at a time.
static int pump(struct stream *s)
{
	ssize_t r = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (r <= 0) {
		if (s->len > 0)
			log_line(s, s->len);
		return 0;
	}
	dock_attach_output(s == &se ? 2 : 1, s->buf + s->len, r);
	s->len += r;
	for (;;) {
		char *nl = memchr(s->buf, '\n', s->len);
		if (nl)
			log_line(s, nl - s->buf + 1);
		else if (s->len == sizeof s->buf)
			log_line(s, s->len);
		else
			break;
	}
	return 1;
}

// dock_monitor_greet tells a new attach client where its live output
// starts: the log's current file and its size now, and the output read
// but not logged yet (a line not ended), which it gets before the rest.
void dock_monitor_greet(void *client)
{
	unsigned char h[16] = {0};
	struct stat st;
	if (lg.fd >= 0 && fstat(lg.fd, &st) == 0)
		for (int i = 0; i < 8; i++)
			h[i] = (uint64_t)st.st_ino >> (8 * i), h[8 + i] = lg.size >> (8 * i);
	dock_attach_send(client, 'H', h, sizeof h);
	if (so.len)
		dock_attach_send(client, 0x11, so.buf, so.len);
	if (se.len)
		dock_attach_send(client, 0x12, se.buf, se.len);
}

// write_exit records the exit status; restart says that the restart
// policy's program takes over (dock_restart_exec), which records the
// container's state itself.
static void write_exit(const char *path, int status, int restart)
{
	char tmp[PATH_MAX], ts[48], body[256];
	int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	rfc3339(ts, sizeof ts);
	int n = snprintf(body, sizeof body, "{\"code\":%d,\"signal\":%d,\"exitedAt\":\"%s\"%s}\n", code, sig, ts,
			 restart ? ",\"restart\":true" : "");
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	(void)!write(fd, body, n);
	close(fd);
	rename(tmp, path);
}


// monotonic_ms is CLOCK_MONOTONIC in milliseconds.
static long long monotonic_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void on_alarm(int sig)
{
	(void)sig;
}

// lock_until takes the exclusive flock of fd, waiting for its holder at
// most until deadline (monotonic_ms); it returns 0 when it could not. The
// wait ends the moment the holder lets go, or dies: a timer's signal
// (every 50 ms, so that one that comes before the wait begins is not the
// last) only interrupts it to look at the time.
static int lock_until(int fd, long long deadline)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 1;
	if (errno != EWOULDBLOCK)
		return 0;
	// No SA_RESTART while it waits: the signal interrupts flock.
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval every = {.it_interval = {0, 50000}, .it_value = {0, 50000}}, off = {0};
	setitimer(ITIMER_REAL, &every, NULL);
	int ok = 0;
	while (monotonic_ms() < deadline) {
		if (flock(fd, LOCK_EX) == 0) {
			ok = 1;
			break;
		}
		if (errno != EINTR)
			break;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	// A signal of the last period, should one still come, interrupts
	// nothing.
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	return ok;
}

// Auto-removal (docker run -d --rm): once the exit is recorded, the
// monitor removes the container as the engine's Remove would. Under the
// engine's lock it takes the container out of the user's view: its
// directory is renamed into the engine's tmp/ (trash, "rm-<ID>"), so that
// its name is free at once, its anonymous volumes are moved in there too,
// and the destroy goes out. Then, outside the lock, the slow part: its
// cgroup directories and the trash are deleted. The trash stays locked
// (flock) until then: the engine's sweep of tmp/ (sweepRemovals in
// remove_sweep_linux.go) finishes a removal whose remover was killed
// midway, and only such a one.
static struct {
	char *lock, *dir, *trash, *cgroups;
} autorm;

// field_dup copies a field of the plan (a string, or a list of strings
// each ended by a NUL, and a NUL after the list) out of the plan's buffer.
static char *field_dup(const struct field *f)
{
	char *p = malloc(f->n + 1);
	if (!p)
		dock_fail(1, ENOMEM, "plan");
	memcpy(p, f->p, f->n + 1);
	return p;
}

void dock_op_autoremove(struct field *f)
{
	autorm.lock = field_dup(&f[0]);
	autorm.dir = field_dup(&f[1]);
	autorm.trash = field_dup(&f[2]);
	autorm.cgroups = field_dup(&f[3]);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		return 0; // go on: remove what can be removed
	return 0;
}

// The anonymous volumes to remove with the container (docker run --rm),
// unless another container mounts them.
static struct {
	char *containers, *volumes, *names;
} autormv;

void dock_op_autoremove_volumes(struct field *f)
{
	autormv.containers = field_dup(&f[0]);
	autormv.volumes = field_dup(&f[1]);
	autormv.names = field_dup(&f[2]);
}

// volume_in_use reports whether a container's config.json names the
// volume. It errs towards yes: a config it cannot read counts as a user.
static int volume_in_use(const char *name)
{
	DIR *d = opendir(autormv.containers);
	if (!d)
		return 1;
	int used = 0;
	struct dirent *de;
	char path[PATH_MAX];
	while (!used && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/config.json", autormv.containers, de->d_name);
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			used = errno != ENOENT;
			continue;
		}
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			used = 1;
		} else if (st.st_size > 0) {
			void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (p == MAP_FAILED)
				used = 1;
			else {
				used = memmem(p, st.st_size, name, strlen(name)) != NULL;
				munmap(p, st.st_size);
			}
		}
		close(fd);
	}
	closedir(d);
	return used;
}

// trash_volumes moves the volumes that no other container mounts into
// the trash (as volume-rm-<name>), where they are deleted with it.
static void trash_volumes(void)
{
	if (!autormv.names)
		return;
	char from[PATH_MAX], to[PATH_MAX];
	for (char *n = autormv.names; *n; n += strlen(n) + 1) {
		if (volume_in_use(n))
			continue;
		snprintf(from, sizeof from, "%s/%s", autormv.volumes, n);
		snprintf(to, sizeof to, "%s/volume-rm-%s", autorm.trash, n);
		rename(from, to);
	}
}

// remove_cgroups removes the container's cgroup directories. A cgroup
// may be busy for a moment after its last process died.
static void remove_cgroups(void)
{
	for (char *c = autorm.cgroups; *c; c += strlen(c) + 1)
		for (int i = 0; i < 20; i++) {
			if (rmdir(c) == 0 || errno != EBUSY)
				break;
			usleep(5000 * (i + 1));
		}
}

static void auto_remove(void)
{
	if (!autorm.dir)
		return;
	// Restart stops the container to start it again: not its end
	// (restartingMarker in lifecycle.go).
	char marker[PATH_MAX];
	snprintf(marker, sizeof marker, "%s/restarting", autorm.dir);
	if (access(marker, F_OK) == 0)
		return;
	// Not before its start has committed (a short run ends sooner),
	// which holds start.lock (lockStart in start_linux.go).
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/start.lock", autorm.dir);
	int start = open(path, O_RDWR | O_CLOEXEC);
	if (start >= 0)
		lock_until(start, monotonic_ms() + HOOK_WAIT_MS);
	int lock = open(autorm.lock, O_RDWR | O_CLOEXEC);
	if (lock >= 0)
		flock(lock, LOCK_EX);
	// Gone already when the engine removed it first (Remove).
	int dir = open(autorm.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int removed = dir >= 0 && flock(dir, LOCK_EX) == 0 && rename(autorm.dir, autorm.trash) == 0;
	if (removed) {
		trash_volumes();
		dock_events_removed();
	}
	if (lock >= 0)
		close(lock);
	if (start >= 0)
		close(start);
	if (removed) {
		remove_cgroups();
		nftw(autorm.trash, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	}
	if (dir >= 0)
		close(dir);
}

// The exit hook (podman's conmon --exit-command): once the exit is
// recorded, the monitor runs the program that started the container, from
// the binary opened when the plan came (so that a rebuilt or deleted file
// does not matter), to take back what the container held outside itself:
// its network. It waits for it, so that what the hook frees (published
// ports' rules) is gone before the held descriptors close.
// The hook runs only while the file at marker exists: an engine that
// takes the network back itself (Remove of a running container, or the
// engine that started it, at the exit) removes it, and no process is
// started for nothing.
static struct {
	int fd;
	char **argv, **env, *marker;
} hook = {.fd = -1};

void dock_op_exit_hook(struct field *f)
{
	hook.fd = open(f[0].p, O_RDONLY | O_CLOEXEC);
	if (hook.fd < 0)
		dock_fail(1, errno, "open %s", f[0].p);
	hook.argv = dock_split(&f[1]);
	hook.env = dock_split(&f[2]);
	hook.marker = field_dup(&f[3]);
}

// wait_until reaps the child pid, waiting at most until deadline
// (monotonic_ms): then it kills it first. Its pidfd tells the exit the
// moment it comes; only without one (out of descriptors) does it look in
// steps of a millisecond.
static void wait_until(pid_t pid, long long deadline)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		long long left = deadline - monotonic_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (pfd >= 0) {
			struct pollfd p = {pfd, POLLIN, 0};
			int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
			if (r > 0 || (r < 0 && errno != EINTR))
				break;
		} else {
			pid_t r = waitpid(pid, NULL, WNOHANG);
			if (r == pid || (r < 0 && errno != EINTR))
				return;
			poll(NULL, 0, 1);
		}
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (pfd >= 0)
		close(pfd);
}

static void run_exit_hook(void)
{
	if (hook.fd < 0)
		return;
	// At most HOOK_WAIT_MS in all: an engine or a hook stuck (on a lock,
	// say) must not keep the container from being seen exited; the next
	// network operation takes back what they did not.
	long long deadline = monotonic_ms() + HOOK_WAIT_MS;
	int marker = -1;
	if (*hook.marker) {
		marker = open(hook.marker, O_RDONLY | O_CLOEXEC);
		if (marker < 0)
			return;
		// The engine that started the container, while it is open,
		// holds the marker's lock and takes the network back itself,
		// then removes the marker (watchNetwork, in
		// network_watch_linux.go): the hook runs when it has not.
		struct stat st;
		if (!lock_until(marker, deadline) || fstat(marker, &st) < 0 || st.st_nlink == 0) {
			close(marker);
			return;
		}
	}
	pid_t pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, hook.fd, "", hook.argv, hook.env, AT_EMPTY_PATH);
		_exit(127);
	}
	if (pid > 0)
		wait_until(pid, deadline);
	if (marker >= 0)
		close(marker);
}

// dock_op_hold takes the descriptors the engine sends after the plan
// (published ports' sockets, which no other program may bind while the
// container runs) and keeps them, close-on-exec, until the container has
// exited and its hook has run (release_held).
static struct {
	int *fds;
	size_t n;
} held;

void dock_op_hold(struct field *f)
{
	uint64_t want = dock_u64(&f[0]);
	if (want > 1 << 20)
		dock_fail(1, 0, "bad plan: %llu descriptors to hold", (unsigned long long)want);
	held.fds = calloc(want ? want : 1, sizeof(int));
	if (!held.fds)
		dock_fail(1, ENOMEM, "hold");
	for (uint64_t got = 0; got < want;) {
		char b, cbuf[CMSG_SPACE(HOLD_BATCH * sizeof(int))];
		struct iovec iov = {.iov_base = &b, .iov_len = 1};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
		ssize_t n;
		do
			n = recvmsg(dock_sync_fd, &m, MSG_CMSG_CLOEXEC);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			dock_fail(1, n < 0 ? errno : 0, "receive held descriptors");
		size_t k = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			int *fds = (int *)CMSG_DATA(c);
			size_t nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nf; i++) {
				if (held.n < want)
					held.fds[held.n++] = fds[i];
				else
					close(fds[i]);
			}
			k += nf;
		}
		if (k == 0 || (m.msg_flags & MSG_CTRUNC))
			dock_fail(1, 0, "receive held descriptors: %zu of %llu", (size_t)got, (unsigned long long)want);
		got += k;
	}
}

// release_held closes the held descriptors: the ports are free again
// once the exit is recorded, not a moment later.
static void release_held(void)
{
	for (size_t i = 0; i < held.n; i++)
		close(held.fds[i]);
	held.n = 0;
}

// A container without a PID namespace of its own (SharedPidns in
// ops.go): the init is cloned into the namespace of nsfd (when not -1),
// and once it has exited, what is left of the container (processes in
// its cgroups, which no namespace's end kills) is killed.
static struct {
	int active, nsfd;
	char *cgroups;
} shared = {.nsfd = -1};

void dock_op_shared_pidns(struct field *f)
{
	shared.active = 1;
	if (f[0].n > 0 && (shared.nsfd = open(f[0].p, O_RDONLY | O_CLOEXEC)) < 0)
		dock_fail(1, errno, "open %s", f[0].p);
	shared.cgroups = field_dup(&f[1]);
}

// clone_init clones the init with ca, in the shared PID namespace when
// there is one: the monitor's own children (its exit hook) stay in its
// namespace.
static pid_t clone_init(struct clone_args *ca)
{
	int self = -1;
	if (shared.nsfd >= 0) {
		self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(shared.nsfd, CLONE_NEWPID) < 0)
			dock_fail(1, errno, "enter the shared PID namespace");
	}
	pid_t pid = syscall(SYS_clone3, ca, sizeof *ca);
	if (pid != 0 && self >= 0) {
		int err = errno;
		if (setns(self, CLONE_NEWPID) < 0)
			dock_fail(1, errno, "leave the shared PID namespace");
		close(self);
		close(shared.nsfd);
		errno = err;
	}
	return pid;
}

// kill_rest kills what is left in the container's cgroups: at once where
// cgroup.kill is, else by rounds over cgroup.procs until it is empty.
static void kill_rest(void)
{
	if (!shared.active)
		return;
	char p[PATH_MAX], buf[4096];
	for (char *c = shared.cgroups; *c; c += strlen(c) + 1) {
		snprintf(p, sizeof p, "%s/cgroup.kill", c);
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, "1", 1);
			close(fd);
		}
	}
	for (char *c = shared.cgroups; *c; c += strlen(c) + 1) {
		snprintf(p, sizeof p, "%s/cgroup.procs", c);
		for (int round = 0; round < 100; round++) {
			int fd = open(p, O_RDONLY | O_CLOEXEC), any = 0;
			if (fd < 0)
				break;
			ssize_t n = read(fd, buf, sizeof buf - 1);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			for (char *s = buf, *e; *s; s = e) {
				long pid = strtol(s, &e, 10);
				if (e == s)
					break;
				if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
					any = 1;
			}
			if (!any)
				break;
			usleep(1000 * (round + 1));
		}
	}
}

// recv_fd receives a report of kind with its descriptor (dock_send_fd),
// or returns -1.
static int recv_fd(int sock, char kind)
{
	char k, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &k, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	ssize_t n;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	int fd = -1;
	for (struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
	if (fd >= 0 && k != kind) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void dock_op_monitor(struct field *f)
{
	const char *logpath = f[0].p, *exitpath = f[1].p;
	uint64_t flags = dock_u64(&f[2]);
	// The process the engine started exits at once, so that the engine
	// can reap it; the monitor goes on, orphaned, in its own session.
	pid_t m = fork();
	if (m < 0)
		dock_fail(1, errno, "fork monitor");
	if (m > 0)
		_exit(0);
	// Output comes through two pipes, or with a terminal (tty) through a
	// pseudo-terminal whose master the monitor keeps: the init opens it
	// in the container's devpts (dock_op_console) and sends the master
	// over a socket of their own (the sync socket is the engine's).
	int tty = dock_u64(&f[4]) != 0;
	int out[2], err[2], in[2] = {-1, -1}, csock[2], master = -1;
	if (tty) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, csock) < 0)
			dock_fail(1, errno, "console socket");
	} else if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
		   (dock_attach_open_stdin() && pipe2(in, O_CLOEXEC) < 0)) {
		dock_fail(1, errno, "pipe");
	}
	if (f[0].n >= sizeof lg.path)
		dock_fail(1, ENAMETOOLONG, "open log");
	memcpy(lg.path, logpath, f[0].n + 1);
	lg.max_size = dock_u64(&f[5]);
	lg.max_files = (unsigned)dock_u64(&f[6]);
	if (log_open() < 0)
		dock_fail(1, errno, "open log");
	// The init is born in its cgroup (cgroup v2, or the cgroup2 tracking
	// directory of a hybrid host) when one is given.
	struct clone_args ca = {.flags = flags, .exit_signal = SIGCHLD};
	int cgfd = -1;
	if (f[3].n > 0) {
		cgfd = open(f[3].p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cgfd < 0)
			dock_fail(1, errno, "open cgroup %s", f[3].p);
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = cgfd;
	}
	struct timespec started;
	clock_gettime(CLOCK_MONOTONIC, &started);
	pid_t pid = clone_init(&ca);
	if (pid < 0)
		dock_fail(1, errno, "clone3");
	if (pid == 0) {
		if (tty) {
			close(csock[0]);
			dock_console_fd = csock[1];
		} else {
			// Stdin is the pipe the attach socket writes to
			// (OpenStdin), else the null device.
			int null = in[0] >= 0 ? in[0] : open("/dev/null", O_RDONLY);
			if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
				dock_fail(1, errno, "stdio");
			close(null);
			if (in[1] >= 0)
				close(in[1]);
		}
		if (cgfd >= 0)
			close(cgfd);
		dock_wait_go();
		return;
	}
	if (cgfd >= 0)
		close(cgfd);
	if (tty) {
		close(csock[1]);
	} else {
		close(out[1]);
		close(err[1]);
		if (in[0] >= 0)
			close(in[0]);
	}
	// Before the report: the engine records the container running
	// after it, and a client that sees it running may connect.
	dock_attach_listen(tty);
	dock_report_pid(pid);
	if (tty) {
		// None comes when the init fails first: the socket closes.
		master = recv_fd(csock[0], REPORT_TTY);
		close(csock[0]);
	}
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	dock_attach_input(tty ? master : in[1]);
	// A terminal mixes both streams; Docker logs it as stdout.
	so.fd = tty ? master : out[0], so.name = "stdout";
	se.fd = tty ? -1 : err[0], se.name = "stderr";
	int open_streams = tty ? master >= 0 : 2;
	// Without a PID namespace of its own, the init's exit ends the
	// container: its pidfd (the fourth descriptor) tells it while the
	// streams are still open.
	int initfd = shared.active ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	// After the first four: the attach socket's (attach.c).
	struct pollfd pfd[4 + ATTACH_POLLFDS] = {{so.fd, POLLIN, 0}, {se.fd, POLLIN, 0}, {-1, POLLIN, 0}, {initfd, POLLIN, 0}};
	dock_health_begin();
	while (open_streams > 0) {
		// The third descriptor is the health check in progress, if any.
		pfd[2].fd = dock_health_fd(), pfd[2].revents = 0;
		int na = dock_attach_pollfds(pfd + 4);
		if (poll(pfd, 4 + na, dock_health_timeout_ms()) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		dock_attach_events(pfd + 4, na);
		dock_health_tick(pfd[2].fd >= 0 && (pfd[2].revents & (POLLIN | POLLHUP)));
		if (pfd[3].fd >= 0 && pfd[3].revents) {
			kill_rest();
			close(pfd[3].fd);
			pfd[3].fd = -1;
		}
		struct stream *ss[2] = {&so, &se};
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!pump(ss[i])) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_streams--;
			}
		}
	}
	dock_health_stop();
	dock_attach_end();
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	kill_rest(); // those that had closed their output
	// The hook first: once the exit is recorded, the container is seen
	// exited, and its network must be gone by then (docker stop, then
	// docker network rm).
	run_exit_hook();
	release_held();
	int restart = dock_restart_wanted(status);
	// The die before the exit: a reader that finds the init gone waits
	// for the exit, so the die comes before what the engine says next
	// (docker stop's stop).
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	dock_events_exit(status, now.tv_sec - started.tv_sec, restart);
	write_exit(exitpath, status, restart);
	auto_remove(); // never with a restart policy (Create refuses both)
	if (restart)
		dock_restart_exec();
	_exit(0);
}
