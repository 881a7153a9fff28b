package dock

import (
	"fmt"
	"io"
	"os"
	"strconv"
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
	return unix.IoctlSetWinsize(int(t.f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: size.Rows, Col: size.Cols})
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

// openPty opens a new pseudo-terminal of the given size.
func openPty(size WindowSize) (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	if size.Rows > 0 && size.Cols > 0 {
		ws := unix.Winsize{Row: size.Rows, Col: size.Cols}
		if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &ws); err != nil {
			m.Close()
			return nil, nil, fmt.Errorf("set pty size: %w", err)
		}
	}
	name := "/dev/pts/" + strconv.Itoa(n)
	s, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	return m, s, nil
}

// Resize sets the size of the container's terminal. It needs a container
// started with Tty by this process.
func (c *Container) Resize(size WindowSize) error {
	p := c.e.procs().get(c.id)
	if p == nil || p.pty == nil {
		return fmt.Errorf("resize: container %s has no terminal in this process: %w", c.id[:12], ErrNotRunning)
	}
	if err := p.pty.resize(size); err != nil {
		return fmt.Errorf("resize: container %s: %w", c.id[:12], err)
	}
	return nil
}
