//go:build linux

package nsinit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxErrorReport bounds the message of an error report (the init sends
// at most 1023 bytes).
const maxErrorReport = 4096

// Conn is the engine's end of an init's sync socket: the plan goes out;
// PID reports, error reports and the end of the socket (the init's
// execve) come back. Each call that waits on the init ends when its ctx
// does. It is not safe for concurrent use.
type Conn struct {
	f   *os.File // non-blocking, so that a deadline can end a wait
	tty *os.File // the terminal's master that a report brought, until taken
}

// newConn makes the engine's end of a sync socket from fd. The end is
// made non-blocking first: os.File then waits in the runtime's poller,
// where a deadline ends the wait (a blocking read would hold its thread
// until the init wrote or died). The init's end is another open file,
// still blocking.
func newConn(fd int, name string) (*Conn, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sync socket: %w", err)
	}
	return &Conn{f: os.NewFile(uintptr(fd), name)}, nil
}

func socketPair() (engine *Conn, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	child = os.NewFile(uintptr(fds[1]), "sync-child")
	if engine, err = newConn(fds[0], "sync"); err != nil {
		child.Close()
		return nil, nil, err
	}
	return engine, child, nil
}

// bound ends the socket's reads and writes, with os.ErrDeadlineExceeded,
// once ctx ends; stop stops that. A deadline in the past stays: the
// start it belongs to has failed.
func (c *Conn) bound(ctx context.Context) (stop func() bool) {
	end := func() { c.f.SetDeadline(time.Unix(1, 0)) }
	if ctx.Err() != nil {
		end() // at once, not in AfterFunc's goroutine: the call must fail
	}
	return context.AfterFunc(ctx, end)
}

// ctxErr is ctx's error when it ended the call that failed with err.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return ctx.Err()
	}
	return err
}

// Close closes the engine's end: an init that waits for its plan, or in
// Plan.Pause, then exits. A terminal not taken is closed too.
func (c *Conn) Close() error {
	if c.tty != nil {
		c.tty.Close()
		c.tty = nil
	}
	return c.f.Close()
}

// Terminal returns the master of the terminal that the init opened
// (Plan.Console) and reported during Wait, and gives it to the caller;
// nil when none came.
func (c *Conn) Terminal() *os.File {
	t := c.tty
	c.tty = nil
	return t
}

// Send sends the plan, or fails with ctx's error once ctx ends.
func (c *Conn) Send(ctx context.Context, p *Plan) error {
	defer c.bound(ctx)()
	if _, err := c.f.Write(p.Bytes()); err != nil {
		return fmt.Errorf("send plan to init: %w", ctxErr(ctx, err))
	}
	return nil
}

// sendWithFiles sends the plan with three descriptors (SCM_RIGHTS, with
// its length), which the init takes for Plan.Stdio.
func (c *Conn) sendWithFiles(ctx context.Context, p *Plan, files [3]*os.File) error {
	defer c.bound(ctx)()
	b := p.Bytes()
	rights := unix.UnixRights(int(files[0].Fd()), int(files[1].Fd()), int(files[2].Fd()))
	// Through the raw connection: c.f.Fd() would make the socket
	// blocking again, and deadlines would no longer end a wait.
	rc, err := c.f.SyscallConn()
	if err == nil {
		var n int
		var serr error
		err = rc.Write(func(fd uintptr) bool {
			n, serr = unix.SendmsgN(int(fd), b[:4], rights, nil, 0)
			return serr != unix.EAGAIN
		})
		if err == nil {
			err = serr
		}
		if err == nil && n != 4 {
			err = errors.New("short write")
		}
	}
	if err == nil {
		_, err = c.f.Write(b[4:])
	}
	if err != nil {
		return fmt.Errorf("send plan to init: %w", ctxErr(ctx, err))
	}
	return nil
}

