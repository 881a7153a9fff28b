package dockerapi

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// An answer that streams (events, stats, logs, pull, push, load, build,
// export, archive) is written through net/http, which keeps the
// connection: the request's context ends when the client goes, and a
// write to it fails. The handler ends at either. (The hijacked streams,
// attach and exec start, own their connection instead: serve_hijack.go.)

// startStream answers 200 with contentType and sends the headers at once
// (Docker's clients wait for them before they read, and a follower must
// not wait for the first line), and returns the writer of the body.
func startStream(w http.ResponseWriter, contentType string) *flushWriter {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	return &flushWriter{w: w, rc: rc}
}

// flushWriter writes to a response, one write at a time, and flushes each
// write: the client sees each line, frame or chunk as it is written. An
// error means the client is gone.
type flushWriter struct {
	mu sync.Mutex
	w  io.Writer
	rc *http.ResponseController
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

// jsonStream writes a stream of JSON values, one a line, each flushed at
// once: the events, stats, pull, push, load and build answers.
type jsonStream struct {
	enc *json.Encoder
}

// newJSONStream starts the answer (startStream) with contentType (Docker:
// application/json for most streams).
func newJSONStream(w http.ResponseWriter, contentType string) *jsonStream {
	return &jsonStream{enc: json.NewEncoder(startStream(w, contentType))}
}

// Send writes v and flushes it; an error means the client is gone.
func (s *jsonStream) Send(v any) error {
	return s.enc.Encode(v)
}
