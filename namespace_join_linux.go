package dock

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Namespaces of other containers (IPC and PID "container:NAME"), taken
// at each start, as Docker takes them: the other container must be
// running, and, for its IPC namespace, shareable.

// joinNamespaces finds the namespaces that l's container joins.
func (e *Engine) joinNamespaces(l *launch) error {
	cfg := &l.rec.Config
	if name := joinedContainer(cfg.IPC); name != "" {
		pid, rec, err := e.runningContainer(name)
		if err != nil {
			return err
		}
		if m := rec.Config.IPC; m != nsShareable && m != nsHost {
			return fmt.Errorf("container %s: non-shareable IPC (hint: use IpcMode:shareable for the donor container): %w", name, ErrInvalid)
		}
		l.ipcns, l.shmFrom = nsPath(pid, "ipc"), nsPath(pid, "mnt")
	}
	if name := joinedContainer(cfg.PID); name != "" {
		pid, _, err := e.runningContainer(name)
		if err != nil {
			return err
		}
		l.pidns = nsPath(pid, "pid")
	}
	return nil
}

func nsPath(pid int, ns string) string { return "/proc/" + strconv.Itoa(pid) + "/ns/" + ns }

// runningContainer returns the init's PID and the record of the running
// (or paused) container name, with Docker's error when it is not.
func (e *Engine) runningContainer(name string) (int, *containerRecord, error) {
	other, err := e.Container(name)
	if err != nil {
		return 0, nil, err
	}
	st, err := other.State(context.Background())
	if err != nil {
		return 0, nil, err
	}
	if st.Status != StatusRunning && st.Status != StatusPaused {
		return 0, nil, fmt.Errorf("Container %s is not running: %w", name, ErrNotRunning)
	}
	rec, err := other.record()
	if err != nil {
		return 0, nil, err
	}
	return st.Pid, rec, nil
}

// startInPidns runs start, which clones a process, with the PID namespace
// at path as the one for this thread's children: the clone is born there
// (a process can only be put in a PID namespace at its birth). The
// thread's own namespace is set back afterwards; a thread that could not
// be set back is left locked, and ends with the goroutine.
func startInPidns(path string, start func() error) error {
	if path == "" {
		return start()
	}
	target, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("join PID namespace: %w", err)
	}
	defer target.Close()
	self, err := os.Open("/proc/thread-self/ns/pid")
	if err != nil {
		return fmt.Errorf("join PID namespace: %w", err)
	}
	defer self.Close()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWPID); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("join PID namespace %s: %w", path, err)
			return
		}
		err := start()
		if unix.Setns(int(self.Fd()), unix.CLONE_NEWPID) == nil {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
}

// waitExited waits until the process pid has exited, without reaping it.
func waitExited(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return // gone already
	}
	defer unix.Close(fd)
	for {
		_, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, -1)
		if err != unix.EINTR {
			return
		}
	}
}
