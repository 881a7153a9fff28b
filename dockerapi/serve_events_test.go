package dockerapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// unixArg is t as Docker's clients send since and until: Unix seconds
// with nanoseconds.
func unixArg(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

// collectEvents reads the events of a bounded request (with until).
func collectEvents(t *testing.T, a *apiTest, opts client.EventsListOptions) []events.Message {
	t.Helper()
	res := a.client.Events(context.Background(), opts)
	var out []events.Message
	for {
		select {
		case m := <-res.Messages:
			out = append(out, m)
		case err := <-res.Err:
			if !errors.Is(err, io.EOF) {
				require.NoError(t, err)
			}
			return out
		}
	}
}

func TestServeEvents(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	t0 := time.Now()
	_, err := a.engine.CreateVolume(ctx, "evvol")
	require.NoError(t, err)
	c, err := a.engine.Create(ctx, dock.Config{Image: "busybox", Name: "evc", Cmd: []string{"true"},
		Labels: map[string]string{"com.docker.compose.project": "proj", "com.docker.compose.oneoff": "False"}})
	require.NoError(t, err)
	// Past the last event's nanosecond: the history is complete to t1.
	t1 := time.Now().Add(time.Millisecond)

	// The Go client, API 1.57: Docker's Message.
	all := collectEvents(t, a, client.EventsListOptions{Since: unixArg(t0), Until: unixArg(t1)})
	var got []string
	for _, m := range all {
		got = append(got, string(m.Type)+" "+string(m.Action)+" "+m.Actor.ID)
	}
	assert.Equal(t, []string{"volume create evvol", "container create " + c.ID()}, got)
	assert.Equal(t, "evc", all[1].Actor.Attributes["name"])
	assert.Equal(t, "local", all[1].Scope)
	assert.NotZero(t, all[1].TimeNano)

	// Filters, and since/until as RFC 3339.
	vols := collectEvents(t, a, client.EventsListOptions{Since: t0.Format(time.RFC3339Nano), Until: t1.Format(time.RFC3339Nano),
		Filters: client.Filters{}.Add("type", "volume")})
	require.Len(t, vols, 1)
	assert.Equal(t, "evvol", vols[0].Actor.ID)
	assert.Empty(t, collectEvents(t, a, client.EventsListOptions{Since: unixArg(t0), Until: unixArg(t1),
		Filters: client.Filters{}.Add("container", "nosuch")}))

	// compose v1: /v1.38/, the list form of filters, the legacy fields.
	q := url.Values{"since": {unixArg(t0)}, "until": {unixArg(t1)},
		"filters": {`{"label": ["com.docker.compose.project=proj", "com.docker.compose.oneoff=False"]}`}}
	status, h, body := a.do(t, http.MethodGet, "/v1.38/events?"+q.Encode(), "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	lines := strings.Split(strings.TrimSpace(body), "\n")
	require.Len(t, lines, 1, body)
	var legacy map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &legacy))
	assert.Equal(t, "create", legacy["status"])
	assert.Equal(t, c.ID(), legacy["id"])
	assert.Equal(t, "busybox", legacy["from"])
	assert.Equal(t, "container", legacy["Type"])
	assert.Equal(t, "create", legacy["Action"])

	// From 1.52: no legacy fields, JSON lines (or NDJSON when asked).
	status, h, body = a.do(t, http.MethodGet, "/v1.52/events?"+q.Encode(), "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "application/jsonl", h.Get("Content-Type"))
	assert.NotContains(t, body, `"status"`)
	assert.Contains(t, body, `"Action":"create"`)
	req, err := http.NewRequest(http.MethodGet, "http://docker/events?"+q.Encode(), nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := a.http.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "application/x-ndjson", resp.Header.Get("Content-Type"))
}

// A stream without until sends its headers at once, then each event as
// it happens, and ends when the client goes.
func TestServeEventsFollow(t *testing.T) {
	a := newAPITest(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/v1.38/events?filters="+url.QueryEscape(`{"type":["volume"]}`), nil)
	require.NoError(t, err)
	// Do returns with the headers: before any event.
	resp, err := a.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	_, err = a.engine.CreateVolume(context.Background(), "followed")
	require.NoError(t, err)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	var m LegacyEventMessage
	require.NoError(t, json.Unmarshal([]byte(line), &m))
	assert.Equal(t, "followed", m.Actor.ID)
	assert.Equal(t, events.Action("create"), m.Action)
	cancel()
}

func TestServeEventsHostile(t *testing.T) {
	a := newAPITest(t)
	for _, tc := range []struct {
		query  string
		status int
		msg    string
	}{
		{"since=yesterday", 400, "invalid value for since"},
		{"until=" + url.QueryEscape("2024-13-01T00:00:00Z"), 400, "invalid value for until"},
		{"since=2000&until=1000", 400, "cannot be after `until`"},
		{"filters=" + url.QueryEscape(`{"nosuch":["x"]}`), 400, "invalid filter 'nosuch'"},
		{"filters=" + url.QueryEscape(`{"type":"container"}`), 400, "invalid filter"},
		{"filters=" + url.QueryEscape(`[]`), 400, "invalid filter"},
	} {
		status, _, body := a.do(t, http.MethodGet, "/events?"+tc.query, "")
		assert.Equal(t, tc.status, status, tc.query)
		assert.Contains(t, body, tc.msg, tc.query)
	}
	// An until in the past ends the stream at once, with what was recorded.
	status, _, body := a.do(t, http.MethodGet, "/events?until=1", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, body)
}
