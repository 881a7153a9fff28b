package dock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// The event log: events/log in the state directory, one JSON object per
// line in the shape of Docker's events.Message (Type, Action, Actor,
// scope, time, timeNano). Every writer, in any process, opens it with
// O_APPEND and writes each event with one write, so that lines never
// mix; the C monitor of a detached container writes its die and destroy
// events the same way (internal/nsinit/events.c). When the log passes
// eventLogMax, the writer that sees it renames it to events/log.1
// (replacing the older one), under the lock events/lock, and the next
// write starts a new log: the events of the last eventLogMax bytes at
// least are kept, at most twice that. Readers read log.1 then log, and
// follow log across renames.

const (
	eventLogName = "log"
	eventLogOld  = "log.1"
	eventLockNm  = "lock"
	// eventLogMax is the size at which the log is rotated: a few
	// thousand events.
	eventLogMax = 1 << 20
	// eventLineMax bounds one event's line: a container's labels beyond
	// it are left out of its events.
	eventLineMax = 32 << 10
)

// eventWire is an event's line in the log.
type eventWire struct {
	Type   string `json:"Type"`
	Action string `json:"Action"`
	Actor  struct {
		ID         string            `json:"ID"`
		Attributes map[string]string `json:"Attributes"`
	} `json:"Actor"`
	Scope    string `json:"scope"`
	Time     int64  `json:"time"`
	TimeNano int64  `json:"timeNano"`
}

// coreAttrs are the attributes an event keeps when its labels make its
// line too long.
var coreAttrs = []string{"name", "image", "exitCode", "execDuration", "signal", "oldName",
	"execID", "container", "destination", "driver", "type", "read/write", "propagation", "reclaimed"}

// marshalEvent is ev's line, newline included.
func marshalEvent(ev *Event) ([]byte, error) {
	w := eventWire{Type: ev.Type, Action: ev.Action, Scope: ev.Scope,
		Time: ev.Time.Unix(), TimeNano: ev.Time.UnixNano()}
	w.Actor.ID, w.Actor.Attributes = ev.Actor.ID, ev.Actor.Attributes
	if w.Actor.Attributes == nil {
		w.Actor.Attributes = map[string]string{}
	}
	line, err := json.Marshal(&w)
	if err != nil {
		return nil, err
	}
	if len(line) >= eventLineMax {
		core := map[string]string{}
		for _, k := range coreAttrs {
			if v, ok := w.Actor.Attributes[k]; ok && len(v) < 1024 {
				core[k] = v
			}
		}
		w.Actor.Attributes = core
		if line, err = json.Marshal(&w); err != nil {
			return nil, err
		}
	}
	return append(line, '\n'), nil
}

// parseEvent reads a line of the log; ok is false for a line that is not
// an event (a torn or foreign line is skipped, never fatal).
func parseEvent(line []byte) (ev Event, ok bool) {
	var w eventWire
	if json.Unmarshal(line, &w) != nil || w.Type == "" || w.Action == "" {
		return ev, false
	}
	ev = Event{Type: w.Type, Action: w.Action, Scope: w.Scope,
		Actor: EventActor{ID: w.Actor.ID, Attributes: w.Actor.Attributes}}
	if ev.Actor.Attributes == nil {
		ev.Actor.Attributes = map[string]string{}
	}
	if w.TimeNano != 0 {
		ev.Time = time.Unix(0, w.TimeNano)
	} else {
		ev.Time = time.Unix(w.Time, 0)
	}
	return ev, true
}

// appendEvent appends ev to the log in dir, rotating it when it has
// grown past eventLogMax.
func appendEvent(dir string, ev *Event) error {
	line, err := marshalEvent(ev)
	if err != nil {
		return err
	}
	name := filepath.Join(dir, eventLogName)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return err
		}
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	fi, serr := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if serr == nil && fi.Size() > eventLogMax {
		return rotateEvents(dir)
	}
	return nil
}

