package dockerapi

import (
	"net/http"
	"strings"
)

// notSwarmManager is Docker's answer to the swarm endpoints on a node that
// is not in a swarm; the clients show it as is.
const notSwarmManager = `This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.`

// unsupportedRoutes are the areas dock has no part of: plugins (none are
// installed, so the list is empty and each one missing) and swarm, which
// answers as a Docker daemon outside a swarm does.
func (s *server) unsupportedRoutes() []route {
	var rs []route
	for _, p := range []string{"/swarm", "/nodes", "/services", "/tasks", "/secrets", "/configs"} {
		rs = append(rs, route{p, notInSwarm}, route{p + "/", notInSwarm})
	}
	return append(rs,
		route{"GET /plugins", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []struct{}{})
		}},
		route{"/plugins/", func(w http.ResponseWriter, r *http.Request) {
			name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/plugins/"), "/json")
			writeError(w, r, errorf(http.StatusNotFound, "plugin %q not found", name))
		}},
	)
}

func notInSwarm(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, errorf(http.StatusServiceUnavailable, "%s", notSwarmManager))
}
