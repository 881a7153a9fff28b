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
// (replacing the older one) and the next write starts a new log: the
// events of the last eventLogMax bytes at least are kept, at most twice
// that. Readers read log.1 then log, and follow log across renames.
//
// The lock events/lock orders writes and rotations: a writer holds it
// shared from the open of the log to the end of its write, the rotation
// holds it exclusive. So no line goes to a log after it was renamed away:
// a follower that sees log is another file drains the one it followed
// to its end and misses nothing. A follower takes the lock shared only to
// open the logs it switches to, never while it hands out events (a slow
// reader must not hold up the writers' rotation).

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
	size, err := writeEventLine(dir, line)
	if err != nil {
		return err
	}
	if size > eventLogMax {
		return rotateEvents(dir)
	}
	return nil
}

// writeEventLine appends line to the log under the shared lock and
// returns the log's size after it (0 if unknown).
func writeEventLine(dir string, line []byte) (int64, error) {
	lf, err := lockEvents(dir, unix.LOCK_SH)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o711); err != nil {
			return 0, err
		}
		lf, err = lockEvents(dir, unix.LOCK_SH)
	}
	if err != nil {
		return 0, err
	}
	defer lf.Close()
	f, err := os.OpenFile(filepath.Join(dir, eventLogName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, err
	}
	_, err = f.Write(line)
	fi, serr := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || serr != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// lockEvents opens the lock of the log in dir and takes it (LOCK_SH or
// LOCK_EX); closing the file releases it.
func lockEvents(dir string, how int) (*os.File, error) {
	lf, err := os.OpenFile(filepath.Join(dir, eventLockNm), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flockRetry(int(lf.Fd()), how); err != nil {
		lf.Close()
		return nil, err
	}
	return lf, nil
}

// rotateEvents renames the log to log.1 when it is still over the limit
// once the lock is held, exclusive: of writers that saw it full at once,
// one rotates, and no writer has the log open as it does.
func rotateEvents(dir string) error {
	lf, err := lockEvents(dir, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer lf.Close()
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
	// old is the log.1 that was there when the reading started or last
	// switched logs (nil if none): a log.1 that is another file is a log
	// that was rotated twice while cur was followed.
	old   os.FileInfo
	watch eventWatch
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
		if !r.reopen(yield) {
			return
		}
	}
}

// errStopped is a yield that asked to stop.
var errStopped = errors.New("stopped")

// openLogs opens the log; with past, it first yields the events of
// log.1, and the log is read from its start, else from its end. Both are
// opened under the shared lock, so that no rotation comes between.
func (r *eventReader) openLogs(past bool, yield func(Event, error) bool) error {
	old, cur, err := r.openBoth()
	if err != nil {
		return err
	}
	r.cur = cur
	if old != nil {
		defer old.Close()
		if r.old, err = old.Stat(); err != nil {
			return err
		}
		if past {
			if err := r.readAll(old, yield); err != nil {
				return err
			}
		}
	}
	if !past && cur != nil {
		if _, err := cur.Seek(0, io.SeekEnd); err != nil {
			return err
		}
	}
	return nil
}

// openBoth opens log.1 and the log, each nil when missing, under the
// shared lock (none when there is no log directory yet: no writer
// either).
func (r *eventReader) openBoth() (old, cur *os.File, err error) {
	lf, err := lockEvents(r.dir, unix.LOCK_SH)
	if err == nil {
		defer lf.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	open := func(name string) (*os.File, error) {
		f, err := os.Open(filepath.Join(r.dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return f, err
	}
	if old, err = open(eventLogOld); err != nil {
		return nil, nil, err
	}
	if cur, err = open(eventLogName); err != nil {
		if old != nil {
			old.Close()
		}
		return nil, nil, err
	}
	return old, cur, nil
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
// the one followed (rotated, or made since). No writer writes to a log
// once it was renamed away: what the followed one holds beyond what was
// read is yielded first, then a log.1 it never saw (rotated twice
// meanwhile), then the new log is followed from its start. False when
// yield asked to stop or on an error, which it yields.
func (r *eventReader) reopen(yield func(Event, error) bool) bool {
	if r.cur != nil && sameFile(r.cur, filepath.Join(r.dir, eventLogName)) {
		return true
	}
	old, cur, err := r.openBoth()
	if err != nil {
		yield(Event{}, err)
		return false
	}
	if old != nil {
		defer old.Close()
	}
	if cur == nil || (r.cur != nil && sameOpenFile(r.cur, cur)) {
		// Rotated, the next not yet written; or the rotation came
		// between the look and the lock.
		if cur != nil {
			cur.Close()
		}
		return true
	}
	if !r.drain(yield) {
		cur.Close()
		return false
	}
	if old != nil {
		fi, err := old.Stat()
		if err == nil && !(r.old != nil && os.SameFile(fi, r.old)) && !(r.cur != nil && sameOpenFile(r.cur, old)) {
			if err := r.readAll(old, yield); err != nil {
				cur.Close()
				if err != errStopped {
					yield(Event{}, err)
				}
				return false
			}
		}
		r.old = fi
	}
	if r.cur != nil {
		r.cur.Close()
	}
	r.cur, r.partial = cur, nil
	return r.drain(yield)
}

// sameOpenFile reports whether two open files are one.
func sameOpenFile(a, b *os.File) bool {
	fa, err := a.Stat()
	if err != nil {
		return false
	}
	fb, err := b.Stat()
	return err == nil && os.SameFile(fa, fb)
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