// rotateEvents renames the log to log.1 when it is still over the limit
// once the lock is held: of writers that saw it full at once, one
// rotates.
func rotateEvents(dir string) error {
	lf, err := os.OpenFile(filepath.Join(dir, eventLockNm), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := flockRetry(int(lf.Fd()), unix.LOCK_EX); err != nil {
		return err
	}
	name := filepath.Join(dir, eventLogName)
	fi, err := os.Stat(name)
	if err != nil || fi.Size() <= eventLogMax {
		return nil
	}
	return os.Rename(name, filepath.Join(dir, eventLogOld))
}

// flockRetry takes a file lock, again when a signal interrupts the wait.
func flockRetry(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// eventReader reads the log for one Events call.
type eventReader struct {
	dir  string
	opts EventOptions
	// cur is the log being followed, and partial an unfinished line at
	// its end (a write in progress).
	cur     *os.File
	partial []byte
	watch   eventWatch
}

func (r *eventReader) close() {
	if r.cur != nil {
		r.cur.Close()
	}
	if r.watch != nil {
		r.watch.close()
	}
}

// following reports whether events to come are wanted.
func (r *eventReader) following() bool {
	return r.opts.Until.IsZero() || time.Now().Before(r.opts.Until)
}

func (r *eventReader) run(ctx context.Context, yield func(Event, error) bool) {
	if ctx.Err() != nil {
		return
	}
	follow := r.following()
	if follow {
		// Watch first: nothing written after the reading starts is
		// missed.
		r.watch = newEventWatch(r.dir)
	}
	past := !r.opts.Since.IsZero() || !r.opts.Until.IsZero()
	if err := r.openLogs(past, yield); err != nil {
		if err != errStopped {
			yield(Event{}, err)
		}
		return
	}
	if past && !r.drain(yield) {
		return
	}
	if !follow {
		return
	}
	for ctx.Err() == nil && r.following() {
		if err := r.watch.wait(ctx, r.opts.Until); err != nil {
			yield(Event{}, err)
			return
		}
		if !r.drain(yield) {
			return
		}
		rotated, err := r.reopen()
		if err != nil {
			yield(Event{}, err)
			return
		}
		if rotated && !r.drain(yield) {
			return
		}
	}
}

// errStopped is a yield that asked to stop.
var errStopped = errors.New("stopped")

// openLogs opens the log; with past, it first yields the events of
// log.1, and the log is read from its start, else from its end.
func (r *eventReader) openLogs(past bool, yield func(Event, error) bool) error {
	for try := 0; ; try++ {
		var old *os.File
		if past {
			var err error
			old, err = os.Open(filepath.Join(r.dir, eventLogOld))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		cur, err := os.Open(filepath.Join(r.dir, eventLogName))
		if errors.Is(err, fs.ErrNotExist) {
			cur, err = nil, nil // none yet: reopen finds it
		}
		if err != nil {
			if old != nil {
				old.Close()
			}
			return err
		}
		// A rotation between the two opens would hide the log that
		// became log.1: open both again.
		if old != nil && try < 5 && !sameFile(old, filepath.Join(r.dir, eventLogOld)) {
			old.Close()
			if cur != nil {
				cur.Close()
			}
			continue
		}
		r.cur = cur
		if old != nil {
			err := r.readAll(old, yield)
			old.Close()
			if err != nil {
				return err
			}
		}
		if !past && cur != nil {
			if _, err := cur.Seek(0, io.SeekEnd); err != nil {
				return err
			}
		}
		return nil
	}
}

// sameFile reports whether f is still the file at name.
func sameFile(f *os.File, name string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(name)
	return err == nil && os.SameFile(a, b)
}

// readAll yields the events of a whole file.
func (r *eventReader) readAll(f *os.File, yield func(Event, error) bool) error {
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		if !r.deliver(data[:i+1], yield) {
			return errStopped
		}
	}
	return nil
}

// drain yields what the current log holds beyond what was read; false
// when yield asked to stop.
func (r *eventReader) drain(yield func(Event, error) bool) bool {
	if r.cur == nil {
		return true
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := r.cur.Read(buf)
		if n > 0 {
			r.partial = append(r.partial, buf[:n]...)
			if i := bytes.LastIndexByte(r.partial, '\n'); i >= 0 {
				lines := r.partial[:i+1]
				ok := r.deliver(lines, yield)
				r.partial = append(r.partial[:0], r.partial[i+1:]...)
				if !ok {
					return false
				}
			}
		}
		if err == io.EOF || n == 0 {
			return true
		}
		if err != nil {
			yield(Event{}, err)
			return false
		}
	}
}

// reopen switches to the log at its name when it is another file than
// the one followed (rotated, or made since): what the old one holds
// was drained before.
func (r *eventReader) reopen() (bool, error) {
	name := filepath.Join(r.dir, eventLogName)
	if r.cur != nil && sameFile(r.cur, name) {
		return false, nil
	}
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // rotated, the next not yet written
	}
	if err != nil {
		return false, err
	}
	if r.cur != nil {
		r.cur.Close()
	}
	r.cur, r.partial = f, nil
	return true, nil
}

// deliver yields the events of complete lines that the options select;
// false when yield asked to stop.
func (r *eventReader) deliver(lines []byte, yield func(Event, error) bool) bool {
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n')
		if i < 0 {
			i = len(lines)
		}
		line := lines[:i]
		lines = lines[min(i+1, len(lines)):]
		ev, ok := parseEvent(line)
		if !ok || !r.selects(&ev) {
			continue
		}
		if !yield(ev, nil) {
			return false
		}
	}
	return true
}

// selects applies the options' bounds and filter.
func (r *eventReader) selects(ev *Event) bool {
	if !r.opts.Since.IsZero() && ev.Time.Before(r.opts.Since) {
		return false
	}
	if !r.opts.Until.IsZero() && ev.Time.After(r.opts.Until) {
		return false
	}
	return r.opts.Filter == nil || r.opts.Filter(ev)
}

// eventWatch waits for the log to change: wait returns when the
// directory of the log changed, when deadline (if not zero) passes or
// when ctx ends, whichever comes first (maybe spuriously).
type eventWatch interface {
	wait(ctx context.Context, deadline time.Time) error
	close()
}

// pollWatch is the watch where nothing better works: it waits
// eventPoll at most.
type pollWatch struct{}

const eventPoll = 200 * time.Millisecond

func (pollWatch) wait(ctx context.Context, deadline time.Time) error {
	d := eventPoll
	if !deadline.IsZero() {
		d = min(d, time.Until(deadline))
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return nil
}

func (pollWatch) close() {}
