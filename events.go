package dock

import (
	"context"
	"iter"
	"maps"
	"time"
)

// Events are what happened to the containers, images, volumes and
// networks of a state directory, in Docker's shape (docker events, the
// Engine API's /events): a type, an action, the object acted on and when.
//
// There is no daemon to hand them out: every process that changes the
// state directory appends its events to one log in it (events/log, see
// eventlog.go), and so does the monitor of a detached container when the
// container dies or its monitor removes it. Any process that opens the
// root reads them, past ones and, following the log, those to come.

// Event types, Docker's.
const (
	EventContainer = "container"
	EventImage     = "image"
	EventVolume    = "volume"
	EventNetwork   = "network"
)

// Event is one event, as Docker's events.Message has it.
type Event struct {
	// Type is EventContainer, EventImage, EventVolume or EventNetwork.
	Type string
	// Action is what happened, in Docker's words:
	//
	//	container  create, start, die, kill, stop, restart, pause,
	//	           unpause, rename, update, destroy, commit,
	//	           "exec_create: CMD ARGS", "exec_start: CMD ARGS",
	//	           exec_die, prune
	//	image      pull, push, tag, untag, delete, import, load, save,
	//	           prune
	//	volume     create, mount, unmount, destroy, prune
	//	network    create, connect, disconnect, destroy, prune
	Action string
	// Actor is the object acted on.
	Actor EventActor
	// Scope is "local", as for every event of a local engine.
	Scope string
	// Time is when it happened, to the nanosecond.
	Time time.Time
}

// EventActor is the object of an event: its ID and attributes (Docker's):
// for a container its labels, "name" and "image" (the reference it was
// created with), plus "exitCode" and "execDuration" (seconds) on die,
// "signal" on kill, "oldName" on rename, "execID" on exec events; for an
// image "name" (the reference acted on); for a volume "driver", and
// "container", "destination", "read/write" and "propagation" on mount;
// for a network "name" and "type", and "container" on connect and
// disconnect; for a prune "reclaimed" (bytes).
type EventActor struct {
	// ID is the container's, network's or image's ID, the volume's name,
	// or the reference an image event names (pull, push, tag, untag).
	ID         string
	Attributes map[string]string
}

// EventOptions select the events Events returns.
type EventOptions struct {
	// Since, when set, makes Events return the recorded events from that
	// time on before those to come. Zero means only those to come, as
	// docker events without --since, unless Until is set: then the
	// recorded ones from the oldest kept, as Docker. The log keeps the
	// latest events only (at least the last MiB of them, some
	// thousands), so an old Since starts at the oldest kept.
	Since time.Time
	// Until, when set, ends the events at that time: Events returns once
	// it has passed (at once when it is not in the future, after the
	// recorded events). Zero means follow until ctx ends.
	Until time.Time
	// Filter, when set, keeps the events for which it returns true
	// (package dockerapi makes one from Docker's filters).
	Filter func(*Event) bool
}

// Events returns the events that opts select, oldest first: the recorded
// ones from opts.Since, then, as they happen, those of every process on
// the state directory (engines, detached containers' monitors), until
// opts.Until passes or ctx ends; ctx ending is the normal end of a
// follow, not an error. A failure to read the log is yielded as the
// last, with a zero Event. Another process's events come within
// moments: the log is watched (inotify on Linux, polled elsewhere).
//
// The sequence may be ranged over once; each range reads the log anew.
func (e *Engine) Events(ctx context.Context, opts EventOptions) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		r := &eventReader{dir: e.path("events"), opts: opts}
		defer r.close()
		r.run(ctx, yield)
	}
}

// emit records an event. It never fails the operation that happened: a
// failure to record it is logged.
func (e *Engine) emit(typ, action, id string, attrs map[string]string) {
	ev := Event{Type: typ, Action: action, Actor: EventActor{ID: id, Attributes: attrs}, Scope: "local", Time: time.Now()}
	if err := appendEvent(e.path("events"), &ev); err != nil {
		e.log.Warn("record event", "type", typ, "action", action, "err", err)
	}
}

// containerAttrs are the attributes of a container's events: its labels
// (over its image's, as Create resolved them), name and image, as
// Docker's, plus extra.
func containerAttrs(rec *containerRecord, extra ...string) map[string]string {
	labels := rec.Config.Labels
	if rec.Resolved != nil && rec.Resolved.Labels != nil {
		labels = rec.Resolved.Labels
	}
	attrs := make(map[string]string, len(labels)+2+len(extra)/2)
	maps.Copy(attrs, labels)
	attrs["image"] = rec.Config.Image
	attrs["name"] = rec.Name
	for i := 0; i+1 < len(extra); i += 2 {
		attrs[extra[i]] = extra[i+1]
	}
	return attrs
}

// emitContainer records a container event, with the attributes of rec
// (read from disk when nil; none when it cannot be read).
func (c *Container) emit(rec *containerRecord, action string, extra ...string) {
	if rec == nil {
		var err error
		if rec, err = c.knownRecord(); err != nil {
			rec = &containerRecord{ID: c.id}
		}
	}
	c.e.emit(EventContainer, action, c.id, containerAttrs(rec, extra...))
}

// attrs makes an attribute map of key, value pairs.
func attrs(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
