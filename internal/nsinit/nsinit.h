// Shared by the parts of the container init: nsinit.c (the plan and its
// dispatch), mounts.c, process.c and monitor.c. Every name shared between
// them is prefixed with dock_ (the macros below), so that the symbols
// cannot clash with those of the program that links them in.
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
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The largest user or group ID a container may use (runc's range). */
#define MAX_ID 2147483647

#define fail dock_fail
#define read_full dock_read_full
#define u64 dock_u64
#define split dock_split
#define in_root dock_in_root
#define parent_in_root dock_parent_in_root
#define mkdir_all dock_mkdir_all
#define report_pid dock_report_pid
#define wait_go dock_wait_go
#define op_mount dock_op_mount
#define op_root dock_op_root
#define op_mknod dock_op_mknod
#define op_symlink dock_op_symlink
#define op_pivot dock_op_pivot
#define op_mask dock_op_mask
#define op_readonly dock_op_readonly
#define op_remount dock_op_remount
#define op_idmap dock_op_idmap
#define op_join dock_op_join
#define op_user dock_op_user
#define op_null_stdio dock_op_null_stdio
#define op_bounding dock_op_bounding
#define op_caps dock_op_caps
#define op_seccomp dock_op_seccomp
#define op_chdir dock_op_chdir
#define op_exec dock_op_exec
#define op_setns dock_op_setns
#define op_fork dock_op_fork
#define op_reaper dock_op_reaper
#define op_autoremove dock_op_autoremove
#define op_autoremove_volumes dock_op_autoremove_volumes
#define op_monitor dock_op_monitor
#define sync_fd dock_sync_fd
#define root_fd dock_root_fd
#define run_plan dock_run_plan
#define op_stdio dock_op_stdio
#define reset_process dock_reset_process

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
	OP_NULL_STDIO = 35,
};

enum {
	M_IN_ROOT = 1 << 0, M_MKDIR = 1 << 1, M_MKFILE = 1 << 2,
	M_NOSYMLINKS = 1 << 3, M_VERIFY_PROC = 1 << 4, M_VERIFY_SYS = 1 << 5,
	M_REMOUNT = 1 << 6, M_SOURCE_TTY = 1 << 7,
};

#define SYNC_FD 3
#define MAX_PLAN (64 << 20)
#define MAX_FIELDS 8

struct field {
	char *p; // NUL-terminated copy
	uint32_t n;
};

extern int sync_fd, root_fd, dock_userns_fd;

void __attribute__((noreturn)) fail(int code, int err, const char *fmt, ...);
int read_full(int fd, void *buf, size_t n);
uint64_t u64(const struct field *f);
char **split(struct field *f);
int in_root(const char *path, int flags, uint64_t resolve);
int parent_in_root(char *path, const char **base);
void mkdir_all(const char *path, mode_t mode, int file, uid_t uid, gid_t gid);
void op_mount(struct field *f);
void op_root(struct field *f);
void op_mknod(struct field *f);
void op_symlink(struct field *f);
void op_pivot(void);
void op_mask(struct field *f);
void op_readonly(struct field *f);
void op_remount(struct field *f);
void op_idmap(struct field *f);
void op_join(struct field *f);
void op_user(struct field *f);
void op_null_stdio(struct field *f);
void op_bounding(struct field *f);
void op_caps(struct field *f);
void op_seccomp(struct field *f);
void op_chdir(struct field *f);
void __attribute__((noreturn)) op_exec(struct field *f);
void op_setns(struct field *f);
void report_pid(pid_t pid);
void wait_go(void);
void op_fork(void);
void op_reaper(void);
void op_autoremove(struct field *f);
void op_autoremove_volumes(struct field *f);
void op_monitor(struct field *f);
void op_stdio(struct field *f);
void reset_process(void);
void __attribute__((noreturn)) run_plan(void);

#endif
