package dockerapi

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// The answers that stream, and how each notices a client that goes:
//
//   - Through net/http, which keeps the connection (events, stats, logs,
//     pull, push, load, import, build, export, archive): startStream
//     sends the headers at once and each write is flushed (flushWriter);
//     jsonStream writes JSON lines over it, and progressStream
//     (serve_progress.go) Docker's progress lines over that. A client
//     that goes ends the request's context and fails the next write: the
//     handler ends at either.
//   - Hijacked (attach, exec start: serve_hijack.go): the handler owns
//     the connection, and net/http no longer tells. rawStream.Gone closes
//     when a write fails or a poll sees the hang-up; the output is
//     dropped from then on. An exec's process is killed then, an attach
//     ends (its container goes on).
//   - A websocket (attach/ws: serve_attach_ws.go): the client is read for
//     the whole attach (wsInput), and the attach ends when a read fails
//     (the close message, or the connection's end: a websocket has no
//     half-close), or a write.
//
// A process's output, in these streams, is raw or in multiplexed frames
// (serve_frames.go).

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
