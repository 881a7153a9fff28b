package dock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/procstat"
)

// A container's filesystem as the archive calls see it (its "view"): the
// root filesystem, with the volumes, bind mounts and /etc files mounted
// where the container has them, and nothing else: no /proc, /sys, /dev or
// tmpfs, as in Docker's archive calls.
//
// The view is built in a mount namespace of its own, made by the
// process's namespace thread (see nsThread) with unshare(CLONE_NEWNS),
// with every mount private: nothing of it is ever seen on the host or in
// the container. Its root is
//   - for a stopped container, an overlay of its image layers and its own
//     upper directory, made with fsopen/fsmount (through idmapped layers
//     when it has a user namespace, as Start mounts it); for a view that
//     only reads, the upper directory is the top lower layer instead,
//     under a scratch upper directory of the view's own (where the mount
//     points it needs are made, thrown away at Close), so that the view
//     never holds the container's as an upper directory;
//   - for a running (or paused) one, a clone (open_tree OPEN_TREE_CLONE,
//     not recursive) of the root mount of the container's own mount
//     namespace, made by the namespace thread from inside it: the same
//     overlay, so what is written is seen at once by the container, but
//     none of the mounts the container has on top of it.
// The volumes and bind mounts are cloned from their host directories
// (OPEN_TREE_CLONE|AT_RECURSIVE) and moved onto their targets, each target
// resolved inside the root (openat2 RESOLVE_IN_ROOT) from the root's
// descriptor. Then the view is only descriptors: the root's, and the
// namespace's, which keeps the mounts alive once the thread has left it.
// Lookups from the root's descriptor cross those mounts as the kernel
// crosses mounts, whatever namespace the calling thread is in. Close
// drops both: the kernel unmounts everything.
//
// The container's start lock is held while the view is built, so that no
// Start comes between the look at the state and the mounts. A view that
// reads (StatPath, ArchivePath, Export) lets it go then: a long copy out
// of the container must not make a Start, a Restart or the restart
// policy fail, and its reads through the view never write the upper
// directory. A view that writes (ExtractToDir) keeps it until Close: a
// Start fails at once ("being started") rather than mounting a second
// overlay on the upper directory the view writes through.

// containerView is a container's filesystem, open for the archive calls.
type containerView struct {
	c    *Container
	rec  *containerRecord
	root int // O_PATH descriptor of the view's root directory
	ns   int // the view's mount namespace, held open
	// mounts are the mounts on the root, by mount ID.
	mounts []viewMount
	unlock func() // the start lock's, while the view holds it
	// scratch is the directory of the view's own upper directory, when
	// it has one, which Close removes.
	scratch string
}

// viewOptions say what a view is for.
type viewOptions struct {
	// mounts puts the container's volumes, bind mounts and /etc files
	// in the view (all but Export).
	mounts bool
	// write is set for a view that writes (ExtractToDir): it holds the
	// start lock until Close; a view that only reads mounts a stopped
	// container's upper directory as a lower layer.
	write bool
}

// viewMount is a mount of the view on top of its root.
type viewMount struct {
	target   string
	mntID    uint64
	readOnly bool
	volume   bool // a volume or bind mount (not an /etc file)
}

// resolveInRoot confines a lookup to the view's root.
const resolveInRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// openView opens the container's filesystem for what o says.
func (c *Container) openView(ctx context.Context, o viewOptions) (v *containerView, retErr error) {
	rec, err := c.knownRecord()
	if err != nil {
		return nil, err
	}
	unlock, err := c.waitStartLock(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			unlock()
		}
	}()
	st, err := c.State(ctx)
	if err != nil {
		return nil, err
	}
	v = &containerView{c: c, rec: rec, root: -1, ns: -1, unlock: unlock}
	rootMount := -1
	var layers []int // idmapped layers, attached by the build thread
	if st.Status == StatusRunning || st.Status == StatusPaused {
		rootMount, err = cloneRunningRoot(st.Pid, st.PidStart)
		// A container that has just exited (its exit not yet recorded)
		// has no mount namespace left: it is mounted as a stopped one.
		if err != nil && !errors.Is(err, ErrNotRunning) {
			return nil, fmt.Errorf("open the container's root: %w", err)
		}
	}
	if rootMount < 0 {
		if len(rec.Config.UIDMap) > 0 {
			if layers, err = idmapLayers(ctx, c.e, rec); err != nil {
				return nil, fmt.Errorf("open the container's root: %w", err)
			}
		}
	}
	defer func() {
		if rootMount >= 0 {
			unix.Close(rootMount)
		}
		for _, fd := range layers {
			unix.Close(fd)
		}
	}()
	var mounts []Mount
	if o.mounts {
		mounts = sortedMounts(rec.Config.Mounts)
	}
	err = onNSThread(func() error { return v.build(rootMount, layers, mounts, o.mounts, o.write) })
	if err != nil {
		v.Close()
		return nil, fmt.Errorf("open the container's filesystem: %w", err)
	}
	if !o.write {
		v.unlock = nil
		unlock()
	}
	return v, nil
}

