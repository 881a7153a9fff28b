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
// lines never mix; the engine rotates the log, the monitor only appends.

static struct {
	char *path, *exit, *removed; // lists: strings each ended by a NUL, then a NUL
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
	ev.exit = copy_field(&f[1]);
	ev.removed = copy_field(&f[2]);
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
		int fd = open(ev.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			(void)!write(fd, line, o); // a full disk loses the event
			close(fd);
		}
		free(line);
	}
}

void dock_events_exit(int status, long long ran, int restarting)
{
	int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	write_templates(ev.exit, code, ran, restarting);
}

void dock_events_removed(void)
{
	write_templates(ev.removed, 0, 0, 0);
}
