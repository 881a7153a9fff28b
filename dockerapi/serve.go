package dockerapi

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-dock/dock"
)

// HandlerOption configures Handler.
type HandlerOption func(*server)

// WithHandlerLogger sends the server's request log and the errors it
// answers with 500 to l (default: slog.Default()).
func WithHandlerLogger(l *slog.Logger) HandlerOption {
	return func(s *server) { s.log = l }
}

// Handler returns an http.Handler that serves Docker's Engine API over e:
// the docker CLI, docker-compose, docker-py, the Go client and
// testcontainers drive dock through it unchanged. Every request may carry
// a /v1.N/ prefix from MinAPIVersion to APIVersion, or none (the newest).
//
// The handler serves whoever can reach it with e's full power, as Docker's
// socket does: a program that exposes it hands out root.
func Handler(e *dock.Engine, opts ...HandlerOption) http.Handler {
	s := &server{engine: e, log: slog.Default(), mux: http.NewServeMux()}
	for _, o := range opts {
		o(s)
	}
	for _, r := range s.routes() {
		s.mux.HandleFunc(r.pattern, r.handle)
	}
	return http.HandlerFunc(s.serveHTTP)
}

// server is the Engine API's state over one engine: the routes, and what
// lives between requests (exec instances, attaches waiting for a start).
type server struct {
	engine *dock.Engine
	log    *slog.Logger
	mux    *http.ServeMux
	execs  execs
	// consoles are the ConsoleSize of the containers created here, by
	// ID, for their start (dock.WindowSize values).
	consoles sync.Map
}

// route is one endpoint: a net/http pattern ("METHOD /path/{name}") and
// its handler. Each serve_*.go file lists its own.
type route struct {
	pattern string
	handle  http.HandlerFunc
}

// routes is every endpoint, by area.
func (s *server) routes() []route {
	var rs []route
	for _, area := range [][]route{
		s.systemRoutes(),
		s.unsupportedRoutes(),
		s.imageRoutes(),
		s.networkRoutes(),
		s.volumeRoutes(),
		s.eventRoutes(),
		s.execRoutes(),
		s.attachRoutes(),
		s.dfRoutes(),
		s.containerRoutes(),
	} {
		rs = append(rs, area...)
	}
	return rs
}

// serveHTTP takes the version off the path, then routes.
func (s *server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	r, err := withAPIVersion(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.log.Debug("api request", "method", r.Method, "path", r.URL.Path, "version", apiVersion(r))
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		// Its end too: where a client's time goes, request by request
		// (a stream's or a hijack's lasts until it ends).
		defer func(t time.Time) {
			s.log.Debug("api request done", "method", r.Method, "path", r.URL.Path, "took", time.Since(t))
		}(time.Now())
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// net/http's 404 and 405 are plain text; Docker's clients read
		// {"message": ...}.
		writeError(w, r, errorf(http.StatusNotFound, "page not found"))
		return
	}
	s.mux.ServeHTTP(w, r)
}
