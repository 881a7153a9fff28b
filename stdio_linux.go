package dock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// stdioSet holds what the parent keeps for the container's stdio.
type stdioSet struct {
	log       *logWriter
	childEnds []*os.File // closed in the parent once the child has them
	wg        sync.WaitGroup
	pty       *terminal
}

// terminal is a pty master that Resize may use from any goroutine while
// the process runs; once closed, a resize fails instead of racing the
// close.
type terminal struct {
	mu sync.Mutex
	f  *os.File
}

func (t *terminal) resize(size WindowSize) error {
	if t == nil {
		return ErrNotRunning
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return ErrNotRunning
	}
	// Through the raw descriptor: Fd would make the master blocking.
	rc, err := t.f.SyscallConn()
	if err != nil {
		return err
	}
	cerr := rc.Control(func(fd uintptr) {
		err = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: size.Rows, Col: size.Cols})
	})
	if cerr != nil {
		return cerr
	}
	return err
}

func (t *terminal) close() {
	if t == nil {
		return
	}
	t.mu.Lock()
	f := t.f
	t.f = nil
	t.mu.Unlock()
	if f != nil {
		f.Close()
	}
}

func (s *stdioSet) closeChildEnds() {
	for _, f := range s.childEnds {
		f.Close()
	}
	s.childEnds = nil
}

func (s *stdioSet) copyPty(master *terminal, in io.Reader, out io.Writer) {
	s.pty = master
	if in != nil {
		copyInput(master.f, in)
	}
	w := s.log.stream("stdout", out)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		io.Copy(w, master.f) // EIO once every slave is closed
	}()
}

// finish waits for the output copies and closes the log.
func (s *stdioSet) finish() {
	s.wg.Wait()
	s.pty.close()
	if s.log != nil {
		s.log.Close()
	}
}

func (s *stdioSet) abort() {
	s.closeChildEnds()
	s.finish()
}

func (c *Container) resizeImpl(size WindowSize) error {
	p := c.e.procs().get(c.id)
	if p == nil || p.pty == nil {
		if st, err := c.State(context.Background()); err == nil && st.Detached && st.Status == StatusRunning {
			if rec, err := c.knownRecord(); err == nil && rec.Config.Tty {
				return c.resizeDetached(size)
			}
		}
		return fmt.Errorf("resize: container %s has no terminal in this process: %w", c.id[:12], ErrNotRunning)
	}
	if err := p.pty.resize(size); err != nil {
		return fmt.Errorf("resize: container %s: %w", c.id[:12], err)
	}
	return nil
}

// A container's standard streams are always descriptors the engine made
// for it: pipes or a terminal. A caller's *os.File is copied, never handed
// over, unlike os/exec: through /proc/self/fd/0 a container could reopen
// it, then write to (and chown) the file behind it, or, given a
// directory, walk to the host's root (the shape of CVE-2024-21626).
// Docker's client never passes a descriptor in either.

// stdinPipe returns the read end of a new pipe, for a child's stdin, and
// starts copying r into it. When r ends the child reads EOF. The copy is
// not waited for: from an *os.File it stops as soon as no process holds
// the read end (the child exited, or the caller closed the returned file
// before a child got it), without reading further; from another reader
// it stops at the first write after that, as os/exec's copy does.
func stdinPipe(r io.Reader) (*os.File, error) {
	if f, ok := r.(*os.File); ok {
		return stdinFromFile(f)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("stdin pipe: %w", err)
	}
	go func() {
		io.Copy(pw, r)
		pw.Close()
	}()
	return pr, nil
}

// stdinFromFile copies f through a pipe with poll, so that the copy stops
// when the child is gone instead of waiting in a read of f (a terminal
// may never be read again) and losing what that read returns.
func stdinFromFile(f *os.File) (*os.File, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, fmt.Errorf("stdin pipe: %w", err)
	}
	child := os.NewFile(uintptr(p[0]), "stdin")
	if err := unix.SetNonblock(p[0], false); err != nil {
		child.Close()
		unix.Close(p[1])
		return nil, fmt.Errorf("stdin pipe: %w", err)
	}
	if err := pumpInput(f, p[1]); err != nil {
		child.Close()
		return nil, err
	}
	return child, nil
}

// copyInput copies r to the terminal master (the container's stdin when
// it has a terminal), stopping as stdinPipe's copy does: from an
// *os.File, as soon as the terminal has hung up.
func copyInput(master *os.File, r io.Reader) {
	f, ok := r.(*os.File)
	if !ok {
		go io.Copy(master, r) // ends when r ends or the terminal closes
		return
	}
	dst, err := dupFile(master)
	if err == nil {
		err = pumpInput(f, dst)
	}
	if err != nil {
		go io.Copy(master, r)
	}
}

// pumpInput starts copying f to dst, a non-blocking pipe or terminal
// master that it then owns (and closes, even on error).
func pumpInput(f *os.File, dst int) error {
	src, err := dupFile(f)
	if err != nil {
		unix.Close(dst)
		return fmt.Errorf("stdin: %w", err)
	}
	go pumpStdin(src, dst)
	return nil
}

// dupFile duplicates f's descriptor, so that the copy owns one the caller
// cannot close under it. The open file description is shared: its
// blocking mode is left as the caller set it.
func dupFile(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	cerr := rc.Control(func(s uintptr) {
		fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	})
	if cerr != nil {
		return -1, cerr
	}
	return fd, err
}

// pumpStdin copies src to dst, a non-blocking pipe or terminal master,
// until src ends or dst has no reader left (a pipe's write end polls
// POLLERR, a master POLLHUP), then closes both.
func pumpStdin(src, dst int) {
	defer unix.Close(src)
	defer unix.Close(dst)
	buf := make([]byte, 32<<10)
	for {
		fds := []unix.PollFd{{Fd: int32(src), Events: unix.POLLIN}, {Fd: int32(dst)}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(src, buf)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue // a non-blocking source that another reader drained
		}
		if n <= 0 {
			return // end of input, or a source that cannot be read (a directory)
		}
		if !writeAllPipe(dst, buf[:n]) {
			return
		}
	}
}

// writeAllPipe writes b to the non-blocking fd, waiting while it is full;
// false when it has no reader left.
func writeAllPipe(fd int, b []byte) bool {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		switch {
		case errors.Is(err, unix.EAGAIN):
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			if _, err := unix.Poll(fds, -1); err != nil && !errors.Is(err, unix.EINTR) {
				return false
			}
			if fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
				return false
			}
		case errors.Is(err, unix.EINTR):
		case err != nil:
			return false // EPIPE: the reader has gone
		default:
			b = b[n:]
		}
	}
	return true
}

// onlyWriter hides a caller's *os.File from os/exec, which would hand it
// to the child: it then makes a pipe and copies, and Wait waits for the
// copy, as for any io.Writer. The same writer wrapped twice compares
// equal, so os/exec still gives stdout and stderr one pipe.
type onlyWriter struct{ io.Writer }

// childWriter returns what os/exec gets for a child's output w.
func childWriter(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return onlyWriter{w}
}
