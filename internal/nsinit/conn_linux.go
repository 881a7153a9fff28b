//go:build linux

package nsinit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxErrorReport bounds the message of an error report (the init sends
// at most 1023 bytes).
const maxErrorReport = 4096

// Conn is the engine's end of an init's sync socket: the plan goes out;
// PID reports, error reports and the end of the socket (the init's
// execve) come back. It is not safe for concurrent use.
type Conn struct {
	f *os.File
}

func socketPair() (engine *Conn, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return &Conn{f: os.NewFile(uintptr(fds[0]), "sync")}, os.NewFile(uintptr(fds[1]), "sync-child"), nil
}

// Close closes the engine's end: an init that waits for its plan, or in
// Plan.Pause, then exits.
func (c *Conn) Close() error { return c.f.Close() }

// Send sends the plan.
func (c *Conn) Send(p *Plan) error {
	if _, err := c.f.Write(p.Bytes()); err != nil {
		return fmt.Errorf("send plan to init: %w", err)
	}
	return nil
}

// sendWithFiles sends the plan with three descriptors (SCM_RIGHTS, with
// its length), which the init takes for Plan.Stdio.
func (c *Conn) sendWithFiles(p *Plan, files [3]*os.File) error {
	b := p.Bytes()
	rights := unix.UnixRights(int(files[0].Fd()), int(files[1].Fd()), int(files[2].Fd()))
	n, err := unix.SendmsgN(int(c.f.Fd()), b[:4], rights, nil, 0)
	if err == nil && n != 4 {
		err = errors.New("short write")
	}
	if err == nil {
		_, err = c.f.Write(b[4:])
	}
	if err != nil {
		return fmt.Errorf("send plan to init: %w", err)
	}
	return nil
}

// Wait reads the init's reports until the socket closes (the init's
// execve succeeded: it returns nil) or an error report arrives (an
// *Error). onPid handles a PID report (a forked process's host PID);
// once it returns nil, the forked process gets its go-ahead.
func (c *Conn) Wait(onPid func(pid int) error) error {
	var kind [1]byte
	for {
		_, err := io.ReadFull(c.f, kind[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read from init: %w", err)
		}
		switch kind[0] {
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
			return fmt.Errorf("read from init: unexpected report %q", kind[0])
		}
	}
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
