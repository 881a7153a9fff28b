package dockerapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/timestamp"
)

// eventRoutes are docker events' endpoint.
func (s *server) eventRoutes() []route {
	return []route{{"GET /events", s.events}}
}

// events streams the events that the request selects: the recorded ones
// from since, then those to come, until until passes or the client goes.
// The headers go at once (clients wait for them before they read).
// Before API 1.52 each event has the status, id and from fields that
// docker-compose v1 reads, and the stream is application/json.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	opts, err := eventOptions(r, time.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if opts.Since.IsZero() && opts.Until.IsZero() {
		// The events to come are those from now: the stream replays what
		// happens between the headers (the client acts on them) and the
		// log's watch.
		opts.Since = time.Now()
	}
	legacy := !versionAtLeast(r, "1.52")
	contentType := "application/json"
	if !legacy {
		contentType = eventsContentType(r.Header.Values("Accept"))
	}
	stream := newJSONStream(w, contentType)
	for ev, err := range s.engine.Events(r.Context(), opts) {
		if err != nil {
			// The headers are gone: the stream just ends.
			s.log.Error("events", "err", err)
			return
		}
		var msg any = EventMessage(&ev)
		if legacy {
			msg = LegacyEvent(&ev)
		}
		if err := stream.Send(msg); err != nil {
			return // the client went
		}
	}
}

// eventOptions reads since, until and filters; now is the reference of
// relative times.
func eventOptions(r *http.Request, now time.Time) (dock.EventOptions, error) {
	var opts dock.EventOptions
	q := r.URL.Query()
	for _, p := range []struct {
		key string
		t   *time.Time
	}{{"since", &opts.Since}, {"until", &opts.Until}} {
		v := q.Get(p.key)
		if v == "" {
			continue
		}
		t, err := timestamp.Parse(v, now)
		if err != nil {
			return opts, errorf(http.StatusBadRequest, "invalid value for %s: %v", p.key, err)
		}
		*p.t = t
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && opts.Until.Before(opts.Since) {
		return opts, errorf(http.StatusBadRequest, "`since` time (%s) cannot be after `until` time (%s)", q.Get("since"), q.Get("until"))
	}
	f, err := ParseFilters(q.Get("filters"))
	if err != nil {
		return opts, err
	}
	if opts.Filter, err = EventFilter(f); err != nil {
		return opts, err
	}
	return opts, nil
}

// eventsContentType is the stream's type from API 1.52: JSON lines, or
// newline-delimited JSON (the same bytes) for a client that asks for it
// and not for JSON lines.
func eventsContentType(accept []string) string {
	ndjson := false
	for _, a := range accept {
		for part := range strings.SplitSeq(a, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/jsonl", "*/*", "application/*":
				return "application/jsonl"
			case "application/x-ndjson":
				ndjson = true
			}
		}
	}
	if ndjson {
		return "application/x-ndjson"
	}
	return "application/jsonl"
}
