// Shared by the parts of the container init: nsinit.c (the plan and its
// dispatch), mounts.c, process.c and monitor.c. This code is linked into
// every program that imports dock, so every symbol shared between the
// files is named with the prefix dock_ (a function one file uses is
// static there): none can clash with the program's own C symbols.
#ifndef DOCK_NSINIT_H
#define DOCK_NSINIT_H

#define _GNU_SOURCE
#include <dirent.h>
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
#include <sys/mman.h>
#include <sys/mount.h>
#ifndef OPEN_TREE_CLONE
// musl's sys/mount.h has no new mount API: the kernel's header has it
// (glibc's has it, and conflicts with the kernel's).
#include <linux/mount.h>
#endif
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The largest user or group ID a container may use (runc's range). */
#define MAX_ID 2147483647

// Operations of the plan, and the flags of OP_MOUNT: numbered as in ops.go.
enum {
	OP_END = 0, OP_MOUNT = 1, OP_ROOT = 2, OP_MKDIR = 3, OP_MKNOD = 4,
	OP_SYMLINK = 5, OP_PIVOT = 6, OP_MASK = 7, OP_READONLY = 8,
	OP_HOSTNAME = 9, OP_RLIMIT = 10, OP_USER = 11, OP_BOUNDING = 12,
	OP_CAPS = 13, OP_NNP = 14, OP_SECCOMP = 15, OP_CHDIR = 16, OP_EXEC = 17,
	OP_SETNS = 18, OP_FORK = 19, OP_REAPER = 20, OP_REMOUNT = 21,
	OP_CHDIR_HOST = 22, OP_PDEATHSIG = 23, OP_UNSHARE = 24, OP_MONITOR = 25, OP_JOIN = 26,
	OP_PAUSE = 27, OP_IDMAP = 28, OP_ENTER_USERNS = 29, OP_OPEN_USERNS = 30,
	OP_AUTOREMOVE = 31, OP_AUTOREMOVE_VOLUMES = 32, OP_STDIO = 33, OP_NEXT = 34,
	OP_NULL_STDIO = 35, OP_EXIT_HOOK = 36, OP_HOLD = 37, OP_LOOPBACK = 38,
	OP_LINK = 39, OP_CONSOLE = 40, OP_RESTART_HOOK = 41, OP_HEALTH = 42,
	OP_WRITE_PROC = 43, OP_DEVICE = 44, OP_SHARE_MOUNT = 45,
	OP_SHARED_PIDNS = 46, OP_EVENTS = 47, OP_ATTACH = 48,
};

// Flags of OP_WRITE_PROC.
enum { P_IN_ROOT = 1 << 0 };

enum {
	M_IN_ROOT = 1 << 0, M_MKDIR = 1 << 1, M_MKFILE = 1 << 2,
	M_NOSYMLINKS = 1 << 3, M_VERIFY_PROC = 1 << 4, M_VERIFY_SYS = 1 << 5,
	M_REMOUNT = 1 << 6, M_SKIP_READONLY = 1 << 7,
};

// The reports on the sync socket (see ops.go): an error report, a forked
// process's PID, the engine's go-ahead, and a terminal's master (which
// travels with the report, SCM_RIGHTS).
enum { REPORT_ERROR = 'E', REPORT_PID = 'P', REPORT_GO = 'G', REPORT_TTY = 'T' };

// The environment variable that makes the binary an init (Env in ops.go),
// and the descriptor of its sync socket (SyncFd).
#define NSINIT_ENV "_DOCK_NSINIT"
// The environment variable of a process an exit hook runs (HookEnv in
// ops.go): not an init, and no prespawned one either.
#define HOOK_ENV "_DOCK_HOOK"
// The most descriptors OP_HOLD takes in one message (the kernel's
// SCM_MAX_FD is 253).
#define HOLD_BATCH 250
// How long the monitor waits for its exit hook.
#define HOOK_WAIT_MS 10000
// The exit status of a health check's program that leaves the container
// starting (HealthStarting in ops.go).
#define HEALTH_STARTING 3
#define SYNC_FD 3
#define MAX_PLAN (64 << 20)
#define MAX_FIELDS 8

struct field {
	char *p; // NUL-terminated copy
	uint32_t n;
};

extern int dock_sync_fd, dock_userns_fd, dock_console_fd;

void __attribute__((noreturn)) dock_fail(int code, int err, const char *fmt, ...);
int dock_read_full(int fd, void *buf, size_t n);
uint64_t dock_u64(const struct field *f);
char **dock_split(struct field *f);
void dock_mkdir_all(const char *path, mode_t mode, int file, uid_t uid, gid_t gid);
void dock_op_mount(struct field *f);
void dock_op_root(struct field *f);
void dock_op_mknod(struct field *f);
void dock_op_symlink(struct field *f);
void dock_op_pivot(void);
void dock_op_mask(struct field *f);
void dock_op_readonly(struct field *f);
void dock_op_remount(struct field *f);
void dock_op_idmap(struct field *f);
void dock_op_join(struct field *f);
void dock_op_user(struct field *f);
void dock_op_null_stdio(struct field *f);
void dock_op_bounding(struct field *f);
void dock_op_caps(struct field *f);
void dock_op_seccomp(struct field *f);
void dock_op_events(struct field *f);
void dock_events_exit(int status, long long ran, int restarting);
void dock_events_removed(void);
void dock_op_chdir(struct field *f);
void __attribute__((noreturn)) dock_op_exec(struct field *f);
void dock_op_setns(struct field *f);
void dock_report_pid(pid_t pid);
void dock_wait_go(void);
void dock_op_fork(void);
void dock_op_reaper(void);
void dock_op_autoremove(struct field *f);
void dock_op_autoremove_volumes(struct field *f);
void dock_op_monitor(struct field *f);
void dock_op_attach(struct field *f);
int dock_attach_open_stdin(void);
void dock_attach_listen(int tty);
void dock_attach_input(int fd);
void dock_attach_output(int stream, const char *p, size_t n);
void dock_attach_send(void *client, int kind, const void *p, size_t n);
void dock_monitor_greet(void *client);
int dock_attach_pollfds(struct pollfd *p);
void dock_attach_events(struct pollfd *p, int n);
void dock_attach_end(void);
// The most descriptors dock_attach_pollfds fills in.
#define ATTACH_POLLFDS 34
void dock_op_exit_hook(struct field *f);
void dock_op_hold(struct field *f);
void dock_op_restart_hook(struct field *f);
int dock_restart_wanted(int status);
void dock_restart_exec(void);
void dock_op_health(struct field *f);
void dock_health_begin(void);
int dock_health_fd(void);
int dock_health_timeout_ms(void);
void dock_health_tick(int ready);
void dock_health_stop(void);
void dock_op_loopback(void);
void dock_op_link(struct field *f);
void dock_op_console(struct field *f);
void dock_send_fd(int sock, char kind, int fd);
int dock_in_root(const char *path, int flags, uint64_t resolve);
void dock_bind_fd(int fd, const char *target);
void dock_op_write_proc(struct field *f);
void dock_op_device(struct field *f);
void dock_op_share_mount(struct field *f);
void dock_op_shared_pidns(struct field *f);
void dock_reset_process(void);
void __attribute__((noreturn)) dock_run_plan(void);

#endif
