//go:build linux && cgo

// Which runs of the CLI want a prespawned init (package prespawn): run and
// start, the commands that may start an attached container. The others
// (ps, logs -f, exec...) would pay the fork and keep an idle init in new
// namespaces for nothing. Asked before the Go runtime starts, so it reads
// the command line from /proc/self/cmdline, skipping the global flag
// --root DIR or --root=DIR.

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int dock_prespawn_filter(void)
{
	char buf[4096];
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *end = buf + n;
	char *arg = buf + strlen(buf) + 1; // after the program's name
	while (arg < end) {
		if (strcmp(arg, "--root") == 0 || strcmp(arg, "-root") == 0) {
			arg += strlen(arg) + 1; // its value
		} else if (strncmp(arg, "--root=", 7) != 0 && strncmp(arg, "-root=", 6) != 0) {
			return strcmp(arg, "run") == 0 || strcmp(arg, "start") == 0;
		}
		if (arg < end)
			arg += strlen(arg) + 1;
	}
	return 0;
}
