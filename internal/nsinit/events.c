//go:build linux && cgo

#include "nsinit.h"

// Events: a detached container's monitor writes the lines of its exit
// (die, the networks left, the volumes unmounted) and of its removal
// (destroy, with --rm) to the engine's event log, which readers follow
// (eventlog.go in the root package). The engine makes each line at start,
// as a template: a whole line but for placeholder bytes, which
// json.Marshal never writes raw: \1 the exit code, \2 the seconds the
// container ran, \3 the time fields, \4 where the die's attributes get
// "restarting":"true" when the restart policy starts it again (API
// 1.57), else nothing. Each line goes out in one write to
// the log opened with O_APPEND, as the engine writes its own, so that
// lines never mix; the engine rotates the log, the monitor only appends,
// holding the log's lock (lock, beside it) shared from the open to the end
// of the write as the engine's writers do, so that no line goes to a log
// rotated away (eventlog.go).
// The templates come with the plan and in a file of the container's
// (events.tmpl), which the engine writes again when the container is
// renamed: at exit the monitor reads that file, so that the die and the
// destroy carry the name the container has then.

static struct {
	char *path, *file;	// the log; the templates file, or ""
	char *lock;		// the log's lock
	char *exit, *removed;	// lists: strings each ended by a NUL, then a NUL
	char *buf;		// the file's last content, which exit and removed point into
} ev;

static char *copy_field(const struct field *f)
{
	char *p = malloc(f->n + 2);
	if (!p)
		dock_fail(1, ENOMEM, "plan");
	memcpy(p, f->p, f->n);
	p[f->n] = p[f->n + 1] = 0;
	return p;
}

void dock_op_events(struct field *f)
{
	ev.path = copy_field(&f[0]);
	const char *slash = strrchr(ev.path, '/');
	size_t dir = slash ? (size_t)(slash - ev.path) + 1 : 0;
	ev.lock = malloc(dir + sizeof "lock");
	if (!ev.lock)
		dock_fail(1, ENOMEM, "plan");
	memcpy(ev.lock, ev.path, dir);
	strcpy(ev.lock + dir, "lock");
	ev.file = copy_field(&f[1]);
	ev.exit = copy_field(&f[2]);
	ev.removed = copy_field(&f[3]);
}

// list_end is the byte after the closing NUL of list (strings each ended
// by a NUL, then a NUL), or NULL when the list is not closed before end.
static char *list_end(char *p, char *end)
{
	while (p < end) {
		if (!*p)
			return p + 1;
		char *z = memchr(p, 0, end - p);
		if (!z)
			return NULL;
		p = z + 1;
	}
	return NULL;
}

// reload_templates reads the templates file (the exit list, then the
// removal list); a file that is missing, too large or not two closed
// lists leaves the templates as they are.
static void reload_templates(void)
{
	if (!ev.file || !*ev.file)
		return;
	int fd = open(ev.file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	enum { max = 1 << 20 };
	char *buf = malloc(max);
	size_t n = 0;
	ssize_t r = -1;
	while (buf) {
		if (n == max) {
			r = -1; // too large
			break;
		}
		r = read(fd, buf + n, max - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	char *second = r == 0 ? list_end(buf, buf + n) : NULL;
	if (!second || list_end(second, buf + n) != buf + n) {
		free(buf);
		return;
	}
	free(ev.buf);
	ev.buf = ev.exit = buf;
	ev.removed = second;
}

// write_templates expands and appends each template of list.
static void write_templates(const char *list, int code, long long ran, int restarting)
{
	if (!ev.path || !list)
		return;
	for (const char *t = list; *t; t += strlen(t) + 1) {
		size_t n = strlen(t), o = 0;
		char *line = malloc(n + 160);
		if (!line)
			return;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (const char *p = t; *p; p++) {
			switch (*p) {
			case '\1':
				o += sprintf(line + o, "%d", code);
				break;
			case '\2':
				o += sprintf(line + o, "%lld", ran);
				break;
			case '\4':
				if (restarting)
					o += sprintf(line + o, ",\"restarting\":\"true\"");
				break;
			case '\3':
				o += sprintf(line + o, "\"time\":%lld,\"timeNano\":%lld", (long long)ts.tv_sec,
					     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
				break;
			default:
				line[o++] = *p;
			}
		}
		int lock = open(ev.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lock >= 0)
			while (flock(lock, LOCK_SH) < 0 && errno == EINTR)
				;
		int fd = open(ev.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			(void)!write(fd, line, o); // a full disk loses the event
			close(fd);
		}
		if (lock >= 0)
			close(lock);
		free(line);
	}
}

void dock_events_exit(int status, long long ran, int restarting)
{
	int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	reload_templates(); // the removal's too: auto-removal takes the file away
	write_templates(ev.exit, code, ran, restarting);
}

void dock_events_removed(void)
{
	write_templates(ev.removed, 0, 0, 0);
}
