//go:build linux

package nsinit

import (
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
		// The binary's mount is another mount namespace's (it was
		// executed as /proc/self/exe before an unshare): by its path,
		// it is this namespace's.
		if path, perr := os.Executable(); perr == nil {
			fd, err = unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open_tree /proc/self/exe: %w", err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("make the binary's mount read-only: %w", err)
	}
	return os.NewFile(uintptr(fd), "dock-exe"), nil
})

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
