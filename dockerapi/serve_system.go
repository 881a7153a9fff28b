package dockerapi

import (
	"net/http"
)

// systemRoutes are the daemon's own endpoints: ping, version, info.
func (s *server) systemRoutes() []route {
	return []route{
		{"GET /_ping", s.ping},
		{"HEAD /_ping", s.ping},
		{"GET /version", s.version},
		{"GET /info", s.info},
	}
}

// ping answers the clients' first request, from which they negotiate the
// version (API-Version) and learn the builder and swarm state.
func (s *server) ping(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("API-Version", APIVersion)
	h.Set("OSType", "linux")
	h.Set("Docker-Experimental", "false")
	// The classic builder: dock serves /build, not BuildKit's /session.
	h.Set("Builder-Version", "1")
	h.Set("Swarm", "inactive")
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	if r.Method == http.MethodHead {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", "0")
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("OK"))
}

func (s *server) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Version())
}

func (s *server) info(w http.ResponseWriter, r *http.Request) {
	info, err := SystemInfo(r.Context(), s.engine)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}
