package dockerapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/moby/moby/api/types/network"

	"github.com/go-dock/dock"
)

// networkRoutes are docker network's endpoints.
func (s *server) networkRoutes() []route {
	return []route{
		{"GET /networks", s.networkList},
		{"GET /networks/{id}", s.networkInspect},
		{"POST /networks/create", s.networkCreate},
		{"DELETE /networks/{id}", s.networkRemove},
		{"POST /networks/{id}/connect", s.networkConnect},
		{"POST /networks/{id}/disconnect", s.networkDisconnect},
		{"POST /networks/prune", s.networkPrune},
	}
}

// network finds the network a request names (ID, name or ID prefix),
// answering a missing one with Docker's 404 and words.
func (s *server) network(ctx context.Context, ref string) (*dock.Network, error) {
	n, err := s.engine.Network(ctx, ref)
	if errors.Is(err, dock.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "network %s not found", ref)
	}
	return n, err
}

// networkFilterKeys are the filters of GET /networks.
var networkFilterKeys = []string{"dangling", "driver", "id", "label", "name", "scope", "type"}

func (s *server) networkList(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	keep, err := networkFilter(f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	nets, err := s.engine.Networks(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	infos, err := s.engine.Containers(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	used := networkUsers(infos)
	out := []network.Summary{}
	for _, n := range nets {
		if keep(n, used[n.ID]) {
			out = append(out, Network(n))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// networkUsers counts, by network ID, the containers configured on each
// network, running or not: what keeps PruneNetworks from removing it.
func networkUsers(infos []*dock.Info) map[string]int {
	used := map[string]int{}
	for _, info := range infos {
		for _, ep := range info.Networks {
			used[ep.NetworkID]++
		}
	}
	return used
}

// networkFilter is the test of GET /networks' filters, Docker's:
// name and id match a part (or a regular expression), driver and scope
// exactly, label as everywhere, type is custom or builtin, dangling a
// boolean (a dangling network is a user-defined one that no container
// uses).
func networkFilter(f Filters) (func(n *dock.Network, users int) bool, error) {
	if err := f.validate(networkFilterKeys...); err != nil {
		return nil, err
	}
	for _, t := range f.Get("type") {
		if t != "custom" && t != "builtin" {
			return nil, filterValueError("type", t)
		}
	}
	dangling, danglingSet, err := boolFilter(f, "dangling")
	if err != nil {
		return nil, err
	}
	return func(n *dock.Network, users int) bool {
		typ := "custom"
		if n.Predefined() {
			typ = "builtin"
		}
		if danglingSet && dangling != (!n.Predefined() && users == 0) {
			return false
		}
		return f.match("name", n.Name) && f.match("id", n.ID) &&
			f.exactMatch("driver", n.Driver) && f.exactMatch("scope", "local") &&
			f.exactMatch("type", typ) && f.matchLabels(n.Labels)
	}, nil
}

func (s *server) networkInspect(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("id")
	// Every network here is local: another scope finds none, as in
	// Docker. verbose adds only swarm's details there: none here.
	if scope := r.URL.Query().Get("scope"); scope != "" && scope != "local" {
		writeError(w, r, errorf(http.StatusNotFound, "network %s not found", ref))
		return
	}
	n, err := s.network(r.Context(), ref)
	if err != nil {
		writeError(w, r, err)
		return
	}
	infos, err := s.engine.Containers(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, NetworkInspect(n, infos))
}

func (s *server) networkCreate(w http.ResponseWriter, r *http.Request) {
	var req network.CreateRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	opts, err := networkOptions(&req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if isPredefinedName(req.Name) {
		writeError(w, r, errorf(http.StatusForbidden, "operation is not permitted on predefined %s network ", req.Name))
		return
	}
	n, err := s.engine.CreateNetwork(r.Context(), req.Name, opts...)
	if errors.Is(err, dock.ErrExist) {
		err = errorf(http.StatusConflict, "network with name %s already exists", req.Name)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, network.CreateResponse{ID: n.ID})
}

// isPredefinedName reports whether name is bridge, host or none.
func isPredefinedName(name string) bool { return dock.PredefinedNetworkID(name) != "" }

// networkOptions are the library's options for a create request, or
// Docker's refusal of what it asks: another driver than bridge, swarm's
// settings, an IPAM driver, an IPv6-only network.
func networkOptions(req *network.CreateRequest) ([]dock.NetworkOption, error) {
	switch req.Driver {
	case "", "bridge":
	case "host", "null":
		return nil, errorf(http.StatusForbidden, "only one instance of %q network is allowed", req.Driver)
	case "overlay":
		return nil, errorf(http.StatusServiceUnavailable, "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.")
	case "macvlan", "ipvlan":
		return nil, errorf(http.StatusBadRequest, "network driver %s is not supported by dock: only bridge is", req.Driver)
	default:
		return nil, errorf(http.StatusNotFound, "plugin %q not found", req.Driver)
	}
	switch {
	case req.Scope != "" && req.Scope != "local":
		return nil, errorf(http.StatusBadRequest, "scope %q is not supported: dock's networks are local", req.Scope)
	case req.Ingress, req.ConfigOnly, req.ConfigFrom != nil && req.ConfigFrom.Network != "":
		return nil, errorf(http.StatusBadRequest, "ingress and config-only networks are swarm's: not supported")
	case req.EnableIPv4 != nil && !*req.EnableIPv4:
		return nil, errorf(http.StatusBadRequest, "IPv6-only networks (EnableIPv4 false) are not supported")
	}
	var opts []dock.NetworkOption
	if req.Internal {
		opts = append(opts, dock.NetworkInternal())
	}
	if req.EnableIPv6 != nil && *req.EnableIPv6 {
		opts = append(opts, dock.NetworkIPv6())
	}
	if req.IPAM != nil {
		if req.IPAM.Driver != "" && req.IPAM.Driver != "default" {
			return nil, errorf(http.StatusNotFound, "plugin %q not found", req.IPAM.Driver)
		}
		if len(req.IPAM.Options) > 0 {
			return nil, errorf(http.StatusBadRequest, "IPAM driver options are not supported")
		}
		for _, c := range req.IPAM.Config {
			if len(c.AuxAddress) > 0 {
				return nil, errorf(http.StatusBadRequest, "auxiliary addresses are not supported")
			}
			if !c.Subnet.IsValid() {
				if c.Gateway.IsValid() || c.IPRange.IsValid() {
					return nil, errorf(http.StatusBadRequest, "a gateway or an IP range needs a subnet")
				}
				continue
			}
			opts = append(opts, dock.NetworkSubnet(c.Subnet.String()))
			if c.Gateway.IsValid() {
				opts = append(opts, dock.NetworkGateway(c.Gateway.String()))
			}
			if c.IPRange.IsValid() {
				opts = append(opts, dock.NetworkIPRange(c.IPRange.String()))
			}
		}
	}
	for _, k := range sortedKeys(req.Options) {
		opts = append(opts, dock.NetworkDriverOpt(k, req.Options[k]))
	}
	for _, k := range sortedKeys(req.Labels) {
		opts = append(opts, dock.NetworkLabel(k, req.Labels[k]))
	}
	return opts, nil
}

// sortedKeys are m's keys in order, so that options apply alike each time.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *server) networkRemove(w http.ResponseWriter, r *http.Request) {
	n, err := s.network(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if n.Predefined() {
		writeError(w, r, errorf(http.StatusForbidden, "%s is a pre-defined network and cannot be removed", n.Name))
		return
	}
	err = s.engine.RemoveNetwork(r.Context(), n.ID)
	switch {
	case errors.Is(err, dock.ErrInUse):
		// Docker's libnetwork answers a network with endpoints 403.
		err = errorf(http.StatusForbidden, "error while removing network: network %s id %s has active endpoints", n.Name, n.ID)
	case errors.Is(err, dock.ErrNotFound):
		err = errorf(http.StatusNotFound, "network %s not found", r.PathValue("id"))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) networkConnect(w http.ResponseWriter, r *http.Request) {
	var req network.ConnectRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	opts, err := connectOptions(req.EndpointConfig)
	if err != nil {
		writeError(w, r, err)
		return
	}
	n, c, err := s.networkAndContainer(r, req.Container)
	if err != nil {
		writeError(w, r, err)
		return
	}
	err = c.Connect(r.Context(), n.ID, opts...)
	if errors.Is(err, dock.ErrExist) {
		// Docker: a container already on the network is forbidden.
		err = &apiError{status: http.StatusForbidden, msg: err.Error()}
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// connectOptions are the library's options for an endpoint config, or
// the refusal of what dock does not do (links, a MAC address, link-local
// addresses, driver options, a gateway priority).
func connectOptions(ep *network.EndpointSettings) ([]dock.ConnectOption, error) {
	if ep == nil {
		return nil, nil
	}
	switch {
	case len(ep.Links) > 0:
		return nil, errorf(http.StatusBadRequest, "links are not supported: use the network's names (aliases)")
	case len(ep.MacAddress) > 0:
		return nil, errorf(http.StatusBadRequest, "a chosen MAC address is not supported")
	case len(ep.DriverOpts) > 0:
		return nil, errorf(http.StatusBadRequest, "endpoint driver options are not supported")
	case ep.GwPriority != 0:
		return nil, errorf(http.StatusBadRequest, "a gateway priority is not supported")
	case ep.IPAMConfig != nil && len(ep.IPAMConfig.LinkLocalIPs) > 0:
		return nil, errorf(http.StatusBadRequest, "link-local addresses are not supported")
	}
	var opts []dock.ConnectOption
	if len(ep.Aliases) > 0 {
		opts = append(opts, dock.ConnectAliases(ep.Aliases...))
	}
	if ep.IPAMConfig != nil {
		for _, a := range []string{addrString(ep.IPAMConfig.IPv4Address), addrString(ep.IPAMConfig.IPv6Address)} {
			if a != "" {
				opts = append(opts, dock.ConnectIP(a))
			}
		}
	}
	return opts, nil
}

// networkAndContainer finds the network of the path and the container
// of the body, each missing one answered with Docker's 404.
func (s *server) networkAndContainer(r *http.Request, ref string) (*dock.Network, *dock.Container, error) {
	if ref == "" {
		return nil, nil, errorf(http.StatusBadRequest, "no container given")
	}
	n, err := s.network(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	c, err := s.container(ref)
	if err != nil {
		return nil, nil, err
	}
	return n, c, nil
}

func (s *server) networkDisconnect(w http.ResponseWriter, r *http.Request) {
	var req network.DisconnectRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	// Force is for Docker's swarm and stale endpoints: a container here
	// is always disconnected at once.
	n, c, err := s.networkAndContainer(r, req.Container)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := c.Disconnect(r.Context(), n.ID); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *server) networkPrune(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The same filters as docker container prune's: until, label, label!.
	opts, err := ContainerPruneOptions(f, time.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	removed, err := s.engine.PruneNetworks(r.Context(), opts...)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, network.PruneReport{NetworksDeleted: removed})
}