// Close releases the view, and the start lock if it holds it.
func (v *containerView) Close() {
	if v.root >= 0 {
		unix.Close(v.root)
	}
	if v.ns >= 0 {
		unix.Close(v.ns)
	}
	v.root, v.ns = -1, -1
	if v.scratch != "" {
		os.RemoveAll(v.scratch)
		v.scratch = ""
	}
	if v.unlock != nil {
		v.unlock()
		v.unlock = nil
	}
}

// waitStartLock takes the container's start lock (see lockStart), waiting
// while a Start holds it, until ctx ends.
func (c *Container) waitStartLock(ctx context.Context) (unlock func(), err error) {
	guard, err := os.OpenFile(c.dir("start.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no such container: %s: %w", c.id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	for {
		err := unix.Flock(int(guard.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { guard.Close() }, nil
		}
		if err != unix.EWOULDBLOCK && err != unix.EINTR {
			guard.Close()
			return nil, fmt.Errorf("lock container %s: %w", c.id[:12], err)
		}
		if !sleepCtx(ctx, 5*time.Millisecond) {
			guard.Close()
			return nil, ctx.Err()
		}
	}
}

// The namespace work runs on one OS thread kept for it for the life of
// the process (nsThread): a thread must not share its filesystem
// attributes (CLONE_FS) to change its mount namespace, and once unshared
// it can never go back to the Go scheduler's pool (a later os.Chdir would
// miss it). Nor may it exit, as locked threads do when their goroutine
// ends: a child that a Start forked on that thread with PR_SET_PDEATHSIG
// (an attached container's init) would be killed with it.

// nsThread runs functions on its own locked OS thread, one at a time.
type nsThread struct {
	jobs chan func()
	home int // the process's mount namespace
	root int // the process's root directory
	// lost is set, on the thread, when it could not go back to the
	// process's namespace: it then runs nothing more.
	lost error
}

var theNSThread = sync.OnceValues(startNSThread)

func startNSThread() (*nsThread, error) {
	t := &nsThread{jobs: make(chan func())}
	ready := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // for good: this goroutine never ends
		var err error
		if t.root, err = unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
			ready <- err
			return
		}
		if t.home, err = unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			ready <- err
			return
		}
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			ready <- fmt.Errorf("unshare: %w", err)
			return
		}
		ready <- nil
		for job := range t.jobs {
			job()
		}
	}()
	if err := <-ready; err != nil {
		return nil, fmt.Errorf("start the mount namespace thread: %w", err)
	}
	return t, nil
}

// onNSThread runs fn on the namespace thread, which then goes back to
// the process's mount namespace and root directory. fn may change the
// thread's mount namespace (unshare or setns).
func onNSThread(fn func() error) error {
	t, err := theNSThread()
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	t.jobs <- func() {
		if t.lost != nil {
			done <- t.lost
			return
		}
		done <- errors.Join(fn(), t.goHome())
	}
	return <-done
}

// goHome returns the thread to the process's mount namespace and root.
// If it cannot, the thread is lost for good (it runs no other code).
func (t *nsThread) goHome() error {
	err := unix.Setns(t.home, unix.CLONE_NEWNS)
	if err == nil {
		err = unix.Fchdir(t.root)
	}
	if err == nil {
		err = unix.Chroot(".")
	}
	if err != nil {
		t.lost = fmt.Errorf("the mount namespace thread cannot go back to the process's namespace: %w", err)
	}
	return t.lost
}

