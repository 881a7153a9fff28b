package dock

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The client of a detached container's attach socket, which its monitor
// serves (internal/nsinit/attach.c describes the protocol).

// attachSocket is the socket's name in the container's directory.
const attachSocket = "attach.sock"

// The kinds of the monitor's frames (ATTACH_* in attach.c).
const (
	frameStdout        = 1
	frameStderr        = 2
	frameHello         = 'H'
	framePendingStdout = 0x11
	framePendingStderr = 0x12
	frameEnd           = 'E'
)

// maxInputFrame is the most stdin bytes in one frame (ATTACH_FRAME_MAX).
const maxInputFrame = 32 << 10

// errAttachDropped is Attach's error when the monitor ended the
// connection without the end of the output: it dropped a client that
// fell behind, or it was killed.
var errAttachDropped = errors.New("attach: the connection to the container's monitor ended before its output (a client that falls too far behind is disconnected; the log holds the output)")

// logPos is a place in the log: the size of the file with inode ino
// (zero: the beginning of the log, or, as an end, its end).
type logPos struct{ ino, size uint64 }

func (c *Container) attachImpl(ctx context.Context, opts AttachOptions) error {
	rec, err := c.knownRecord()
	if err != nil {
		return err
	}
	st, err := c.State(ctx)
	if err != nil {
		return err
	}
	// replay: the log from from up to the point the client connects
	// is written first.
	replay, from := opts.Logs, logPos{}
	waited := false // for the start: Attached was called
	// held is the log, opened before the start of a container not yet
	// started, and heldFrom where its output will begin: a short run of
	// an AutoRemove container may be over, and its directory gone,
	// before Attach sees the start or reaches the monitor; the held file
	// still has the output (the monitor appends to it).
	var held *os.File
	var heldFrom int64
	var heldAt logPos
	switch st.Status {
	case StatusPaused:
		return fmt.Errorf("attach: container %s, unpause it first: %w", c.id[:12], ErrPaused)
	case StatusRestarting:
		return fmt.Errorf("attach: container %s is restarting, wait until it runs: %w", c.id[:12], ErrRunning)
	case StatusRunning:
	default:
		// Not started yet: its output from the start on is wanted,
		// and its log ends where it will start.
		var herr error
		if held, heldAt, herr = c.holdLog(); herr != nil {
			// As without it: the output of a run gone with its
			// container is lost.
			held = nil
			if !replay {
				from, replay = c.logEnd(), true
			}
		} else {
			defer held.Close()
			heldFrom = int64(heldAt.size)
			if replay {
				// Logs: what the log has so far, now, while the
				// container is sure to be there.
				if err := c.replayLog(rec, logPos{}, heldAt, opts); err != nil {
					return err
				}
			}
			from, replay = heldAt, true
		}
		attached(opts)
		waited = true
		if st, err = c.waitStart(ctx, st.StartedAt); err != nil {
			if errors.Is(err, ErrNotFound) && held != nil {
				return replayHeld(rec, held, heldFrom, -1, opts)
			}
			return err
		}
	}
	if st.Status == StatusRunning && !st.Detached {
		return fmt.Errorf("attach: container %s was started attached by its program, which holds its streams: %w", c.id[:12], ErrUnsupported)
	}
	conn, err := c.dialAttach()
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ECONNREFUSED) {
		// Its output has ended (the socket goes then): once the exit
		// is recorded, the log holds all of it.
		_, err := c.Wait(ctx)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err // not removed (AutoRemove) meanwhile
		}
		if held != nil {
			// The log may go with the container (AutoRemove) at any
			// moment now: the held one has the output.
			return replayHeld(rec, held, heldFrom, -1, opts)
		}
		if replay {
			return c.replayLog(rec, from, logPos{}, opts)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("attach: container %s: %w", c.id[:12], err)
	}
	s := &attachSession{c: c, rec: rec, conn: conn, r: bufio.NewReaderSize(conn, 64<<10), opts: opts, waited: waited,
		held: held, heldFrom: heldFrom}
	return s.run(ctx, replay, from)
}

func attached(opts AttachOptions) {
	if opts.Attached != nil {
		opts.Attached()
	}
}

// logEnd is where the log ends now.
func (c *Container) logEnd() logPos {
	var st unix.Stat_t
	if err := unix.Stat(c.dir("json.log"), &st); err != nil {
		return logPos{}
	}
	return logPos{ino: st.Ino, size: uint64(st.Size)}
}

