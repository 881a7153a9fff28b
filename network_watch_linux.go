package dock

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/procstat"
)

// A detached container's network is taken back at its exit by the engine
// that started it, while that engine is open (dockd, which starts them
// all): in its own process a teardown takes about a millisecond, where
// the monitor's exit hook starts the program again (several
// milliseconds, and many more on a busy machine) before it does the same.
// The engine holds the hook's marker (hookMarker) locked, shared, from
// before the container can exit (claimNetwork) until it has taken the
// network back and removed the marker; the monitor, at the exit, waits
// for the marker's lock, exclusive, and runs the hook only when the
// marker is still there then. So the network is gone before the exit is
// recorded whichever of the two takes it back, and a watch that ends
// without doing it (Close, a failed teardown, a killed engine: its lock
// goes with it) leaves it to the hook.

// claimNetwork opens the marker at path and takes its lock, shared, for
// watchNetwork.
func claimNetwork(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := flockRetry(int(f.Fd()), unix.LOCK_SH); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// watchNetwork takes the network of detached container id back when its
// init (pid, started at pidStart) exits, then removes the marker that
// claim holds and lets it go; it takes claim over.
func (e *Engine) watchNetwork(id string, pid int, pidStart uint64, claim *os.File) {
	pidfd, err := openPidfd(pid, pidStart)
	if err != nil {
		claim.Close() // not to be watched: the hook takes it back
		return
	}
	if !e.watches.add(pidfd) {
		if pidfd != nil {
			pidfd.Close()
		}
		claim.Close()
		return
	}
	go func() {
		defer e.watches.done(pidfd)
		defer claim.Close()
		if pidfd != nil && !waitReadable(pidfd) {
			return // the engine closes: the hook takes it back
		}
		fi, err := claim.Stat()
		if err != nil {
			return
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink == 0 {
			return // taken back already (takeBackNetwork)
		}
		if err := teardownNetwork(id); err != nil {
			e.log.Warn("container exit", "id", id[:12], "err", err)
			return // the hook tries again
		}
		// Only this marker: a later start makes its own.
		if cur, err := os.Stat(claim.Name()); err == nil && os.SameFile(cur, fi) {
			os.Remove(claim.Name())
		}
	}()
}

// openPidfd opens a pidfd of process pid, started at start, that the
// runtime's poller watches; nil when the process is gone already (or its
// PID another's since), an error when it cannot be watched.
func openPidfd(pid int, start uint64) (*os.File, error) {
	if start == 0 {
		return nil, nil // gone before its start time could be read
	}
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if errors.Is(err, unix.ESRCH) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	if !procstat.Alive(pid, start) {
		f.Close()
		return nil, nil
	}
	return f, nil
}

// waitReadable waits until the pidfd f says its process has exited; false
// when f was closed first (or cannot be waited for).
func waitReadable(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	exited := false
	err = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, _ := unix.Poll(fds, 0)
		exited = n > 0
		return exited
	})
	return err == nil && exited
}