// SendFiles sends descriptors for Plan.Hold, after the plan: a byte each
// message, with at most HoldBatch descriptors.
func (c *Conn) SendFiles(ctx context.Context, files []*os.File) error {
	defer c.bound(ctx)()
	rc, err := c.f.SyscallConn()
	if err != nil {
		return err
	}
	for len(files) > 0 {
		batch := files[:min(len(files), HoldBatch)]
		files = files[len(batch):]
		fds := make([]int, len(batch))
		for i, f := range batch {
			fds[i] = int(f.Fd())
		}
		var serr error
		err := rc.Write(func(fd uintptr) bool {
			_, serr = unix.SendmsgN(int(fd), []byte{0}, unix.UnixRights(fds...), nil, 0)
			return serr != unix.EAGAIN
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return fmt.Errorf("send descriptors to init: %w", ctxErr(ctx, err))
		}
	}
	return nil
}

// Wait reads the init's reports until the socket closes (the init's
// execve succeeded: it returns nil), an error report arrives (an
// *Error), or ctx ends (ctx's error; the init goes on, for the caller to
// kill). onPid handles a PID report (a forked process's host PID); once
// it returns nil, the forked process gets its go-ahead.
func (c *Conn) Wait(ctx context.Context, onPid func(pid int) error) error {
	defer c.bound(ctx)()
	return ctxErr(ctx, c.wait(onPid))
}

func (c *Conn) wait(onPid func(pid int) error) error {
	for {
		kind, file, err := c.readKind()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read from init: %w", err)
		}
		if file != nil && kind != reportTty {
			file.Close()
			return fmt.Errorf("read from init: a descriptor with report %q", kind)
		}
		switch kind {
		case reportTty:
			if err := c.takeTerminal(file); err != nil {
				return err
			}
		case reportPid:
			var b [4]byte
			if _, err := io.ReadFull(c.f, b[:]); err != nil {
				return fmt.Errorf("read from init: %w", err)
			}
			if onPid == nil {
				return errors.New("read from init: unexpected pid report")
			}
			if err := onPid(int(binary.LittleEndian.Uint32(b[:]))); err != nil {
				return err
			}
			if _, err := c.f.Write([]byte{reportGo}); err != nil {
				return fmt.Errorf("write to init: %w", err)
			}
		case reportError:
			return c.readError()
		default:
			return fmt.Errorf("read from init: unexpected report %q", kind)
		}
	}
}

// readKind reads the kind of the next report, and the descriptor that
// comes with a terminal report: the byte is read with recvmsg, since a
// read would drop the descriptor. io.EOF: the socket has closed.
func (c *Conn) readKind() (byte, *os.File, error) {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return 0, nil, err
	}
	var b [1]byte
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), b[:], oob, unix.MSG_CMSG_CLOEXEC)
		return rerr != unix.EAGAIN && rerr != unix.EINTR
	})
	if err == nil {
		err = rerr
	}
	var fds []int
	if oobn > 0 {
		msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
		for _, m := range msgs {
			if got, err := unix.ParseUnixRights(&m); err == nil {
				fds = append(fds, got...)
			}
		}
		if perr != nil && err == nil {
			err = perr
		}
	}
	if err == nil && n == 0 {
		err = io.EOF
	}
	if err != nil || len(fds) > 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		if err == nil {
			err = fmt.Errorf("%d descriptors with report %q", len(fds), b[0])
		}
		return 0, nil, err
	}
	var f *os.File
	if len(fds) == 1 {
		// Non-blocking, so that os.File waits in the runtime's poller
		// and Close ends a read in progress.
		unix.SetNonblock(fds[0], true)
		f = os.NewFile(uintptr(fds[0]), "pty-master")
	}
	return b[0], f, nil
}

// takeTerminal keeps the master of a terminal report, once it is known
// to be a pseudo-terminal's master: it came out of the container's
// mount namespace, and the caller will read, write and resize it.
func (c *Conn) takeTerminal(f *os.File) error {
	if f == nil {
		return errors.New("read from init: a terminal report without its descriptor")
	}
	rc, err := f.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) { _, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN) })
		if err == nil {
			err = cerr
		}
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("read from init: the terminal sent is not a pseudo-terminal's master: %w", err)
	}
	if c.tty != nil {
		c.tty.Close()
	}
	c.tty = f
	return nil
}

// readError reads the rest of an error report.
func (c *Conn) readError() error {
	var b [12]byte
	if _, err := io.ReadFull(c.f, b[:]); err != nil {
		return fmt.Errorf("read from init: %w", err)
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if n > maxErrorReport {
		return errors.New("read from init: oversized error report")
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(c.f, msg); err != nil {
		return fmt.Errorf("read from init: %w", err)
	}
	return &Error{
		Code:  int(binary.LittleEndian.Uint32(b[0:])),
		Errno: int(binary.LittleEndian.Uint32(b[4:])),
		Msg:   string(msg),
	}
}

// Error is an init's report of a failed operation.
type Error struct {
	Code  int    // the exit code Docker reports (126, 127, or 1 for setup errors)
	Errno int    // the errno of the failed call, or 0
	Msg   string // what failed
}

func (e *Error) Error() string {
	if e.Errno != 0 {
		return fmt.Sprintf("%s: %s", e.Msg, errnoString(e.Errno))
	}
	return e.Msg
}

// Unwrap returns the errno as a syscall.Errno, so that errors.Is works
// with values such as syscall.ENOENT.
func (e *Error) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return syscall.Errno(e.Errno)
}

func errnoString(n int) string { return syscall.Errno(n).Error() }
