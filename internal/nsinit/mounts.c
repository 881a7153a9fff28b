//go:build linux && cgo

// Mounts and files inside the container's root, all resolved with openat2
// and RESOLVE_IN_ROOT against the root's descriptor; the root itself.

#include "nsinit.h"

// The container's root, opened by OP_ROOT: every in-root path resolves
// against it.
static int root_fd = -1;

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

// create_in makes base in the directory dfd (path names it in errors): a
// directory, or an empty file when file is set; one that exists is
// left alone, a new one gets uid and gid unless uid is -1.
static void create_in(int dfd, const char *base, const char *path, mode_t mode, int file, uid_t uid, gid_t gid)
{
	int r;
	if (file) {
		r = openat(dfd, base, O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_WRONLY, 0644);
		if (r >= 0)
			close(r);
	} else {
		r = mkdirat(dfd, base, mode);
	}
	if (r < 0 && errno != EEXIST)
		dock_fail(1, errno, "mkdir %s", path);
	if (r >= 0 && uid != (uid_t)-1 && fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		dock_fail(1, errno, "chown %s", path);
}

// dock_mkdir_all creates path and its missing parents inside the root. The
// last component is a file when file is set.
void dock_mkdir_all(const char *path, mode_t mode, int file, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX];
	if (strlen(path) >= sizeof buf)
		dock_fail(1, ENAMETOOLONG, "mkdir %s", path);
	strcpy(buf, path);
	// The common cases first: the path exists, or only its last
	// component is missing (a mountpoint in a new tmpfs).
	int fd = in_root(buf, O_PATH, 0);
	if (fd >= 0) {
		close(fd);
		return;
	}
	if (errno == ENOENT) {
		const char *base;
		int dfd = parent_in_root(buf, &base);
		if (dfd >= 0) {
			create_in(dfd, base, path, mode, file, uid, gid);
			close(dfd);
			return;
		}
	}
	// Else each component in turn.
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		int last = *p == '\0';
		char save = *p;
		*p = '\0';
		fd = in_root(buf, O_PATH, 0);
		if (fd >= 0) {
			close(fd);
		} else if (errno == ENOENT) {
			const char *base;
			int dfd = parent_in_root(buf, &base);
			if (dfd < 0)
				dock_fail(1, errno, "mkdir %s", buf);
			create_in(dfd, base, buf, mode, last && file, uid, gid);
			close(dfd);
		} else {
			dock_fail(1, errno, "open %s", buf);
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

// missing_on_readonly reports whether path is missing inside the root
// and its directory is on a read-only mount, where no mountpoint can be
// made for it.
static int missing_on_readonly(const char *path, uint64_t resolve)
{
	int fd = in_root(path, O_PATH, resolve);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != ENOENT || strlen(path) >= PATH_MAX)
		return 0;
	char buf[PATH_MAX];
	const char *base;
	strcpy(buf, path);
	int dfd = parent_in_root(buf, &base);
	if (dfd < 0)
		return 0;
	struct statfs st;
	int ro = fstatfs(dfd, &st) == 0 && (st.f_flags & ST_RDONLY);
	close(dfd);
	return ro;
}

void dock_op_mount(struct field *f)
{
	uint64_t flags = dock_u64(&f[0]);
	const char *src = f[1].p, *target = f[2].p, *fstype = f[3].p, *data = f[5].p;
	unsigned long mflags = dock_u64(&f[4]);
	const char *tpath = target;
	int tfd = -1;
	uint64_t resolve = (flags & M_NOSYMLINKS) ? RESOLVE_NO_SYMLINKS : 0;

	if (flags & M_IN_ROOT) {
		if ((flags & M_SKIP_READONLY) && missing_on_readonly(target, resolve))
			return;
		if (flags & (M_MKDIR | M_MKFILE))
			dock_mkdir_all(target, 0755, !!(flags & M_MKFILE), (uid_t)-1, (gid_t)-1);
		tfd = in_root(target, O_PATH, resolve);
		if (tfd < 0)
			dock_fail(1, errno, "mount %s: open target", target);
		tpath = fdpath(0, tfd);
	}
	// A bind source is a host path that the engine chose (a volume) or
	// the caller named (a bind mount): it is trusted as given. A bind is
	// made first, and the flags (ro, nosuid...) applied by a remount.
	unsigned long first = mflags;
	if (mflags & MS_BIND)
		first = mflags & (MS_BIND | MS_REC);
	if (mount(src[0] ? src : NULL, tpath, fstype[0] ? fstype : NULL, first, data[0] ? data : NULL) < 0)
		dock_fail(1, errno, "mount %s on %s", src[0] ? src : fstype, target);
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
			dock_fail(1, errno, "mount %s: reopen target", target);
		tpath = fdpath(0, tfd);
	}
	if (flags & (M_VERIFY_PROC | M_VERIFY_SYS)) {
		struct statfs st;
		long want = (flags & M_VERIFY_PROC) ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
		if (tfd < 0 || fstatfs(tfd, &st) < 0 || st.f_type != want)
			dock_fail(1, 0, "mount %s: not the filesystem mounted", target);
	}
	if ((flags & M_REMOUNT) && (mflags & MS_BIND)) {
		unsigned long keep = tfd >= 0 ? statfs_flags(tfd) & ~MS_RDONLY : 0;
		unsigned long rf = MS_BIND | MS_REMOUNT | keep |
			(mflags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
		if (mount(NULL, tpath, NULL, rf, NULL) < 0)
			dock_fail(1, errno, "remount %s", target);
	}
	if (tfd >= 0)
		close(tfd);
}

// dock_in_root opens path inside the root: the one OP_ROOT opened, else
// (an exec, which joined the container's mount namespace) the process's
// own root.
int dock_in_root(const char *path, int flags, uint64_t resolve)
{
	if (root_fd < 0 && (root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	return in_root(path, flags, resolve);
}

// dock_bind_fd binds the file open as fd over target inside the root
// (made as an empty file when missing), reached without symlinks.
void dock_bind_fd(int fd, const char *target)
{
	if (root_fd < 0 && (root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		dock_fail(1, errno, "open /");
	dock_mkdir_all(target, 0755, 1, (uid_t)-1, (gid_t)-1);
	int tfd = in_root(target, O_PATH, RESOLVE_NO_SYMLINKS);
	if (tfd < 0)
		dock_fail(1, errno, "mount on %s: open target", target);
	if (mount(fdpath(1, fd), fdpath(0, tfd), NULL, MS_BIND, NULL) < 0)
		dock_fail(1, errno, "mount on %s", target);
	close(tfd);
}

void dock_op_root(struct field *f)
{
	if (root_fd >= 0)
		close(root_fd);
	root_fd = open(f[0].p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		dock_fail(1, errno, "open root %s", f[0].p);
}

void dock_op_mknod(struct field *f)
{
	const char *base;
	int dfd = parent_in_root(f[0].p, &base);
	if (dfd < 0)
		dock_fail(1, errno, "mknod %s", f[0].p);
	if (mknodat(dfd, base, (mode_t)dock_u64(&f[1]), (dev_t)dock_u64(&f[2])) < 0 && errno != EEXIST)
		dock_fail(1, errno, "mknod %s", f[0].p);
	close(dfd);
}

void dock_op_symlink(struct field *f)
{
	const char *base;
	int dfd = parent_in_root(f[1].p, &base);
	if (dfd < 0)
		dock_fail(1, errno, "symlink %s", f[1].p);
	if (symlinkat(f[0].p, dfd, base) < 0 && errno != EEXIST)
		dock_fail(1, errno, "symlink %s", f[1].p);
	close(dfd);
}

void dock_op_pivot(void)
{
	if (fchdir(root_fd) < 0)
		dock_fail(1, errno, "chdir to root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		dock_fail(1, errno, "pivot_root");
	// The old root is stacked under the new one: make it private so that
	// the detach does not propagate to the host, then detach it.
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		dock_fail(1, errno, "make old root slave");
	if (umount2(".", MNT_DETACH) < 0)
		dock_fail(1, errno, "detach old root");
	if (chdir("/") < 0)
		dock_fail(1, errno, "chdir /");
	close(root_fd);
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		dock_fail(1, errno, "open /");
}

// dock_op_mask hides a path. The /dev/null bound over files is verified to be
// the null device, so that an image whose /dev/null is a symlink cannot
// make the mask bind a host or procfs file (CVE-2025-31133).
void dock_op_mask(struct field *f)
{
	int fd = in_root(f[0].p, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		dock_fail(1, errno, "mask %s", f[0].p);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		dock_fail(1, errno, "mask %s", f[0].p);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", fdpath(0, fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
			dock_fail(1, errno, "mask %s", f[0].p);
	} else {
		int null = in_root("/dev/null", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
		struct stat ns;
		if (null < 0 || fstat(null, &ns) < 0 || !S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3))
			dock_fail(1, errno, "mask %s: /dev/null is not the null device", f[0].p);
		if (mount(fdpath(1, null), fdpath(0, fd), NULL, MS_BIND, NULL) < 0)
			dock_fail(1, errno, "mask %s", f[0].p);
		close(null);
	}
	close(fd);
}

void dock_op_readonly(struct field *f)
{
	int fd = in_root(f[0].p, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		dock_fail(1, errno, "readonly %s", f[0].p);
	}
	if (mount(fdpath(0, fd), fdpath(0, fd), NULL, MS_BIND | MS_REC, NULL) < 0)
		dock_fail(1, errno, "readonly %s", f[0].p);
	close(fd);
	fd = in_root(f[0].p, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		dock_fail(1, errno, "readonly %s", f[0].p);
	unsigned long keep = statfs_flags(fd);
	if (mount(NULL, fdpath(0, fd), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
		dock_fail(1, errno, "readonly %s", f[0].p);
	close(fd);
}

void dock_op_remount(struct field *f)
{
	int fd = in_root(f[0].p, O_PATH, 0);
	if (fd < 0)
		dock_fail(1, errno, "remount %s", f[0].p);
	unsigned long mflags = dock_u64(&f[1]) | (statfs_flags(fd) & ~MS_RDONLY);
	if (mount(NULL, fdpath(0, fd), NULL, MS_REMOUNT | MS_BIND | mflags, NULL) < 0)
		dock_fail(1, errno, "remount %s", f[0].p);
	close(fd);
}

// User namespaces. The init sets up the container as host root, then
// enters a user namespace made beforehand by the engine (a process that
// only holds it, see OP_PAUSE), just before it switches to the
// container's user: every mount is made with the host's privileges, and
// the image's layers appear with mapped owners through idmapped mounts
// (dock_op_idmap), so that layers stay shared and unchanged.

// dock_op_idmap mounts an idmapped view of the directory src (a layer) on dst.
void dock_op_idmap(struct field *f)
{
	int fd = syscall(SYS_open_tree, AT_FDCWD, f[0].p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		dock_fail(1, errno, "open_tree %s", f[0].p);
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = dock_userns_fd};
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
		dock_fail(1, errno, "idmap %s", f[0].p);
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, f[1].p, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		dock_fail(1, errno, "mount idmapped %s on %s", f[0].p, f[1].p);
	close(fd);
}

// dock_op_join moves this (single-threaded) process into cgroup v1
// hierarchies by writing "0" to their tasks files: a thread that moves
// itself skips the global lock that moving another process takes, and
// with it a wait for an RCU grace period.
void dock_op_join(struct field *f)
{
	char **files = dock_split(f);
	for (char **p = files; *p; p++) {
		int fd = open(*p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			dock_fail(1, errno, "join cgroup %s", *p);
		close(fd);
	}
	free(files);
}

// dock_op_write_proc writes a value into a procfs file: a sysctl of the
// container's namespaces (inside the root, after the pivot: its own
// /proc, reached without symlinks) or the host's /proc/self/... (before
// the pivot). The file must be on procfs: nothing else is written.
void dock_op_write_proc(struct field *f)
{
	uint64_t flags = dock_u64(&f[0]);
	const char *path = f[1].p;
	int fd;
	if (flags & P_IN_ROOT)
		fd = in_root(path, O_WRONLY, RESOLVE_NO_SYMLINKS);
	else
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		dock_fail(1, errno, "open %s", path);
	struct statfs st;
	if (fstatfs(fd, &st) < 0 || st.f_type != PROC_SUPER_MAGIC)
		dock_fail(1, 0, "write %s: not a file of procfs", path);
	ssize_t n;
	do
		n = write(fd, f[2].p, f[2].n);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)f[2].n)
		dock_fail(1, n < 0 ? errno : EIO, "write %s", path);
	close(fd);
}

// dock_op_device makes a device node inside the root, with its parents
// (0755), owned by uid:gid. One that exists is left as it is, as runc
// leaves it (the defaults of /dev are made first).
void dock_op_device(struct field *f)
{
	char *path = f[0].p;
	const char *base;
	char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		dock_mkdir_all(path, 0755, 0, (uid_t)-1, (gid_t)-1);
		*slash = '/';
	}
	int dfd = parent_in_root(path, &base);
	if (dfd < 0)
		dock_fail(1, errno, "device %s", path);
	if (mknodat(dfd, base, (mode_t)dock_u64(&f[1]), (dev_t)dock_u64(&f[2])) < 0) {
		if (errno != EEXIST)
			dock_fail(1, errno, "device %s", path);
	} else if (fchownat(dfd, base, (uid_t)dock_u64(&f[3]), (gid_t)dock_u64(&f[4]), AT_SYMLINK_NOFOLLOW) < 0) {
		dock_fail(1, errno, "device %s", path); // the mode is exact: the setup's umask is 0
	}
	close(dfd);
}

// dock_op_share_mount binds the mount at a path of another mount
// namespace (another container's /dev/shm) on a target inside the root.
// The kernel refuses a bind from another namespace, and open_tree clones
// only in the caller's: the init enters that namespace (where the path
// resolves in that container's root), clones the mount, comes back to
// its own namespace and working directory, and attaches the clone.
void dock_op_share_mount(struct field *f)
{
	const char *src = f[1].p, *target = f[2].p;
	int self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int other = open(f[0].p, O_RDONLY | O_CLOEXEC);
	if (self < 0 || cwd < 0 || other < 0)
		dock_fail(1, errno, "share mount %s: open %s", src, f[0].p);
	if (setns(other, CLONE_NEWNS) < 0)
		dock_fail(1, errno, "share mount %s: enter %s", src, f[0].p);
	int tree = syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	int terr = errno;
	if (setns(self, CLONE_NEWNS) < 0 || fchdir(cwd) < 0)
		dock_fail(1, errno, "share mount %s: come back", src);
	if (tree < 0)
		dock_fail(1, terr, "share mount %s", src);
	close(self);
	close(cwd);
	close(other);
	dock_mkdir_all(target, 0755, 0, (uid_t)-1, (gid_t)-1);
	int tfd = in_root(target, O_PATH, RESOLVE_NO_SYMLINKS);
	if (tfd < 0)
		dock_fail(1, errno, "share mount %s: open target %s", src, target);
	if (syscall(SYS_move_mount, tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		dock_fail(1, errno, "share mount %s on %s", src, target);
	close(tree);
	close(tfd);
}
