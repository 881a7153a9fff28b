package dock

import (
	"bytes"
	"io"
	"os"
	"strconv"
)

// lastExit is how the last run of container id ended, as its die event
// recorded it: for Wait on a container that is gone, such as one that its
// monitor removed (AutoRemove) once it had recorded the exit, which may
// be before Wait looked. The die holds the code and the time, which is
// what it returns (no Signal, no OOMKilled). False when the event log
// keeps no die of it (it never ran, or too long ago).
func (e *Engine) lastExit(id string) (ExitStatus, bool) {
	// Both logs, opened together under the log's lock: no rotation
	// comes between (see openBoth).
	r := &eventReader{dir: e.path("events")}
	old, cur, err := r.openBoth()
	if err != nil {
		return ExitStatus{}, false
	}
	var die *Event
	for _, f := range []*os.File{old, cur} {
		if f == nil {
			continue
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return ExitStatus{}, false
		}
		if ev := lastDie(data, id); ev != nil {
			die = ev
		}
	}
	if die == nil {
		return ExitStatus{}, false
	}
	code, err := strconv.Atoi(die.Actor.Attributes["exitCode"])
	if err != nil {
		return ExitStatus{}, false
	}
	return ExitStatus{Code: code, ExitedAt: die.Time.UTC()}, true
}

// lastDie is the last die event of container id among the log's lines in
// data. Only the lines that name it are parsed.
func lastDie(data []byte, id string) *Event {
	actor := []byte(`"ID":"` + id + `"`)
	action := []byte(`"Action":"die"`)
	var die *Event
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		if !bytes.Contains(line, actor) || !bytes.Contains(line, action) {
			continue
		}
		if ev, ok := parseEvent(line); ok && ev.Type == EventContainer && ev.Action == "die" && ev.Actor.ID == id {
			die = &ev
		}
	}
	return die
}
