package dock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/nsinit"
)

// The events of a container's start and exit, in Docker's order: at
// start "network connect" for each network, "volume mount" for each
// volume, then "container start"; at exit "container die" (exitCode,
// execDuration), then "network disconnect" and "volume unmount"; and
// "container destroy" when it is removed. The engine records them for
// the containers it waits for; a detached container's monitor records
// those of its exit and of its removal (--rm) from templates made at
// start (see exitTemplates).

// networkEvents are the container's network events of action (connect,
// disconnect), one per bridge network it is on.
func (c *Container) networkEvents(rec *containerRecord, action string) []Event {
	eps, err := c.networks(rec)
	if err != nil {
		return nil
	}
	var out []Event
	for _, ep := range eps {
		n, err := c.e.networkByID(ep.Network)
		if err != nil {
			continue
		}
		out = append(out, Event{Type: EventNetwork, Action: action, Scope: "local",
			Actor: EventActor{ID: n.ID, Attributes: attrs("name", n.Name, "type", n.Driver, "container", c.id)}})
	}
	return out
}

// volumeEvents are the container's volume events of action (mount,
// unmount), one per volume mount.
func (c *Container) volumeEvents(rec *containerRecord, action string) []Event {
	var out []Event
	for _, m := range rec.Config.Mounts {
		if m.Type != "volume" {
			continue
		}
		a := attrs("driver", "local", "container", c.id, "destination", m.Target,
			"read/write", strconv.FormatBool(!m.ReadOnly), "propagation", "")
		if action == "unmount" {
			a = attrs("driver", "local", "container", c.id)
		}
		out = append(out, Event{Type: EventVolume, Action: action, Scope: "local",
			Actor: EventActor{ID: m.Source, Attributes: a}})
	}
	return out
}

// emitEvents records events, now.
func (e *Engine) emitEvents(evs []Event) {
	for _, ev := range evs {
		e.emit(ev.Type, ev.Action, ev.Actor.ID, ev.Actor.Attributes)
	}
}

// emitStarted records a start: the networks joined, the volumes mounted,
// the start itself.
func (c *Container) emitStarted(rec *containerRecord) {
	c.e.emitEvents(c.networkEvents(rec, "connect"))
	c.e.emitEvents(c.volumeEvents(rec, "mount"))
	c.emit(rec, "start")
}

// emitExited records an exit seen by the engine: the die (with
// restarting "true" when the restart policy starts the container again,
// as API 1.57 has it), then the networks left and the volumes unmounted.
// left, when not nil, runs between the die and the rest: it waits until
// the networks are left.
func (c *Container) emitExited(rec *containerRecord, st ExitStatus, started time.Time, restarting bool, left func()) {
	extra := []string{"exitCode", strconv.Itoa(st.Code),
		"execDuration", strconv.Itoa(int(st.ExitedAt.Sub(started).Seconds()))}
	if restarting {
		extra = append(extra, "restarting", "true")
	}
	c.emit(rec, "die", extra...)
	if left != nil {
		left()
	}
	c.e.emitEvents(c.networkEvents(rec, "disconnect"))
	c.e.emitEvents(c.volumeEvents(rec, "unmount"))
}

// The placeholders of an event template (exitTemplates): bytes that
// json.Marshal never writes raw, which the monitor replaces with the exit
// code, the seconds the container ran, and the time fields
// ("time":S,"timeNano":NS).
const (
	templateExitCode   = "\x01"
	templateDuration   = "\x02"
	templateTime       = "\x03"
	templateRestarting = "\x04" // the die's: ,"restarting":"true" or nothing
)

// exitTemplates are the lines that a detached container's monitor
// writes to the event log when the container exits (die, then the
// networks and volumes left) and, with AutoRemove, when it has removed
// it (destroy): each a whole line but for the placeholders.
func (c *Container) exitTemplates(rec *containerRecord) (exit, removed []string) {
	die := Event{Type: EventContainer, Action: "die", Scope: "local", Actor: EventActor{ID: c.id,
		Attributes: containerAttrs(rec, "exitCode", templateExitCode, "execDuration", templateDuration)}}
	evs := append([]Event{die}, c.networkEvents(rec, "disconnect")...)
	evs = append(evs, c.volumeEvents(rec, "unmount")...)
	for i, ev := range evs {
		t, ok := eventTemplate(&ev)
		if !ok {
			continue
		}
		if i == 0 {
			// A restart is announced among the die's attributes, after
			// the others.
			if j := strings.LastIndex(t, `}},"scope":`); j >= 0 {
				t = t[:j] + templateRestarting + t[j:]
			}
		}
		exit = append(exit, t)
	}
	if rec.Config.AutoRemove {
		destroy := Event{Type: EventContainer, Action: "destroy", Scope: "local",
			Actor: EventActor{ID: c.id, Attributes: containerAttrs(rec)}}
		if t, ok := eventTemplate(&destroy); ok {
			removed = append(removed, t)
		}
	}
	return exit, removed
}

// exitTemplatesFile holds the exitTemplates of a running container, in
// nsinit.EventTemplates' form: its monitor reads it at exit, and Rename
// writes it again, so that the die and the destroy carry the name the
// container has when it exits.
const exitTemplatesFile = "events.tmpl"

// writeExitTemplates makes the exitTemplates of rec and writes them to
// the container's exitTemplatesFile.
func (c *Container) writeExitTemplates(rec *containerRecord) (exit, removed []string, err error) {
	exit, removed = c.exitTemplates(rec)
	if err := c.e.writeFileAtomic(c.dir(exitTemplatesFile), nsinit.EventTemplates(exit, removed), 0o600); err != nil {
		return nil, nil, fmt.Errorf("write event templates: %w", err)
	}
	return exit, removed, nil
}

// renewExitTemplates writes the exitTemplatesFile again from rec, if the
// container has one (it has been started).
func (c *Container) renewExitTemplates(rec *containerRecord) error {
	if _, err := os.Lstat(c.dir(exitTemplatesFile)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	_, _, err := c.writeExitTemplates(rec)
	return err
}

// eventTemplate is ev's line with the placeholders: the attribute values
// templateExitCode and templateDuration, and the time fields.
func eventTemplate(ev *Event) (string, bool) {
	line, err := marshalEvent(ev)
	if err != nil {
		return "", false
	}
	// The time fields end the line: cut them for the placeholder.
	i := bytes.LastIndex(line, []byte(`"time":`))
	if i < 0 {
		return "", false
	}
	t := append(line[:i:i], templateTime+"}\n"...)
	for _, p := range []string{templateExitCode, templateDuration} {
		quoted, _ := json.Marshal(p) // "\u0001": only a value equal to p
		t = bytes.ReplaceAll(t, quoted, []byte(`"`+p+`"`))
	}
	return string(t), true
}
