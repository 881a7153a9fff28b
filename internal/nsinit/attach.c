//go:build linux && cgo

#include "nsinit.h"
#include <sys/un.h>

// The attach socket of a detached container's monitor (monitor.c): a unix
// socket, attach.sock in the container's directory (mode 0600), through
// which clients (attach.go in package dock) get the container's live
// output and give it input, a resize or the end of its stdin.
//
// Monitor to client, frames of Docker's stdcopy shape: a byte of kind,
// three zeros, the payload's length (big-endian u32), the payload. Kinds:
// ATTACH_STDOUT and ATTACH_STDERR (output; with a terminal, all of it is
// stdout), ATTACH_HELLO first on every connection (where the live output
// starts in the log: the current file's inode and size, little-endian
// u64s), then ATTACH_PENDING_* (the output read before the client came
// that is not in the log yet: a line not yet ended), and ATTACH_END once
// the container's output has ended. A connection that ends without
// ATTACH_END was dropped.
//
// Client to monitor, frames of a byte of kind and the payload's length
// (big-endian u32): 'i' stdin data (1 to ATTACH_FRAME_MAX bytes), 'r' a
// terminal's size (rows, cols: big-endian u16s), 'c' the client's stdin
// ended (the container's stdin is closed with StdinOnce), 'q' the client
// is done (the monitor closes the connection once it has read the frames
// before it: Resize waits for that). Any other frame, or a length out of
// range, ends the connection.
//
// The monitor never waits for a client. Each client's output waits in a
// queue of its own; a client that lets more than ATTACH_QUEUE_MAX bytes
// pile up is disconnected, not skipped over: a stream with holes would
// garble a terminal and lie to a program that reads it, while a client
// that sees its connection end without ATTACH_END knows it lost output
// (and can read it from the log). The log and the container go on at
// their own pace whatever the clients do. Input goes the other way: a
// container that does not read its stdin fills the pipe, and then the
// monitor stops reading from clients (their sockets fill, and they wait)
// until it reads again.

enum {
	ATTACH_STDOUT = 1, ATTACH_STDERR = 2, ATTACH_HELLO = 'H',
	ATTACH_PENDING_STDOUT = 0x11, ATTACH_PENDING_STDERR = 0x12, ATTACH_END = 'E',
};
#define ATTACH_CLIENTS 32
#define ATTACH_FRAME_MAX (32 << 10)
#define ATTACH_QUEUE_MAX (1 << 20)
#define ATTACH_STDIN_MAX (64 << 10)
#define ATTACH_END_GRACE_MS 2000

struct client {
	int fd;
	int quit;
	char *out; // the queue: out[off:len] is not sent yet
	size_t off, len, cap;
	size_t in_len;
	unsigned char in[5 + ATTACH_FRAME_MAX];
};

static struct {
	int active, open_stdin, stdin_once, tty;
	char *dir;
	int dirfd, lfd;
	// The container's stdin: the write end of its pipe, or the
	// terminal's master; -1 when it has none (or it was closed).
	int in;
	int master; // the terminal's master, for a resize; -1 without one
	int closing; // close in once pend is written
	char pend[ATTACH_STDIN_MAX];
	size_t plen;
	struct client *c[ATTACH_CLIENTS];
} at = {.dirfd = -1, .lfd = -1, .in = -1, .master = -1};

// dock_op_attach: the container's directory, OpenStdin, StdinOnce.
void dock_op_attach(struct field *f)
{
	at.active = 1;
	at.dir = malloc(f[0].n + 1);
	if (!at.dir)
		dock_fail(1, ENOMEM, "plan");
	memcpy(at.dir, f[0].p, f[0].n + 1);
	at.open_stdin = dock_u64(&f[1]) != 0;
	at.stdin_once = dock_u64(&f[2]) != 0;
}

int dock_attach_open_stdin(void)
{
	return at.active && at.open_stdin;
}