// holdLog opens the container's log, creating it as the monitor does
// (which then appends to it), and returns it with where it ends.
func (c *Container) holdLog() (*os.File, logPos, error) {
	f, err := os.OpenFile(c.dir("json.log"), os.O_RDONLY|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, logPos{}, fmt.Errorf("attach: logs: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, logPos{}, fmt.Errorf("attach: logs: %w", err)
	}
	return f, logPos{ino: st.Ino, size: uint64(st.Size)}, nil
}

// replayHeld writes what the held log f has from offset from up to to
// (-1: its end): the output of a run whose container may be gone
// (AutoRemove), its directory with it.
func replayHeld(rec *containerRecord, f *os.File, from, to int64, opts AttachOptions) error {
	if to < 0 {
		to = 1 << 62
	}
	lr := &logReader{w: [2]io.Writer{opts.Stdout, opts.Stderr}}
	if rec.Config.Tty {
		lr.w[1] = opts.Stdout
	}
	lr.reset(io.NewSectionReader(f, from, max(to-from, 0)))
	return lr.drain()
}

// waitStart waits until the container has started after before (its
// StartedAt then), and returns its state then: running, or exited when
// the run was short.
func (c *Container) waitStart(ctx context.Context, before time.Time) (State, error) {
	// Polled, from 1 ms up to 10: in the Engine API's order the start
	// comes moments after the attach (docker run), and its first output
	// waits for this.
	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		st, err := c.State(ctx)
		if err != nil {
			return State{}, err
		}
		if st.StartedAt.After(before) && (st.Status == StatusRunning || st.Status == StatusExited || st.Status == StatusPaused) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return State{}, ctx.Err()
		case <-timer.C:
		}
		wait = min(2*wait, 10*time.Millisecond)
		timer.Reset(wait)
	}
}

// dialAttach connects to the container's attach socket, through its
// directory's descriptor: a sun_path holds 108 bytes.
func (c *Container) dialAttach() (*net.UnixConn, error) {
	dir, err := unix.Open(c.dir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	addr := &net.UnixAddr{Net: "unix", Name: fmt.Sprintf("/proc/self/fd/%d/%s", dir, attachSocket)}
	return net.DialUnix("unix", nil, addr)
}

// replayLog writes the log from from up to to (zero: its end).
func (c *Container) replayLog(rec *containerRecord, from, to logPos, opts AttachOptions) error {
	files, err := openLogFiles(c.dir("json.log"), rec.Config.Log.resolved().MaxFiles)
	if err != nil {
		return fmt.Errorf("attach: logs: %w", err)
	}
	defer closeFiles(files)
	start, offset := 0, int64(0)
	for i, f := range files {
		if fi, err := statIno(f); err == nil && from.ino != 0 && fi == from.ino {
			start, offset = i, int64(from.size)
		}
	}
	lr := &logReader{w: [2]io.Writer{opts.Stdout, opts.Stderr}}
	if rec.Config.Tty {
		lr.w[1] = opts.Stdout
	}
	for i := start; i < len(files); i++ {
		f := files[i]
		if i == start && offset > 0 {
			if _, err := f.Seek(offset, io.SeekStart); err != nil {
				return fmt.Errorf("attach: logs: %w", err)
			}
		}
		var r io.Reader = f
		ino, _ := statIno(f)
		last := to.ino != 0 && ino == to.ino
		if last {
			pos, _ := f.Seek(0, io.SeekCurrent)
			r = io.LimitReader(f, int64(to.size)-pos)
		}
		lr.reset(r)
		if err := lr.drain(); err != nil {
			return err
		}
		if last {
			break
		}
	}
	return nil
}

// heldIs tells whether the held log f is the file of inode ino (not
// rotated away since it was opened).
func heldIs(f *os.File, ino uint64) bool {
	i, err := statIno(f)
	return err == nil && i == ino
}

func statIno(f *os.File) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// attachSession is one connection of Attach.
type attachSession struct {
	c    *Container
	rec  *containerRecord
	conn *net.UnixConn
	r    *bufio.Reader
	opts AttachOptions
	buf  []byte
	// waited: Attach waited for the start (and called Attached then).
	waited bool
	// held is the log Attach opened before the start, or nil; its
	// output begins at heldFrom. The replay reads it rather than the
	// log's path, which an AutoRemove container's end removes.
	held     *os.File
	heldFrom int64
}

// frame reads one frame of the monitor.
func (s *attachSession) frame() (kind byte, payload []byte, err error) {
	var h [8]byte
	if _, err := io.ReadFull(s.r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[4:])
	if n > 4<<20 {
		return 0, nil, fmt.Errorf("attach: a frame of %d bytes from the monitor", n)
	}
	if cap(s.buf) < int(n) {
		s.buf = make([]byte, n)
	}
	s.buf = s.buf[:n]
	if _, err := io.ReadFull(s.r, s.buf); err != nil {
		return 0, nil, err
	}
	return h[0], s.buf, nil
}

func (s *attachSession) run(ctx context.Context, replay bool, from logPos) error {
	defer s.conn.Close()
	kind, p, err := s.frame()
	if errors.Is(err, io.EOF) {
		// The monitor serves every client that connected, even at its
		// end, up to a number.
		return fmt.Errorf("attach: container %s: the monitor serves no more clients: %w", s.c.id[:12], ErrInUse)
	}
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	if kind != frameHello || len(p) != 16 {
		return fmt.Errorf("attach: container %s: the monitor's first frame is %q, not its hello", s.c.id[:12], kind)
	}
	if !s.waited {
		attached(s.opts)
	}
	if replay {
		to := logPos{ino: binary.LittleEndian.Uint64(p), size: binary.LittleEndian.Uint64(p[8:])}
		var err error
		if s.held != nil && heldIs(s.held, to.ino) {
			err = replayHeld(s.rec, s.held, s.heldFrom, int64(to.size), s.opts)
		} else {
			err = s.c.replayLog(s.rec, from, to, s.opts)
		}
		if err != nil {
			return err
		}
	}
	outDone := make(chan error, 1)
	go func() { outDone <- s.output(replay) }()
	inDone := make(chan error, 1)
	if s.opts.Stdin != nil {
		go func() {
			if err := s.input(); err != nil {
				inDone <- err
			}
		}()
	}
	select {
	case err = <-outDone:
		return err
	case err = <-inDone:
		// Only the detach keys end the input early.
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.conn.Close()
	<-outDone
	return err
}

// output writes the monitor's frames to Stdout and Stderr until the end.
func (s *attachSession) output(replay bool) error {
	out, errw := s.opts.Stdout, s.opts.Stderr
	if s.rec.Config.Tty {
		errw = out
	}
	for {
		kind, p, err := s.frame()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return errAttachDropped
			}
			return fmt.Errorf("attach: %w", err)
		}
		var w io.Writer
		switch kind {
		case frameStdout:
			w = out
		case frameStderr:
			w = errw
		case framePendingStdout, framePendingStderr:
			// Output from before the client came: part of the
			// replay, when there is one.
			if replay {
				w = out
				if kind == framePendingStderr {
					w = errw
				}
			}
		case frameEnd:
			return nil
		}
		if w != nil {
			if _, err := w.Write(p); err != nil {
				return err
			}
		}
	}
}

