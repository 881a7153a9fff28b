package dock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// The container log is Docker's json-file format: one JSON object per
// line of output, {"log":"...\n","stream":"stdout","time":"..."}.

type logLine struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// logWriter appends the container's output to its log file. Lines of the
// two streams never interleave within a line.
type logWriter struct {
	mu      sync.Mutex
	f       *os.File
	streams []*lineSplitter
}

func (c *Container) openLog() (*logWriter, error) {
	f, err := os.OpenFile(c.dir("json.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &logWriter{f: f}, nil
}

// Close logs what is left of unfinished lines, then closes the file.
func (l *logWriter) Close() error {
	for _, s := range l.streams {
		if len(s.buf) > 0 {
			l.write(s.name, s.buf)
			s.buf = nil
		}
	}
	return l.f.Close()
}

// maxLogLine is where a line without a newline is cut, as Docker does.
const maxLogLine = 16 << 10

func (l *logWriter) write(stream string, line []byte) {
	data, _ := json.Marshal(logLine{Log: string(line), Stream: stream, Time: time.Now().UTC()})
	data = append(data, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	l.f.Write(data) // a full disk loses log lines, never the container
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

// LogOptions select what Logs returns.
type LogOptions struct {
	// Follow keeps reading new output until the container exits or ctx
	// ends.
	Follow bool
	// Tail, when positive, starts with the last Tail lines.
	Tail int
	// Timestamps prefixes each line with its RFC 3339 time.
	Timestamps bool
}

// Logs writes the container's logged output to stdout and stderr (either
// may be nil to drop that stream).
func (c *Container) Logs(ctx context.Context, stdout, stderr io.Writer, opt LogOptions) error {
	f, err := os.Open(c.dir("json.log"))
	if errors.Is(err, os.ErrNotExist) {
		if _, err := c.record(); err != nil {
			return err
		}
		if !opt.Follow {
			return nil
		}
		// Not started yet: wait for the file.
		for f == nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			f, _ = os.Open(c.dir("json.log"))
		}
	} else if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	defer f.Close()
	emit := func(line []byte) error {
		var l logLine
		if err := json.Unmarshal(line, &l); err != nil {
			return nil // a torn last line is skipped
		}
		w := stdout
		if l.Stream == "stderr" {
			w = stderr
		}
		if w == nil {
			return nil
		}
		text := l.Log
		if opt.Timestamps {
			text = l.Time.Format(time.RFC3339Nano) + " " + text
		}
		_, err := io.WriteString(w, text)
		return err
	}
	r := bufio.NewReaderSize(f, 64<<10)
	if opt.Tail > 0 {
		var ring [][]byte
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 && line[len(line)-1] == '\n' {
				ring = append(ring, line)
				if len(ring) > opt.Tail {
					ring = ring[1:]
				}
			}
			if err != nil {
				break
			}
		}
		for _, line := range ring {
			if err := emit(line); err != nil {
				return err
			}
		}
	}
	var partial []byte
	for {
		line, err := r.ReadBytes('\n')
		partial = append(partial, line...)
		if err == nil {
			if e := emit(partial); e != nil {
				return e
			}
			partial = nil
			continue
		}
		if err != io.EOF {
			return fmt.Errorf("logs: %w", err)
		}
		if !opt.Follow {
			return nil
		}
		st, serr := c.State(ctx)
		if serr != nil || st.Status == StatusExited || st.Status == StatusCreated {
			// Drain what was written before the exit, then stop.
			rest, _ := io.ReadAll(r)
			partial = append(partial, rest...)
			for _, l := range splitLines(partial) {
				if e := emit(l); e != nil {
					return e
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		out = append(out, b[:i+1])
		b = b[i+1:]
	}
	return out
}