// cloneRunningRoot returns a detached clone of the root mount of the
// running container whose init is pid (started at start, so that a
// reused PID is never taken for it), without the mounts on top of it.
func cloneRunningRoot(pid int, start uint64) (int, error) {
	ns, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, ErrNotRunning
	}
	defer unix.Close(ns)
	if !procstat.Alive(pid, start) {
		return -1, ErrNotRunning
	}
	fd := -1
	err = onNSThread(func() error {
		if err := unix.Setns(ns, unix.CLONE_NEWNS); err != nil {
			return fmt.Errorf("enter the container's mount namespace: %w", err)
		}
		// "/" is now the container's root, as after nsenter -m.
		var err error
		fd, err = unix.OpenTree(unix.AT_FDCWD, "/", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return fmt.Errorf("clone the container's root: %w", err)
		}
		return nil
	})
	return fd, err
}

// viewLayers are the layers under a stopped container's writable layer,
// bottom first: the image's, then the init layer, as Start stacks them.
func viewLayers(e *Engine, rec *containerRecord) []string {
	return append(slices.Clone(rec.Layers), e.path(initLayerDir))
}

// idmapLayers returns the layers of a container with a user namespace
// as detached idmapped mounts, as Start mounts them: through a process
// that holds a user namespace with the container's maps.
func idmapLayers(ctx context.Context, e *Engine, rec *containerRecord) (fds []int, retErr error) {
	holder, err := usernsHolder(ctx, &rec.Config)
	if err != nil {
		return nil, err
	}
	defer holder.Close()
	userns, err := unix.Open(holder.file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(userns)
	defer func() {
		if retErr != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
	}()
	for _, d := range viewLayers(e, rec) {
		fd, err := unix.OpenTree(unix.AT_FDCWD, d, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return fds, fmt.Errorf("clone layer: %w", err)
		}
		fds = append(fds, fd)
		attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns)}
		if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
			return fds, fmt.Errorf("idmap layer: %w", err)
		}
	}
	return fds, nil
}

// build makes the view, on a thread of its own: a private mount
// namespace, the root (rootMount, or an overlay of the container's
// layers, idmapped when layers are given, writable with write) attached
// on the container's rootfs directory there, and mounts on it.
func (v *containerView) build(rootMount int, layers []int, mounts []Mount, etcFiles, write bool) error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	// Private first: nothing mounted here may propagate to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	if rootMount < 0 {
		fd, err := v.mountOverlay(layers, write)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		rootMount = fd
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC}
	if err := unix.MountSetattr(rootMount, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		return fmt.Errorf("set the root's mount flags: %w", err)
	}
	at := v.c.dir("rootfs")
	if err := unix.MoveMount(rootMount, "", unix.AT_FDCWD, at, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach the root: %w", err)
	}
	root, err := unix.Open(at, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	v.root = root
	for _, m := range mounts {
		if err := v.mountVolume(m); err != nil {
			return fmt.Errorf("mount %s: %w", m.Target, err)
		}
	}
	if etcFiles {
		for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
			src := v.c.dir(f)
			if _, err := os.Lstat(src); err != nil {
				continue
			}
			if err := v.mount(src, "/etc/"+f, false, false); err != nil {
				return fmt.Errorf("mount /etc/%s: %w", f, err)
			}
		}
	}
	ns, err := unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	v.ns = ns
	return nil
}

