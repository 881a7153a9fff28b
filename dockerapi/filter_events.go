package dockerapi

import (
	"slices"
	"strings"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/reference"
)

// eventFilterKeys are the filter keys of docker events and the Engine
// API's GET /events. Swarm's (config, node, secret, service) and plugin
// and daemon are taken, as Docker takes them, and match no event here.
var eventFilterKeys = []string{
	"config", "container", "daemon", "event", "image", "label", "network",
	"node", "plugin", "scope", "secret", "service", "type", "volume",
}

// EventFilter returns the test of docker events --filter and of the
// Engine API's GET /events filters, as dock.EventOptions.Filter takes it:
//
//	type       container, image, volume, network (and Docker's others,
//	           which no event here has)
//	event      an action (start, die...); exec_create, exec_start and
//	           health_status match the actions that start with them
//	           ("exec_start: sh")
//	container  a container's ID, ID prefix, name or name prefix: its
//	           events only
//	image      an image's ID or reference (with or without its tag):
//	           its events and those of the containers created from it
//	volume     a volume's name (or a prefix): its events only
//	network    a network's ID or name (or a prefix): its events only
//	label      key or key=value, matched against the actor's attributes
//	           (a container's labels are among them); every one must match
//	scope      local or swarm
//
// Values of one key widen the selection, keys narrow it, as in Docker.
// An unknown key is a *FilterError (invalid filter 'key').
func EventFilter(f Filters) (func(*dock.Event) bool, error) {
	if err := f.validate(eventFilterKeys...); err != nil {
		return nil, err
	}
	return func(ev *dock.Event) bool {
		return f.matchEventAction(ev.Action) &&
			f.exactMatch("type", ev.Type) &&
			f.exactMatch("scope", ev.Scope) &&
			f.fuzzyActor(ev, "daemon") &&
			f.fuzzyActor(ev, dock.EventContainer) &&
			f.fuzzyActor(ev, "plugin") &&
			f.fuzzyActor(ev, dock.EventVolume) &&
			f.fuzzyActor(ev, dock.EventNetwork) &&
			f.matchEventImage(ev) &&
			f.fuzzyActor(ev, "node") &&
			f.fuzzyActor(ev, "service") &&
			f.fuzzyActor(ev, "secret") &&
			f.fuzzyActor(ev, "config") &&
			f.matchKV("label", ev.Actor.Attributes)
	}, nil
}

// matchEventAction is the event filter: exact, except that exec_create,
// exec_start and health_status also match their actions with a command
// or a status after a colon.
func (f Filters) matchEventAction(action string) bool {
	for _, prefixed := range []string{"exec_create", "exec_start", "health_status"} {
		if f.fields["event"][prefixed] {
			return f.fuzzyMatch("event", action)
		}
	}
	return f.exactMatch("event", action)
}

// fuzzyActor is Docker's test of the keys named after a type: the
// actor's ID or name starts with one of the values, for events of that
// type; an event of another type never matches a given key.
func (f Filters) fuzzyActor(ev *dock.Event, key string) bool {
	if len(f.fields[key]) == 0 {
		return true
	}
	if ev.Type != key {
		return false
	}
	return f.fuzzyMatch(key, ev.Actor.ID) || f.fuzzyMatch(key, ev.Actor.Attributes["name"])
}

// fuzzyMatch is Docker's FuzzyMatch: s is a value of key or starts with
// one; true when key has none.
func (f Filters) fuzzyMatch(key, s string) bool {
	if f.exactMatch(key, s) {
		return true
	}
	for v := range f.fields[key] {
		if strings.HasPrefix(s, v) {
			return true
		}
	}
	return false
}

// matchEventImage is the image filter: the actor's ID, or the image it
// names (an image event's "name", a container event's "image"), as given
// or without its tag.
func (f Filters) matchEventImage(ev *dock.Event) bool {
	if len(f.fields["image"]) == 0 {
		return true
	}
	attr := "image"
	if ev.Type == dock.EventImage {
		attr = "name"
	}
	name := ev.Actor.Attributes[attr]
	return slices.ContainsFunc([]string{ev.Actor.ID, name, withoutTag(ev.Actor.ID), withoutTag(name)},
		func(s string) bool { return f.fields["image"][s] })
}

// withoutTag is a reference's repository in its short form
// ("busybox:latest" is "busybox"), or s when it is none.
func withoutTag(s string) string {
	r, err := reference.ParseNoDefaultTag(s)
	if err != nil {
		return s
	}
	return r.FamiliarName()
}
