package dockerapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/go-dock/dock"
)

// waitContainer is POST /containers/{id}/wait?condition=: not-running
// (the default: at once when the container does not run), next-exit (the
// next exit, even of a container not started yet) or removed (its
// removal, as an AutoRemove container's monitor does it).
//
// The 200 and its headers go out at once, before the container exits:
// Docker's CLI sends /start only once they have come. The exit is then
// learnt from the engine's events, recorded since just before the
// answer, so an exit between the two is not missed whichever process
// (the container's monitor) records it.
func (s *server) waitContainer(w http.ResponseWriter, r *http.Request) {
	cond := container.WaitCondition(r.URL.Query().Get("condition"))
	switch cond {
	case "":
		cond = container.WaitConditionNotRunning
	case container.WaitConditionNotRunning, container.WaitConditionNextExit, container.WaitConditionRemoved:
	default:
		writeError(w, r, badRequest("invalid condition: %q", cond))
		return
	}
	since := time.Now()
	c, err := s.container(r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	st, err := c.State(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	answer := newJSONStream(w, "application/json") // the 200 goes out now

	resp := s.waitFor(r.Context(), c, cond, st, since)
	if r.Context().Err() != nil {
		return // the client went away
	}
	_ = answer.Send(resp)
}

// waitFor waits for cond and returns Docker's answer; st is the
// container's state when the wait began.
func (s *server) waitFor(ctx context.Context, c *dock.Container, cond container.WaitCondition, st dock.State, since time.Time) container.WaitResponse {
	notRunning := st.Status == dock.StatusCreated || st.Status == dock.StatusExited
	code := st.Exit.Code
	if cond == container.WaitConditionNotRunning && notRunning {
		return container.WaitResponse{StatusCode: int64(code)}
	}
	id := c.ID()
	events := s.engine.Events(ctx, dock.EventOptions{Since: since, Filter: func(ev *dock.Event) bool {
		return ev.Type == dock.EventContainer && ev.Actor.ID == id && (ev.Action == "die" || ev.Action == "destroy")
	}})
	for ev, err := range events {
		if err != nil {
			return waitError(code, err)
		}
		switch ev.Action {
		case "die":
			if n, err := strconv.Atoi(ev.Actor.Attributes["exitCode"]); err == nil {
				code = n
			}
			if cond != container.WaitConditionRemoved {
				return container.WaitResponse{StatusCode: int64(code)}
			}
		case "destroy":
			return container.WaitResponse{StatusCode: int64(code)}
		}
	}
	return waitError(code, ctx.Err())
}

// waitError is the answer of a wait that failed after its 200 went out.
func waitError(code int, err error) container.WaitResponse {
	resp := container.WaitResponse{StatusCode: int64(code)}
	if err != nil {
		resp.Error = &container.WaitExitError{Message: err.Error()}
	}
	return resp
}
