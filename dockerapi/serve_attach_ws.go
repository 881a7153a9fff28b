package dockerapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/net/websocket"
)

// attachWebsocket is GET /containers/{id}/attach/ws: an attach over a
// websocket, as Docker serves it: golang.org/x/net/websocket's server
// (Docker's own), binary messages from API 1.28 (text before), stdout and
// stderr as they come, never multiplexed, each write one message; the
// client's messages are stdin. Before 1.42 Docker attaches all three
// streams whatever the query says. Like Docker it checks no Origin: the
// socket's users are trusted with everything already.
func (s *server) attachWebsocket(w http.ResponseWriter, r *http.Request) {
	q, err := readAttachQuery(r)
	if err == nil && !versionAtLeast(r, "1.42") {
		q.stdin, q.stdout, q.stderr = true, true, true
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, _, err := s.attachTarget(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	binary := versionAtLeast(r, "1.28")
	websocket.Server{Handler: func(ws *websocket.Conn) {
		if binary {
			ws.PayloadType = websocket.BinaryFrame
		}
		// The container outlives the request; the attach ends with its
		// output, the detach keys, or the client's going.
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		defer cancel()
		in := readWebsocket(ws, cancel)
		defer in.stop()
		err := attachStreams(ctx, c, q, in, ws, ws, nil)
		if !quietEnd(err) {
			_, _ = fmt.Fprintf(ws, "Error attaching: %s\n", err)
		}
	}}.ServeHTTP(w, r)
}

// wsInput reads a websocket attach's client for the whole attach: its
// messages are stdin (Read), and a failed read (its close message, or the
// connection's end: a websocket has no half-close) means the client is
// gone, even while the container is silent and no write fails to tell.
// Up to wsInputQueue chunks wait for a container that does not read its
// input yet (or not at all, or not attached); only a client that leaves
// behind more than that goes unnoticed until the container reads it.
type wsInput struct {
	ws     *websocket.Conn
	chunks chan []byte // closed at the client's end
	rest   []byte      // of the chunk Read is in
	// done is closed by stop; ended once the reading goroutine has.
	done, ended chan struct{}
}

// wsInputQueue bounds the input waiting for the container, in chunks of
// at most wsInputChunk bytes.
const (
	wsInputQueue = 32
	wsInputChunk = 32 << 10
)

// readWebsocket starts reading ws; gone is called once the client has
// gone. stop ends the reading.
func readWebsocket(ws *websocket.Conn, gone func()) *wsInput {
	in := &wsInput{ws: ws, chunks: make(chan []byte, wsInputQueue), done: make(chan struct{}), ended: make(chan struct{})}
	go in.read(gone)
	return in
}

func (in *wsInput) read(gone func()) {
	defer close(in.ended)
	for {
		buf := make([]byte, wsInputChunk)
		n, err := in.ws.Read(buf)
		if n > 0 {
			select {
			case in.chunks <- buf[:n]:
			case <-in.done:
				return
			}
		}
		if err != nil {
			close(in.chunks)
			gone()
			return
		}
	}
}

// Read returns the client's input; io.EOF once the client has gone and
// its input is read, io.ErrClosedPipe once stopped.
func (in *wsInput) Read(p []byte) (int, error) {
	if len(in.rest) == 0 {
		select {
		case chunk, ok := <-in.chunks:
			if !ok {
				return 0, io.EOF
			}
			in.rest = chunk
		case <-in.done:
			return 0, io.ErrClosedPipe
		}
	}
	n := copy(p, in.rest)
	in.rest = in.rest[n:]
	return n, nil
}

// stop ends the reading, and a Read that waits, and returns once the
// reading goroutine has ended. The connection stays open (the websocket
// server closes it when the handler returns).
func (in *wsInput) stop() {
	close(in.done)
	_ = in.ws.SetReadDeadline(time.Now())
	<-in.ended
}
