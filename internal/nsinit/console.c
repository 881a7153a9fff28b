//go:build linux && cgo

// The container's terminal, allocated in the container's own devpts as
// runc does: the master goes back to whoever copies the output (the
// engine, or a detached container's monitor) over a socket, the slave
// becomes the process's stdio and controlling terminal. A process in the
// container then sees its terminal as /dev/pts/N, as with Docker, and
// the host's devpts is never involved.

#include "nsinit.h"

// dock_console_fd is the socket that a detached container's monitor
// receives the terminal's master on (see dock_op_monitor), or -1: the
// master goes to the engine over the sync socket.
int dock_console_fd = -1;

// dock_send_fd sends a report of kind with the descriptor fd (SCM_RIGHTS).
void dock_send_fd(int sock, char kind, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {.iov_base = &kind, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	ssize_t n;
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		dock_fail(1, n < 0 ? errno : 0, "send the terminal");
}

// dock_op_console opens a new terminal in the devpts mounted on /dev/pts
// of the root (the container's, mounted by this init, or the one an
// exec joined), with the size rows x cols when both are set. The
// multiplexer is reached without symlinks and must be a devpts ptmx; the
// slave is opened from the master (TIOCGPTPEER), never by a path the
// container could swap (the lessons of runc's console CVEs,
// CVE-2025-52565). With bind, the slave is bound over /dev/console, as
// Docker does for a container with a terminal. The slave is given to
// uid (its group stays tty), as a login terminal is.
void dock_op_console(struct field *f)
{
	struct winsize ws = {.ws_row = (unsigned short)dock_u64(&f[0]), .ws_col = (unsigned short)dock_u64(&f[1])};
	int bind = dock_u64(&f[2]) != 0;
	uint64_t uid = dock_u64(&f[3]);
	int ptmx = dock_in_root("/dev/pts/ptmx", O_RDWR | O_NOCTTY, RESOLVE_NO_SYMLINKS);
	if (ptmx < 0)
		dock_fail(1, errno, "open /dev/pts/ptmx");
	struct statfs sfs;
	struct stat st;
	if (fstatfs(ptmx, &sfs) < 0 || sfs.f_type != DEVPTS_SUPER_MAGIC || fstat(ptmx, &st) < 0 ||
	    !S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2))
		dock_fail(1, 0, "/dev/pts/ptmx is not the multiplexer of a devpts");
	int unlock = 0;
	if (ioctl(ptmx, TIOCSPTLCK, &unlock) < 0)
		dock_fail(1, errno, "unlock the terminal");
	if (ws.ws_row && ws.ws_col && ioctl(ptmx, TIOCSWINSZ, &ws) < 0)
		dock_fail(1, errno, "set the terminal's size");
	int pts = ioctl(ptmx, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (pts < 0)
		dock_fail(1, errno, "open the terminal");
	if (uid > MAX_ID)
		dock_fail(1, EINVAL, "terminal owner %llu is outside 0..%d", (unsigned long long)uid, MAX_ID);
	if (uid != 0 && fchown(pts, (uid_t)uid, (gid_t)-1) < 0)
		dock_fail(1, errno, "give the terminal to user %llu", (unsigned long long)uid);
	if (bind)
		dock_bind_fd(pts, "/dev/console");
	dock_send_fd(dock_console_fd >= 0 ? dock_console_fd : dock_sync_fd, REPORT_TTY, ptmx);
	close(ptmx);
	if (dock_console_fd >= 0) {
		close(dock_console_fd);
		dock_console_fd = -1;
	}
	// The process's controlling terminal: in a session of its own (an
	// init started by the engine or a prespawned one leads one already;
	// a monitor's init and an exec's forked process do not).
	if (getsid(0) != getpid() && setsid() < 0)
		dock_fail(1, errno, "setsid");
	if (ioctl(pts, TIOCSCTTY, 0) < 0)
		dock_fail(1, errno, "set the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(pts, i) < 0)
			dock_fail(1, errno, "terminal on stdio");
	if (pts > 2)
		close(pts);
}