// input copies Stdin to the monitor; it returns ErrDetached when the
// detach keys were read, else nil (Stdin ended, or the connection).
func (s *attachSession) input() error {
	var r io.Reader = s.opts.Stdin
	keys := s.opts.DetachKeys
	if keys == nil {
		keys = DefaultDetachKeys
	}
	if s.rec.Config.Tty && len(keys) > 0 {
		r = NewDetachReader(r, keys)
	}
	buf := make([]byte, 5+maxInputFrame)
	for {
		n, err := r.Read(buf[5:])
		if n > 0 {
			buf[0] = 'i'
			binary.BigEndian.PutUint32(buf[1:5], uint32(n))
			if _, werr := s.conn.Write(buf[:5+n]); werr != nil {
				return nil
			}
		}
		if errors.Is(err, ErrDetached) {
			return err
		}
		if err != nil {
			// The end of the input (StdinOnce closes the container's).
			s.conn.Write([]byte{'c', 0, 0, 0, 0})
			return nil
		}
	}
}

// resizeDetached sets the terminal's size of a detached container
// through its monitor, and returns once the monitor has done it.
func (c *Container) resizeDetached(size WindowSize) error {
	conn, err := c.dialAttach()
	if err != nil {
		return fmt.Errorf("resize: container %s: %w", c.id[:12], err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	msg := []byte{'r', 0, 0, 0, 4, byte(size.Rows >> 8), byte(size.Rows), byte(size.Cols >> 8), byte(size.Cols), 'q', 0, 0, 0, 0}
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("resize: container %s: %w", c.id[:12], err)
	}
	// The monitor closes the connection once it has read the frames.
	if _, err := io.Copy(io.Discard, conn); err != nil {
		return fmt.Errorf("resize: container %s: %w", c.id[:12], err)
	}
	return nil
}