// mountOverlay returns the container's root filesystem as a detached
// overlay mount: its layers (or layers, their idmapped mounts) under its
// upper directory. The layers are attached on the container's idmap/N
// directories first, in the view's namespace: overlayfs takes its layers
// from the caller's namespace. Without write the upper directory is the
// top lower layer, under a scratch upper directory: the overlay does not
// take it as its upper directory, which a Start may then mount as its
// own.
func (v *containerView) mountOverlay(layers []int, write bool) (int, error) {
	var lower []string
	if len(layers) > 0 {
		for i, fd := range slices.Backward(layers) {
			at := v.c.dir("idmap", strconv.Itoa(i))
			if err := os.MkdirAll(at, 0o700); err != nil {
				return -1, err
			}
			if err := unix.MoveMount(fd, "", unix.AT_FDCWD, at, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
				return -1, fmt.Errorf("attach layer: %w", err)
			}
			lower = append(lower, at)
		}
	} else {
		for _, d := range slices.Backward(viewLayers(v.c.e, v.rec)) {
			lower = append(lower, d)
		}
	}
	upper, work := v.c.dir("upper"), v.c.dir("work")
	if !write {
		lower = append([]string{upper}, lower...)
		scratch, err := os.MkdirTemp(v.c.e.path("tmp"), "view-*")
		if err != nil {
			return -1, err
		}
		v.scratch = scratch
		upper, work = filepath.Join(scratch, "upper"), filepath.Join(scratch, "work")
		for _, d := range []string{upper, work} {
			if err := os.Mkdir(d, 0o700); err != nil {
				return -1, err
			}
		}
	}
	// By descriptor: short names, so that many layers fit in the option.
	for i, p := range lower {
		fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		defer unix.Close(fd)
		lower[i] = "/proc/self/fd/" + strconv.Itoa(fd)
	}
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("mount the root: %w", err)
	}
	defer unix.Close(fsfd)
	for _, o := range [][2]string{
		{"lowerdir", strings.Join(lower, ":")},
		{"upperdir", upper},
		{"workdir", work},
	} {
		if err := unix.FsconfigSetString(fsfd, o[0], o[1]); err != nil {
			return -1, fmt.Errorf("mount the root: %s: %w", o[0], err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, fmt.Errorf("mount the root: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("mount the root: %w", err)
	}
	return mfd, nil
}

// mountVolume mounts a volume or bind mount of the container in the view.
func (v *containerView) mountVolume(m Mount) error {
	var src string
	switch m.Type {
	case "volume":
		src = v.c.e.path("volumes", m.Source, "_data")
	case "bind":
		src = m.Source
	default:
		return nil // tmpfs: only the container has it
	}
	return v.mount(src, m.Target, m.ReadOnly, true)
}

// mount clones the host's src (a directory, with what is mounted under
// it, or a file) onto target in the view, resolved inside the view's
// root: a symlink of the container leads where it leads the container,
// never out of the root. A missing target is made, as Start makes it.
func (v *containerView) mount(src, target string, readOnly, volume bool) error {
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("clone %s: %w", src, err)
	}
	defer unix.Close(fd)
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC}
	if readOnly {
		attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
	}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
		return fmt.Errorf("set mount flags: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	tfd, err := v.mountPoint(target, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer unix.Close(tfd)
	if err := unix.MoveMount(fd, "", tfd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	id, err := mountID(fd)
	if err != nil {
		return err
	}
	v.mounts = append(v.mounts, viewMount{target: target, mntID: id, readOnly: readOnly, volume: volume})
	return nil
}

// mountPoint opens target (absolute) inside the view's root, making it
// (a directory, or an empty file when dir is false) and its missing
// parents when it is missing, as Start does.
func (v *containerView) mountPoint(target string, dir bool) (int, error) {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolveInRoot}
	fd, err := unix.Openat2(v.root, target, &how)
	if err != unix.ENOENT {
		return fd, err
	}
	parent, base := path.Split(path.Clean(target))
	if base == "" {
		return -1, unix.ENOENT // the root cannot be missing
	}
	pfd, err := v.mountPoint(parent, true)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	// pfd is O_PATH: a descriptor to make entries in.
	dfd, err := unix.Openat(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(dfd)
	if dir {
		err = unix.Mkdirat(dfd, base, 0o755)
	} else {
		var f int
		f, err = unix.Openat(dfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err == nil {
			unix.Close(f)
		}
	}
	if err != nil && err != unix.EEXIST {
		return -1, err
	}
	return unix.Openat(dfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}

// mountID is the ID of the mount that fd is on.
func mountID(fd int) (uint64, error) {
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, err
	}
	return stx.Mnt_id, nil
}

// mountOf returns the mount of the view that fd is on, or nil for the
// root filesystem.
func (v *containerView) mountOf(fd int) (*viewMount, error) {
	id, err := mountID(fd)
	if err != nil {
		return nil, err
	}
	for i := range v.mounts {
		if v.mounts[i].mntID == id {
			return &v.mounts[i], nil
		}
	}
	return nil, nil
}

// procRoot names the view's root for lookupUser, which opens it as a
// path: the magic link of its descriptor, in this process.
func (v *containerView) procRoot() string {
	return "/proc/self/fd/" + strconv.Itoa(v.root)
}
