package dock

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// inotifyWatch watches the log's directory with inotify: a write,
// create or rename there wakes wait.
type inotifyWatch struct {
	f   *os.File
	buf []byte
}

// newEventWatch watches dir with inotify, or polls when inotify is not
// available (out of instances, say).
func newEventWatch(dir string) eventWatch {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return pollWatch{}
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_MODIFY|unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return pollWatch{}
	}
	// Non-blocking: the runtime's poller waits for it, and a deadline
	// ends the wait.
	return &inotifyWatch{f: os.NewFile(uintptr(fd), "inotify"), buf: make([]byte, 4096)}
}

func (w *inotifyWatch) wait(ctx context.Context, deadline time.Time) error {
	if err := w.f.SetReadDeadline(deadline); err != nil {
		return err
	}
	// Registered after the deadline is set, so that a ctx already done
	// overrides it.
	stop := context.AfterFunc(ctx, func() { w.f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	_, err := w.f.Read(w.buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	return err
}

func (w *inotifyWatch) close() { w.f.Close() }
