//go:build linux

package nsinit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// exeFile opens this binary through a detached, read-only mount, once per
// process. Inits and exec'd processes are executed from it, so that a
// container process reaching the binary through /proc/PID/exe cannot
// write to it (CVE-2019-5736), at no copying cost.
var exeFile = sync.OnceValues(func() (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err == unix.EINVAL {
		// The binary's mount is none of this namespace's.
		return exeElsewhere()
	}
	if err != nil {
		return nil, fmt.Errorf("open_tree /proc/self/exe: %w", err)
	}
	return readOnlyView(fd)
})

// exeElsewhere is exeFile for a binary on a mount that open_tree cannot
// clone, none of this namespace's. Either this process runs from another
// one's read-only view (a hook that a container's monitor started from
// the ExeFile of the engine that started the container, a view gone with
// that engine): the binary is read-only already, and is opened as it is.
// Or it was executed as /proc/self/exe before an unshare: by its path
// (os.Executable), it is this namespace's. The path is not asked in the
// first case: it is "/" there (the file is its mount's root), the host's
// root directory, which nothing executes.
func exeElsewhere() (*os.File, error) {
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(int(self.Fd()), &sfs); err == nil && sfs.Flags&unix.ST_RDONLY != 0 {
		return self, nil
	}
	defer self.Close()
	path, err := os.Executable()
	if err != nil {
		return nil, err
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open_tree %s: %w", path, err)
	}
	var got, want unix.Stat_t
	if err := errors.Join(unix.Fstat(fd, &got), unix.Fstat(int(self.Fd()), &want)); err != nil ||
		got.Dev != want.Dev || got.Ino != want.Ino {
		unix.Close(fd)
		return nil, fmt.Errorf("open_tree %s: not this binary (%v)", path, err)
	}
	return readOnlyView(fd)
}

// readOnlyView makes the detached mount fd read-only.
func readOnlyView(fd int) (*os.File, error) {
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("make the binary's mount read-only: %w", err)
	}
	return os.NewFile(uintptr(fd), "dock-exe"), nil
}

// ExeFile is this binary, opened once through a read-only mount: what an
// init is executed from (ExeFd).
func ExeFile() (*os.File, error) { return exeFile() }

// Command is this binary re-executed as the C init, named name in ps.
// Start it with Start, after setting its stdio and whatever attr needs.
func Command(name string, attr *syscall.SysProcAttr) *exec.Cmd {
	return &exec.Cmd{
		Path:        "/proc/self/fd/" + strconv.Itoa(ExeFd),
		Args:        []string{name},
		Env:         []string{Env + "=" + strconv.Itoa(SyncFd)},
		SysProcAttr: attr,
	}
}

// Start starts cmd (made by Command) with the sync socket as its
// descriptor SyncFd and the binary, through its read-only mount, as ExeFd
// (what cmd.Path executes), and returns the engine's end of the socket.
// The child's end is closed here once the child has it, so that the
// socket ends with the child's execve.
func Start(cmd *exec.Cmd) (*Conn, error) {
	exe, err := exeFile()
	if err != nil {
		return nil, err
	}
	conn, child, err := socketPair()
	if err != nil {
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{child, exe}
	err = cmd.Start()
	child.Close()
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
