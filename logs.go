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
	"time"
)

// The container log is Docker's json-file format: one JSON object per
// line of output, {"log":"...\n","stream":"stdout","time":"..."}.

type logLine struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
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
