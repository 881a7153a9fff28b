package dockerapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/common"

	"github.com/go-dock/dock"
)

// apiError is an error answered with a chosen status: the handlers' own
// refusals, in Docker's words.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// errorf makes an apiError.
func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// statusOf is the HTTP status Docker answers err with: 404 for what does
// not exist, 409 for a conflict with the object's state, 400 for bad
// input, 500 for the rest.
func statusOf(err error) int {
	var ae *apiError
	var fe *FilterError
	var se *dock.SyntaxError
	var pe *dock.PathNotFoundError
	switch {
	case errors.As(err, &ae):
		return ae.status
	case errors.As(err, &pe), errors.Is(err, dock.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, dock.ErrExist), errors.Is(err, dock.ErrInUse),
		errors.Is(err, dock.ErrRunning), errors.Is(err, dock.ErrNotRunning), errors.Is(err, dock.ErrPaused):
		return http.StatusConflict
	case errors.As(err, &fe), errors.As(err, &se), errors.Is(err, dock.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, dock.ErrUnsupported):
		return http.StatusNotImplemented
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		return 499
	}
	return http.StatusInternalServerError
}

// writeError answers err as Docker does: its status, and the JSON body
// {"message": ...} that every client shows as "Error response from
// daemon: ...". A HEAD request gets the status alone.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if r != nil && r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, common.ErrorResponse{Message: err.Error()})
}

// writeJSON answers v as JSON with status, followed by a newline as
// Docker's encoder writes.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxJSONBody bounds every JSON request body. The largest a client sends
// is a create with a seccomp profile, a few hundred KiB; a body past this
// is not a configuration, and decoding it would hold it all in memory.
// Bodies that are streams (archive PUT, build, load, import) do not come
// here: they go to disk as they arrive.
const maxJSONBody = 16 << 20

// readJSON decodes a request body into v; an empty body leaves v as it is
// (Docker's clients send none where every field is optional). A body
// over maxJSONBody is a 413 and v is not to be used.
func readJSON(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	if r.ContentLength > maxJSONBody {
		return errorf(http.StatusRequestEntityTooLarge, "request body too large: %d bytes, the limit is %d", r.ContentLength, maxJSONBody)
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxJSONBody))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			return errorf(http.StatusRequestEntityTooLarge, "request body too large: the limit is %d bytes", maxJSONBody)
		}
		return errorf(http.StatusBadRequest, "invalid JSON: %v", err)
	}
	return nil
}
