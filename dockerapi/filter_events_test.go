package dockerapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

func TestEventFilter(t *testing.T) {
	cid := "4f6e1b2a9c3d5e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f"
	start := &dock.Event{Type: dock.EventContainer, Action: "start", Scope: "local",
		Actor: dock.EventActor{ID: cid, Attributes: map[string]string{"name": "web", "image": "busybox:latest", "app": "x"}}}
	exec := &dock.Event{Type: dock.EventContainer, Action: "exec_start: sh -c ls", Scope: "local",
		Actor: dock.EventActor{ID: cid, Attributes: map[string]string{"name": "web", "image": "busybox:latest"}}}
	tag := &dock.Event{Type: dock.EventImage, Action: "tag", Scope: "local",
		Actor: dock.EventActor{ID: "sha256:abc", Attributes: map[string]string{"name": "app:1"}}}
	connect := &dock.Event{Type: dock.EventNetwork, Action: "connect", Scope: "local",
		Actor: dock.EventActor{ID: "9a8b7c", Attributes: map[string]string{"name": "front", "type": "bridge", "container": cid}}}
	vol := &dock.Event{Type: dock.EventVolume, Action: "mount", Scope: "local",
		Actor: dock.EventActor{ID: "data", Attributes: map[string]string{"driver": "local", "container": cid}}}
	all := []*dock.Event{start, exec, tag, connect, vol}
	for _, tc := range []struct {
		filters []string
		want    []*dock.Event
	}{
		{nil, all},
		{[]string{"type=container"}, []*dock.Event{start, exec}},
		{[]string{"type=image", "type=volume"}, []*dock.Event{tag, vol}},
		{[]string{"event=start"}, []*dock.Event{start}},
		{[]string{"event=exec_start"}, []*dock.Event{exec}},
		{[]string{"event=exec_start: sh -c ls"}, []*dock.Event{exec}},
		{[]string{"event=tag", "event=mount"}, []*dock.Event{tag, vol}},
		{[]string{"container=web"}, []*dock.Event{start, exec}},
		{[]string{"container=4f6e1b"}, []*dock.Event{start, exec}},
		{[]string{"container=other"}, nil},
		{[]string{"image=busybox"}, []*dock.Event{start, exec}},
		{[]string{"image=busybox:latest"}, []*dock.Event{start, exec}},
		{[]string{"image=app"}, []*dock.Event{tag}},
		{[]string{"image=sha256:abc"}, []*dock.Event{tag}},
		{[]string{"network=front"}, []*dock.Event{connect}},
		{[]string{"network=9a8b"}, []*dock.Event{connect}},
		{[]string{"volume=data"}, []*dock.Event{vol}},
		{[]string{"label=app"}, []*dock.Event{start}},
		{[]string{"label=app=x"}, []*dock.Event{start}},
		{[]string{"label=app=y"}, nil},
		{[]string{"label=type=bridge", "label=name=front"}, []*dock.Event{connect}},
		{[]string{"scope=local"}, all},
		{[]string{"scope=swarm"}, nil},
		{[]string{"type=container", "event=start"}, []*dock.Event{start}},
		{[]string{"daemon=x"}, nil},
	} {
		var f Filters
		for _, a := range tc.filters {
			require.NoError(t, f.Set(a))
		}
		match, err := EventFilter(f)
		require.NoError(t, err, "EventFilter(%q)", tc.filters)
		var got []*dock.Event
		for _, ev := range all {
			if match(ev) {
				got = append(got, ev)
			}
		}
		assert.Equal(t, tc.want, got, "EventFilter(%q)", tc.filters)
	}
	_, err := EventFilter(filtersOf("status", "running"))
	assert.EqualError(t, err, "invalid filter 'status'")
	assert.ErrorIs(t, err, dock.ErrInvalid)
}

func TestEventMessage(t *testing.T) {
	ev := &dock.Event{Type: dock.EventContainer, Action: "die", Scope: "local", Time: time.Unix(1700000000, 5),
		Actor: dock.EventActor{ID: "abc", Attributes: map[string]string{"image": "busybox", "exitCode": "0"}}}
	got, err := json.Marshal(EventMessage(ev))
	require.NoError(t, err)
	assert.JSONEq(t, `{"Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"image":"busybox","exitCode":"0"}},
		"scope":"local","time":1700000000,"timeNano":1700000000000000005}`, string(got))
	got, err = json.Marshal(LegacyEvent(ev))
	require.NoError(t, err)
	assert.JSONEq(t, `{"status":"die","id":"abc","from":"busybox","Type":"container","Action":"die",
		"Actor":{"ID":"abc","Attributes":{"image":"busybox","exitCode":"0"}},
		"scope":"local","time":1700000000,"timeNano":1700000000000000005}`, string(got))
	vol := &dock.Event{Type: dock.EventVolume, Action: "create", Actor: dock.EventActor{ID: "v"}}
	assert.Empty(t, LegacyEvent(vol).Status, "a volume event's legacy status")
}
