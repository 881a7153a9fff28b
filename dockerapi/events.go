package dockerapi

import (
	"github.com/moby/moby/api/types/events"

	"github.com/go-dock/dock"
)

// EventMessage is ev as the Engine API's GET /events streams it (API 1.52
// and later) and as docker events' --format sees it.
func EventMessage(ev *dock.Event) events.Message {
	return events.Message{
		Type:     events.Type(ev.Type),
		Action:   events.Action(ev.Action),
		Actor:    events.Actor{ID: ev.Actor.ID, Attributes: ev.Actor.Attributes},
		Scope:    ev.Scope,
		Time:     ev.Time.Unix(),
		TimeNano: ev.Time.UnixNano(),
	}
}

// LegacyEventMessage is an event as API 1.51 and older streamed it: with
// the status, id and from fields that docker-compose v1 reads, which
// dockerd set for container and image events (from: a container's
// image).
type LegacyEventMessage struct {
	Status string `json:"status,omitempty"`
	ID     string `json:"id,omitempty"`
	From   string `json:"from,omitempty"`
	events.Message
}

// LegacyEvent is ev with the legacy fields.
func LegacyEvent(ev *dock.Event) *LegacyEventMessage {
	m := &LegacyEventMessage{Message: EventMessage(ev)}
	switch ev.Type {
	case dock.EventContainer:
		m.Status, m.ID, m.From = ev.Action, ev.Actor.ID, ev.Actor.Attributes["image"]
	case dock.EventImage:
		m.Status, m.ID = ev.Action, ev.Actor.ID
	}
	return m
}
