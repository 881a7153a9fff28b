package dockerapi

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/timestamp"
)

// containerLogs is GET /containers/{id}/logs: follow, since, until,
// timestamps, tail, stdout, stderr. The output is Docker's: 8-byte
// stdcopy frames, unless the container has a tty (then the raw bytes, as
// Docker's CLI reads them by Config.Tty). The headers go out at once, so
// that a follower is not kept waiting for the first line.
func (s *server) containerLogs(w http.ResponseWriter, r *http.Request) {
	stdout, stderr := boolValue(r, "stdout"), boolValue(r, "stderr")
	if !stdout && !stderr {
		writeError(w, r, badRequest("Bad parameters: you must choose at least one stream"))
		return
	}
	opt, err := logQuery(r, time.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.container(r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	info, err := c.Inspect(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	tty := info.Config.Tty
	out := startStream(w, streamType(r, !tty))
	var ow, ew io.Writer
	if tty {
		ow, ew = out, out
	} else {
		ow, ew = &frameWriter{w: out, stream: streamStdout}, &frameWriter{w: out, stream: streamStderr}
	}
	if !stdout {
		ow = nil
	}
	if !stderr {
		ew = nil
	}
	if err := c.Logs(r.Context(), ow, ew, opt); err != nil && r.Context().Err() == nil {
		// The 200 is out: Docker ends the stream; the error is logged.
		s.log.Debug("logs", "container", c.ID(), "err", err)
	}
}

// logQuery reads the query of a logs request as Docker does: tail "all"
// (or anything not a number, or a negative one) for every line, 0 for
// none; since and until as docker logs takes them, 0 for none.
func logQuery(r *http.Request, now time.Time) (dock.LogOptions, error) {
	q := r.URL.Query()
	opt := dock.LogOptions{Follow: boolValue(r, "follow"), Timestamps: boolValue(r, "timestamps")}
	if t := strings.TrimSpace(q.Get("tail")); t != "" && t != "all" {
		if n, err := strconv.Atoi(t); err == nil && n >= 0 {
			opt.Tail = n
			if n == 0 {
				opt.Tail = dock.TailNone
			}
		}
	}
	for _, p := range []struct {
		key string
		to  *time.Time
	}{{"since", &opt.Since}, {"until", &opt.Until}} {
		v := q.Get(p.key)
		if v == "" || v == "0" {
			continue
		}
		t, err := timestamp.Parse(v, now)
		if err != nil {
			return opt, badRequest("invalid value for %s: %v", p.key, err)
		}
		*p.to = t
	}
	return opt, nil
}
