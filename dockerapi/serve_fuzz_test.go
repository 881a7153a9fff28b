package dockerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/docktest"
)

// fuzzDenied are the endpoints the handler fuzz answers 403 itself: what
// would start a process, reach out of the machine (a registry, Docker
// Hub's search), change the host's networking, or take the fuzz's image
// away. The rest runs against the engine.
var fuzzDenied = []string{
	"POST /containers/{id}/start", "POST /containers/{id}/restart", "POST /containers/{id}/unpause",
	"POST /exec/{id}/start", "POST /build", "POST /auth",
	"POST /images/create", "POST /images/load", "POST /images/{rest...}", "GET /images/search",
	"DELETE /images/{rest...}", "POST /images/prune",
	"POST /networks/create", "POST /networks/{id}/connect", "POST /networks/{id}/disconnect", "POST /networks/prune",
}

var fuzzMethods = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "CONNECT", "get", ""}

// FuzzHandler: whatever the method, path, query and body, the handler
// does not panic, answers a status in 1xx-5xx, a 5xx only with a JSON
// message, and a path no route has only with a 404 (or a version's 400).
// The engine holds busybox and a created container, box; nothing is
// started (fuzzDenied).
func FuzzHandler(f *testing.F) {
	e := docktest.Engine(f)
	ctx := context.Background()
	_, err := e.Create(ctx, dock.Config{Image: "busybox", Name: "box", Cmd: []string{"true"}})
	require.NoError(f, err)
	quiet := slog.New(slog.NewTextHandler(discard{}, nil))
	h := Handler(e, WithHandlerLogger(quiet))

	routes := http.NewServeMux()
	s := &server{engine: e, log: quiet, mux: http.NewServeMux()}
	for _, r := range s.routes() {
		routes.HandleFunc(r.pattern, r.handle)
	}
	denied := http.NewServeMux()
	for _, p := range fuzzDenied {
		denied.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
	}

	for _, seed := range []struct {
		method      uint8
		path, query string
		body        []byte
	}{
		{0, "/_ping", "", nil},
		{0, "/v1.45/containers/json", "all=1&filters=%7B%22status%22%3A%5B%22created%22%5D%7D", nil},
		{0, "/v1.24/containers/box/json", "size=1", nil},
		{1, "/containers/create", "name=x", []byte(`{"Image":"busybox","HostConfig":{"Memory":-1}}`)},
		{0, "/images/busybox/json", "", nil},
		{0, "/images/library/busybox:latest/history", "", nil},
		{0, "/images/a%2F..%2Fb/json", "", nil},
		{0, "/v1.99/info", "", nil},
		{0, "/v0/info", "", nil},
		{0, "/containers/../../etc/passwd", "", nil},
		{4, "/containers/box/archive", "path=/etc/..%2F..%2F", nil},
		{0, "/containers/box/archive", "path=%00", nil},
		{2, "/containers/box/archive", "path=/tmp", []byte("not a tar")},
		{1, "/volumes/create", "", []byte(`{"Name":"../x"}`)},
		{0, "/containers/box/logs", "stdout=1&tail=-5&since=abc", nil},
		{1, "/containers/box/wait", "condition=next-exit", nil},
		{0, "/events", "since=0&until=1&filters=%7Bbad", nil},
		{3, "/networks/%2e%2e", "", nil},
		{5, "/containers/box/json", "", nil},
		{0, "/nosuch", "", nil},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.body)
	}

	f.Fuzz(func(t *testing.T, m uint8, path, query string, body []byte) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		u, err := url.ParseRequestURI(path + "?" + query)
		if err != nil || method == "" || strings.ContainsAny(method+path+query, " \r\n") {
			return // net/http answers these before any handler
		}
		req := &http.Request{Method: method, URL: u, RequestURI: u.RequestURI(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/json"}}, Host: "docker",
			Body: http.NoBody, ContentLength: int64(len(body))}
		if len(body) > 0 {
			req.Body = readCloser{bytes.NewReader(body)}
		}
		// Streams (events, logs, stats, wait) end with the request.
		rctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req = req.WithContext(rctx)

		stripped, verr := withAPIVersion(req)
		_, route := routes.Handler(stripped)
		w := httptest.NewRecorder()
		if _, deny := denied.Handler(stripped); deny != "" && verr == nil {
			w.WriteHeader(http.StatusForbidden)
		} else {
			h.ServeHTTP(w, req)
		}
		status := w.Code
		if status < 100 || status > 599 {
			t.Fatalf("%s %s: status %d", method, u, status)
		}
		if status >= 500 && method != "HEAD" {
			var msg struct{ Message string }
			if json.Unmarshal(w.Body.Bytes(), &msg) != nil || msg.Message == "" {
				t.Fatalf("%s %s: %d without a JSON message: %q", method, u, status, w.Body.String())
			}
		}
		if route == "" && status != http.StatusNotFound && status != http.StatusBadRequest && status != http.StatusMovedPermanently {
			t.Fatalf("%s %s: no route, yet %d: %q", method, u, status, w.Body.String())
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
