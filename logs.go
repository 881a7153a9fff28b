package dock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	// Tail, when positive, starts with the last Tail lines; 0 (the
	// default) starts with the first line kept; TailNone (any negative
	// value) writes none of the lines logged so far, as docker logs
	// --tail 0 does: with Follow, only the lines that come after the call.
	Tail int
	// Timestamps prefixes each line with its RFC 3339 time.
	Timestamps bool
	// Since, when not zero, skips the lines logged before it. With Tail,
	// the lines are those of the tail that are not older than Since, as
	// docker logs --since --tail gives them.
	Since time.Time
	// Until, when not zero, ends the output before the first line logged
	// after it; Follow then follows until that time has passed.
	Until time.Time
}

// TailNone is the LogOptions.Tail that skips the lines logged so far.
const TailNone = -1

// Logs writes the container's logged output to stdout and stderr (either
// may be nil to drop that stream): the rotated files (see LogConfig),
// oldest first, then the current one. Follow goes on across rotations;
// a reader that falls more than MaxFiles rotations behind misses the
// files dropped meanwhile, as with Docker. A line not yet complete is
// not written.
func (c *Container) Logs(ctx context.Context, stdout, stderr io.Writer, opt LogOptions) error {
	rec, err := c.knownRecord()
	if err != nil {
		return err
	}
	if opt.Tail < 0 && !opt.Follow {
		return nil
	}
	maxFiles := rec.Config.Log.resolved().MaxFiles
	path := c.dir("json.log")
	files, err := openLogFiles(path, maxFiles)
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if len(files) == 0 && opt.Tail < 0 {
		opt.Tail = 0 // nothing logged yet: whatever comes is new
	}
	for len(files) == 0 {
		if !opt.Follow || !opt.Until.IsZero() && time.Now().After(opt.Until) {
			return nil
		}
		// Not started yet: wait for the file.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if files, err = openLogFiles(path, maxFiles); err != nil {
			return fmt.Errorf("logs: %w", err)
		}
	}
	lr := &logReader{w: [2]io.Writer{stdout, stderr}, timestamps: opt.Timestamps, since: opt.Since, until: opt.Until}
	i := 0
	switch {
	case opt.Tail < 0:
		// From the end of the newest file; a line being written is
		// kept whole for when it ends.
		i = len(files) - 1
		lr.reset(files[i])
		lr.discard = true
		err := lr.drain()
		lr.discard = false
		if err != nil {
			return err
		}
	case opt.Tail > 0:
		var skip int
		if i, skip, err = tailStart(files, opt.Tail); err != nil {
			return fmt.Errorf("logs: %w", err)
		}
		lr.reset(files[i])
		if err := lr.skip(skip); err != nil {
			return fmt.Errorf("logs: %w", err)
		}
	default:
		lr.reset(files[0])
	}
	exited := false
	for {
		if err := lr.drain(); errors.Is(err, errUntilReached) {
			return nil
		} else if err != nil {
			return err
		}
		if i < len(files)-1 {
			files[i].Close()
			files[i] = nil
			i++
			lr.reset(files[i])
			continue
		}
		if !opt.Follow {
			return nil
		}
		next, err := nextLogFile(path, maxFiles, files[i])
		if err != nil {
			return fmt.Errorf("logs: %w", err)
		}
		if next != nil {
			// Rotated: the old file has all it will ever have.
			if err := lr.drain(); err != nil {
				next.Close()
				if errors.Is(err, errUntilReached) {
					return nil
				}
				return err
			}
			files = append(files, next)
			continue
		}
		if exited {
			return nil
		}
		if !opt.Until.IsZero() && time.Now().After(opt.Until) {
			// Until has passed: drain what was written by now, then stop.
			exited = true
			continue
		}
		st, serr := c.State(ctx)
		if serr != nil || st.Status == StatusExited || st.Status == StatusCreated {
			// Drain what was written before the exit, then stop.
			exited = true
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// errUntilReached ends the output at the first line after
// LogOptions.Until.
var errUntilReached = errors.New("logs: past until")

// logReader writes the lines of one log file after the other.
type logReader struct {
	w          [2]io.Writer // stdout, stderr
	timestamps bool
	// since and until, when not zero, bound the times of the lines
	// written (LogOptions).
	since, until time.Time
	discard      bool // read lines without writing them
	r            *bufio.Reader
	partial      []byte // a line not yet complete
}

func (lr *logReader) reset(f io.Reader) {
	if lr.r == nil {
		lr.r = bufio.NewReaderSize(f, 64<<10)
	} else {
		lr.r.Reset(f)
	}
	lr.partial = nil // a torn line at the end of the previous file
}

// skip reads n lines without writing them.
func (lr *logReader) skip(n int) error {
	for ; n > 0; n-- {
		if _, err := lr.r.ReadSlice('\n'); errors.Is(err, bufio.ErrBufferFull) {
			n++ // the same line goes on
		} else if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

// drain writes the complete lines up to the end of the file.
func (lr *logReader) drain() error {
	for {
		line, err := lr.r.ReadBytes('\n')
		lr.partial = append(lr.partial, line...)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("logs: %w", err)
		}
		if err := lr.emit(lr.partial); err != nil {
			return err
		}
		lr.partial = lr.partial[:0]
	}
}

func (lr *logReader) emit(line []byte) error {
	if lr.discard {
		return nil
	}
	var l logLine
	if err := json.Unmarshal(line, &l); err != nil {
		return nil // a torn line is skipped
	}
	if !lr.until.IsZero() && l.Time.After(lr.until) {
		return errUntilReached
	}
	if !lr.since.IsZero() && l.Time.Before(lr.since) {
		return nil
	}
	w := lr.w[0]
	if l.Stream == "stderr" {
		w = lr.w[1]
	}
	if w == nil {
		return nil
	}
	text := l.Log
	if lr.timestamps {
		text = l.Time.Format(time.RFC3339Nano) + " " + text
	}
	_, err := io.WriteString(w, text)
	return err
}
