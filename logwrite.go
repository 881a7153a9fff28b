package dock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// logWriter appends the container's output to its log file, rotated as
// lc says (see LogConfig and rotateLog). Lines of the two streams never
// interleave within a line. A failure to write or rotate loses log lines,
// never the container.
type logWriter struct {
	path   string
	limits LogConfig // resolved
	// mu guards the file: the two streams write from two goroutines.
	mu      sync.Mutex
	f       *os.File // nil after a failed reopen; the next line retries
	size    int64    // of f, as far as this writer knows
	streams []*lineSplitter
}

// openLog opens the container's log for appending, with the limits lc.
func (c *Container) openLog(lc LogConfig) (*logWriter, error) {
	l := &logWriter{path: c.dir("json.log"), limits: lc.resolved()}
	if err := l.open(); err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return l, nil
}

// open opens the file at l.path; a restarted container appends to its
// log, whose size counts towards the limit.
func (l *logWriter) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Close logs what is left of unfinished lines, then closes the file.
func (l *logWriter) Close() error {
	for _, s := range l.streams {
		if len(s.buf) > 0 {
			l.write(s.name, s.buf)
			s.buf = nil
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// maxLogLine is where a line without a newline is cut, as Docker does.
const maxLogLine = 16 << 10

func (l *logWriter) write(stream string, line []byte) {
	data, _ := json.Marshal(logLine{Log: string(line), Stream: stream, Time: time.Now().UTC()})
	data = append(data, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	l.append(data)
}

// append writes one encoded line, after a rotation when the line would
// take a file that is not empty past MaxSize. When the rotation fails the
// line goes to the current file (the next line tries again); when the new
// file cannot be opened, the line is lost.
func (l *logWriter) append(data []byte) {
	limit := l.limits.MaxSize
	if l.f != nil && limit > 0 && l.size > 0 && l.size+int64(len(data)) > limit {
		if rotateLog(l.path, l.limits.MaxFiles) == nil {
			l.f.Close()
			l.f = nil
		}
	}
	if l.f == nil && l.open() != nil {
		return
	}
	n, _ := l.f.Write(data) // a full disk loses log lines, never the container
	l.size += int64(n)
}

// stream returns a writer that logs each line of a stream and copies the
// bytes to out (when not nil).
func (l *logWriter) stream(name string, out io.Writer) io.Writer {
	s := &lineSplitter{log: l, name: name, out: out}
	l.streams = append(l.streams, s)
	return s
}

type lineSplitter struct {
	log  *logWriter
	name string
	out  io.Writer
	buf  []byte
}

func (s *lineSplitter) Write(p []byte) (int, error) {
	if s.out != nil {
		// A reader that went away must not stop the container's output
		// from reaching the log.
		if _, err := s.out.Write(p); err != nil {
			s.out = nil
		}
	}
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		s.log.write(s.name, s.buf[:i+1])
		s.buf = s.buf[i+1:]
	}
	for len(s.buf) >= maxLogLine {
		s.log.write(s.name, s.buf[:maxLogLine])
		s.buf = s.buf[maxLogLine:]
	}
	if len(s.buf) == 0 {
		s.buf = nil
	}
	return len(p), nil
}

// lockedWriter serialises the writes of several goroutines to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// sameWriter reports whether a and b are the same non-nil writer, as
// os/exec decides it: comparable and equal.
func sameWriter(a, b io.Writer) bool {
	if a == nil || b == nil {
		return false
	}
	defer func() { recover() }() // an uncomparable dynamic type
	return a == b
}
