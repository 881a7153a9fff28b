package dockerapi

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/volume"

	"github.com/go-dock/dock"
)

// volumeRoutes are docker volume's endpoints.
func (s *server) volumeRoutes() []route {
	return []route{
		{"GET /volumes", s.volumeList},
		{"POST /volumes/create", s.volumeCreate},
		{"GET /volumes/{name}", s.volumeInspect},
		{"DELETE /volumes/{name}", s.volumeRemove},
		{"POST /volumes/prune", s.volumePrune},
	}
}

// volumeUsers maps each volume that containers mount to their IDs.
func (s *server) volumeUsers(r *http.Request) (map[string][]string, error) {
	infos, err := s.engine.Containers(r.Context())
	if err != nil {
		return nil, err
	}
	users := map[string][]string{}
	for _, info := range infos {
		for _, m := range info.Mounts {
			if m.Type == "volume" && !slices.Contains(users[m.Name], info.ID) {
				users[m.Name] = append(users[m.Name], info.ID)
			}
		}
	}
	return users, nil
}

func (s *server) volumeList(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	keep, err := volumeFilter(f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	vols, err := s.engine.Volumes(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	users, err := s.volumeUsers(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := volume.ListResponse{Volumes: []volume.Volume{}, Warnings: []string{}}
	for _, v := range vols {
		if keep(v, len(users[v.Name])) {
			out.Volumes = append(out.Volumes, *Volume(v))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// volumeFilter is the test of GET /volumes' filters, Docker's: name
// matches a part (or a regular expression), driver exactly (local),
// label as everywhere, dangling a boolean (a dangling volume is one no
// container mounts).
func volumeFilter(f Filters) (func(v *dock.Volume, users int) bool, error) {
	if err := f.validate("dangling", "driver", "label", "name"); err != nil {
		return nil, err
	}
	dangling, danglingSet, err := boolFilter(f, "dangling")
	if err != nil {
		return nil, err
	}
	return func(v *dock.Volume, users int) bool {
		if danglingSet && dangling != (users == 0) {
			return false
		}
		return f.match("name", v.Name) && f.exactMatch("driver", "local") &&
			f.matchLabels(Volume(v).Labels)
	}, nil
}

// boolFilter reads a filter that takes one boolean, as Docker reads it
// ("true" or "1", "false" or "0"); set says whether it was given.
func boolFilter(f Filters, key string) (value, set bool, err error) {
	if !f.Contains(key) {
		return false, false, nil
	}
	values := f.Get(key)
	if len(values) != 1 {
		return false, false, &FilterError{Key: key, Msg: "invalid filter '" + key + "': give one value"}
	}
	switch strings.ToLower(values[0]) {
	case "true", "1":
		return true, true, nil
	case "false", "0":
		return false, true, nil
	}
	return false, false, filterValueError(key, values[0])
}

func (s *server) volumeCreate(w http.ResponseWriter, r *http.Request) {
	var req volume.CreateRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	switch {
	case req.Driver != "" && req.Driver != "local":
		writeError(w, r, errorf(http.StatusNotFound, "error looking up volume plugin %s: plugin %q not found", req.Driver, req.Driver))
		return
	case req.ClusterVolumeSpec != nil:
		writeError(w, r, errorf(http.StatusServiceUnavailable, "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."))
		return
	case len(req.DriverOpts) > 0:
		// The local driver's type, device and o mount a filesystem on the
		// volume at each use: dock's volumes are plain directories.
		for _, k := range sortedKeys(req.DriverOpts) {
			switch k {
			case "type", "device", "o", "size":
			default:
				writeError(w, r, errorf(http.StatusBadRequest, "invalid option key: %q", k))
				return
			}
		}
		writeError(w, r, errorf(http.StatusBadRequest, "volume driver options (%s) are not supported: dock's volumes are directories", strings.Join(sortedKeys(req.DriverOpts), ", ")))
		return
	case req.Name != "" && !validVolumeName(req.Name):
		writeError(w, r, errorf(http.StatusBadRequest, "create %s: %q includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", req.Name, req.Name))
		return
	}
	var opts []dock.VolumeOption
	for _, k := range sortedKeys(req.Labels) {
		opts = append(opts, dock.VolumeLabel(k, req.Labels[k]))
	}
	v, err := s.engine.CreateVolume(r.Context(), req.Name, opts...)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, Volume(v))
}

// validVolumeName is Docker's rule for a local volume's name:
// [a-zA-Z0-9][a-zA-Z0-9_.-]*, and at most 255 bytes as a file name.
func validVolumeName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// volume finds the volume a request names, answering a missing one (or
// a name no volume can have) with Docker's 404 and words.
func (s *server) volume(r *http.Request, name string) (*dock.Volume, error) {
	if !validVolumeName(name) {
		return nil, errorf(http.StatusNotFound, "get %s: no such volume", name)
	}
	v, err := s.engine.Volume(r.Context(), name)
	if errors.Is(err, dock.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "get %s: no such volume", name)
	}
	return v, err
}

func (s *server) volumeInspect(w http.ResponseWriter, r *http.Request) {
	v, err := s.volume(r, r.PathValue("name"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Volume(v))
}

// volumeRemove removes a volume. force makes a missing volume no error
// (docker volume rm -f); a volume in use stays, force or not, as with
// Docker's local driver.
func (s *server) volumeRemove(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	force := boolValue(r, "force")
	if _, err := s.volume(r, name); err != nil {
		if force && statusOf(err) == http.StatusNotFound {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeError(w, r, err)
		return
	}
	users, err := s.volumeUsers(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if ids := users[name]; len(ids) > 0 {
		writeError(w, r, errorf(http.StatusConflict, "remove %s: volume is in use - [%s]", name, strings.Join(ids, ", ")))
		return
	}
	// Without RemoveForce the library refuses a volume that a container
	// created meanwhile mounts: 409 still.
	err = s.engine.RemoveVolume(r.Context(), name)
	if errors.Is(err, dock.ErrNotFound) && force {
		err = nil
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) volumePrune(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	opts, err := VolumePruneOptions(f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !versionAtLeast(r, "1.42") {
		// Before API 1.42 a prune took every unused volume, named or
		// not: Docker keeps that for old clients.
		opts = append(opts, dock.PruneAll())
	}
	rep, err := s.engine.PruneVolumes(r.Context(), opts...)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, volume.PruneReport{VolumesDeleted: rep.Deleted, SpaceReclaimed: uint64(max(rep.SpaceReclaimed, 0))})
}