// dock_attach_listen makes the socket. Without it the container runs
// on, unattachable: a failure is no reason to fail a start.
void dock_attach_listen(int tty)
{
	at.tty = tty;
	if (!at.active)
		return;
	at.dirfd = open(at.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (at.dirfd < 0)
		return;
	// Through the directory's descriptor: a sun_path has 108 bytes.
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/attach.sock", at.dirfd);
	unlinkat(at.dirfd, "attach.sock", 0); // a run before this one's
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	mode_t old = umask(0177);
	int ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	umask(old);
	if (!ok || listen(fd, 16) < 0) {
		close(fd);
		return;
	}
	at.lfd = fd;
}

// dock_attach_input sets the container's stdin: the write end of its
// pipe, or the terminal's master (also resized by the clients); -1 when
// there is none.
void dock_attach_input(int fd)
{
	if (at.tty)
		at.master = fd;
	if (!at.active || !at.open_stdin || fd < 0)
		return;
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	at.in = fd;
}

static void drop(int i)
{
	struct client *c = at.c[i];
	close(c->fd);
	free(c->out);
	free(c);
	at.c[i] = NULL;
}

// flush sends what c's queue holds, as much as the socket takes; it
// returns -1 when the client is gone.
static int flush(struct client *c)
{
	while (c->off < c->len) {
		ssize_t w = send(c->fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -1;
		c->off += w;
	}
	c->off = c->len = 0;
	return 0;
}

// queue appends a frame to c's queue and sends what it can; it returns
// -1 when the client is to be dropped (gone, or too far behind).
static int queue(struct client *c, int kind, const void *p, size_t n)
{
	size_t waiting = c->len - c->off;
	if (waiting + 8 + n > ATTACH_QUEUE_MAX)
		return -1;
	if (c->off > 0) {
		memmove(c->out, c->out + c->off, waiting);
		c->off = 0, c->len = waiting;
	}
	if (c->len + 8 + n > c->cap) {
		size_t cap = c->cap ? c->cap : 64 << 10;
		while (cap < c->len + 8 + n)
			cap *= 2;
		char *o = realloc(c->out, cap);
		if (!o)
			return -1;
		c->out = o, c->cap = cap;
	}
	unsigned char h[8] = {kind, 0, 0, 0, n >> 24, n >> 16, n >> 8, n};
	memcpy(c->out + c->len, h, 8);
	if (n)
		memcpy(c->out + c->len + 8, p, n);
	c->len += 8 + n;
	return flush(c);
}

// dock_attach_send queues a frame for the client cl (dock_monitor_greet);
// a client that cannot take it is dropped later, at its next poll.
void dock_attach_send(void *cl, int kind, const void *p, size_t n)
{
	struct client *c = cl;
	if (queue(c, kind, p, n) < 0)
		c->quit = 1;
}

void dock_attach_output(int stream, const char *p, size_t n)
{
	for (int i = 0; i < ATTACH_CLIENTS; i++)
		if (at.c[i] && queue(at.c[i], at.tty ? ATTACH_STDOUT : stream, p, n) < 0)
			drop(i);
}

static void accept_clients(void)
{
	for (;;) {
		int fd = accept4(at.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; // EAGAIN: no more; anything else: the next poll
		int i = 0;
		while (i < ATTACH_CLIENTS && at.c[i])
			i++;
		struct client *c = i < ATTACH_CLIENTS ? calloc(1, sizeof *c) : NULL;
		if (!c) {
			// Too many: the connection ends before the hello.
			close(fd);
			continue;
		}
		c->fd = fd;
		at.c[i] = c;
		dock_monitor_greet(c);
	}
}

static void close_input(void)
{
	at.closing = 0;
	if (at.in < 0)
		return;
	if (at.tty) {
		// The master is the output too: the end of input on a
		// terminal is its EOF character (^D).
		(void)!write(at.in, "\x04", 1);
	} else {
		close(at.in);
	}
	at.in = -1;
}

static void write_input(void)
{
	while (at.plen > 0 && at.in >= 0) {
		ssize_t w = write(at.in, at.pend, at.plen);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) {
			// The reader is gone (EPIPE): nobody will read it.
			at.plen = 0;
			break;
		}
		memmove(at.pend, at.pend + w, at.plen - w);
		at.plen -= w;
	}
	if (at.closing && at.plen == 0)
		close_input();
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

// parse carries out c's complete frames; it returns -1 when c sent
// nonsense. A stdin frame that does not fit what waits for the container
// stays in c's buffer until it does.
static int parse(struct client *c)
{
	size_t off = 0;
	while (c->in_len - off >= 5 && !c->quit) {
		unsigned char *h = c->in + off;
		uint32_t n = be32(h + 1);
		switch (h[0]) {
		case 'i': if (n == 0 || n > ATTACH_FRAME_MAX) return -1; break;
		case 'r': if (n != 4) return -1; break;
		case 'c': case 'q': if (n != 0) return -1; break;
		default: return -1;
		}
		if (c->in_len - off - 5 < n)
			break; // the rest is still coming
		if (h[0] == 'i' && at.in >= 0 && !at.closing) {
			if (at.plen + n > sizeof at.pend)
				break; // until the container reads
			memcpy(at.pend + at.plen, h + 5, n);
			at.plen += n;
		} else if (h[0] == 'r' && at.master >= 0) {
			struct winsize ws = {.ws_row = h[5] << 8 | h[6], .ws_col = h[7] << 8 | h[8]};
			ioctl(at.master, TIOCSWINSZ, &ws);
		} else if (h[0] == 'c' && at.stdin_once) {
			at.closing = 1;
		} else if (h[0] == 'q') {
			c->quit = 1;
		}
		off += 5 + n;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return 0;
}

// The poll: the listening socket, the container's stdin while input
// waits, each client (input while there is room for it, output while its
// queue holds some). slot maps the entries back to the clients.
static int slot[2 + ATTACH_CLIENTS];

int dock_attach_pollfds(struct pollfd *p)
{
	int n = 0;
	if (at.lfd >= 0)
		slot[n] = -1, p[n++] = (struct pollfd){at.lfd, POLLIN, 0};
	if (at.in >= 0 && at.plen > 0)
		slot[n] = -2, p[n++] = (struct pollfd){at.in, POLLOUT, 0};
	for (int i = 0; i < ATTACH_CLIENTS; i++) {
		struct client *c = at.c[i];
		if (!c)
			continue;
		if (c->quit || parse(c) < 0) {
			drop(i);
			continue;
		}
		short ev = c->in_len < sizeof c->in && at.plen == 0 ? POLLIN : 0;
		if (c->len > c->off)
			ev |= POLLOUT;
		// Nothing to wait for: left out, or a hangup (which poll
		// reports whatever is asked) would spin the loop.
		if (ev)
			slot[n] = i, p[n++] = (struct pollfd){c->fd, ev, 0};
	}
	if (at.closing && at.plen == 0)
		close_input();
	return n;
}

void dock_attach_events(struct pollfd *p, int n)
{
	int accept = 0;
	for (int k = 0; k < n; k++) {
		if (!p[k].revents)
			continue;
		if (slot[k] == -1) {
			accept = 1;
			continue;
		}
		if (slot[k] == -2) {
			write_input();
			continue;
		}
		struct client *c = at.c[slot[k]];
		if (!c || c->fd != p[k].fd)
			continue;
		if ((p[k].revents & POLLOUT) && flush(c) < 0) {
			drop(slot[k]);
			continue;
		}
		if (p[k].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (c->in_len == sizeof c->in)
				continue; // full: it is read once its frames are done
			ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0 || (c->in_len += r, parse(c) < 0)) {
				drop(slot[k]);
				continue;
			}
		}
	}
	write_input();
	// Last: the slots of the clients that left are free.
	if (accept)
		accept_clients();
}

// dock_attach_end ends every connection once the container's output has
// ended: the socket goes first, so that no client comes any more, then
// each client gets ATTACH_END and what its queue holds, for at most
// ATTACH_END_GRACE_MS in all (the exit is recorded after it).
void dock_attach_end(void)
{
	if (at.lfd >= 0) {
		// Once the name is gone, no client can connect: those that
		// have are served (a connection the listening socket's close
		// found waiting would be reset).
		unlinkat(at.dirfd, "attach.sock", 0);
		accept_clients();
		close(at.lfd);
		at.lfd = -1;
	}
	if (at.dirfd >= 0)
		close(at.dirfd);
	at.dirfd = -1;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < ATTACH_CLIENTS; i++)
		if (at.c[i] && queue(at.c[i], ATTACH_END, NULL, 0) < 0)
			drop(i);
	for (;;) {
		struct pollfd p[ATTACH_CLIENTS];
		int n = 0;
		for (int i = 0; i < ATTACH_CLIENTS; i++) {
			if (at.c[i] && at.c[i]->len == at.c[i]->off)
				drop(i);
			else if (at.c[i])
				slot[n] = i, p[n++] = (struct pollfd){at.c[i]->fd, POLLOUT, 0};
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = ATTACH_END_GRACE_MS - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
		if (n == 0 || left <= 0)
			break;
		if (poll(p, n, left) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++)
			if (p[k].revents && flush(at.c[slot[k]]) < 0)
				drop(slot[k]);
	}
	for (int i = 0; i < ATTACH_CLIENTS; i++)
		if (at.c[i])
			drop(i);
	if (at.in >= 0 && !at.tty)
		close(at.in);
	at.in = -1;
}
