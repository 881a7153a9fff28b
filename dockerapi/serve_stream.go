package dockerapi

import (
	"encoding/json"
	"net/http"
)

// jsonStream writes a stream of JSON values, one a line, each flushed at
// once: the events, stats, pull, push, load and build answers. A client
// reads each line as it comes; Docker's clients time out when the headers
// wait for the first event, so the stream sends them at its start.
type jsonStream struct {
	w   http.ResponseWriter
	enc *json.Encoder
	rc  *http.ResponseController
}

// newJSONStream answers 200 with contentType (Docker: application/json for
// most streams) and flushes the headers.
func newJSONStream(w http.ResponseWriter, contentType string) *jsonStream {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	s := &jsonStream{w: w, enc: json.NewEncoder(w), rc: http.NewResponseController(w)}
	_ = s.rc.Flush()
	return s
}

// Send writes v and flushes it; an error means the client is gone.
func (s *jsonStream) Send(v any) error {
	if err := s.enc.Encode(v); err != nil {
		return err
	}
	return s.rc.Flush()
}
