package dockerapi

import (
	"context"
	"fmt"
	"net/http"

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
		err := attachStreams(context.WithoutCancel(r.Context()), c, q, ws, ws, ws, nil)
		if !quietEnd(err) {
			_, _ = fmt.Fprintf(ws, "Error attaching: %s\n", err)
		}
	}}.ServeHTTP(w, r)
}
