package dockerapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/api/types/image"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/reference"
)

// imageRoutes are the image endpoints, with the build and auth ones.
//
// Image names hold slashes and colons ("localhost:5000/a/b:v1"), so the
// endpoints under /images/{name}/ are one catch-all pattern per method,
// split by their last segment (imagePath); the literal routes
// (/images/json, /images/create, ...) are more specific and win.
func (s *server) imageRoutes() []route {
	rs := []route{
		{"GET /images/json", s.imageList},
		{"POST /images/create", s.imageCreate},
		{"POST /images/load", s.imageLoad},
		{"GET /images/get", s.imageSave},
		{"POST /images/prune", s.imagePrune},
		{"GET /images/search", s.imageSearch},
		{"GET /images/{rest...}", s.imageGet},
		{"POST /images/{rest...}", s.imagePost},
		{"DELETE /images/{rest...}", s.imageDelete},
	}
	rs = append(rs, s.buildRoutes()...)
	return append(rs, s.authRoutes()...)
}

// imagePath splits the rest of an /images/ path into the image's name and
// the endpoint's last segment: "localhost:5000/a:v1/json" is
// ("localhost:5000/a:v1", "json").
func imagePath(r *http.Request) (name, op string) {
	rest := r.PathValue("rest")
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return "", ""
	}
	return rest[:i], rest[i+1:]
}

func (s *server) imageGet(w http.ResponseWriter, r *http.Request) {
	name, op := imagePath(r)
	switch op {
	case "json":
		s.imageInspect(w, r, name)
	case "history":
		s.imageHistory(w, r, name)
	case "get":
		s.saveImages(w, r, []string{name})
	default:
		writeError(w, r, errorf(http.StatusNotFound, "page not found"))
	}
}

func (s *server) imagePost(w http.ResponseWriter, r *http.Request) {
	name, op := imagePath(r)
	switch op {
	case "push":
		s.imagePush(w, r, name)
	case "tag":
		s.imageTag(w, r, name)
	default:
		writeError(w, r, errorf(http.StatusNotFound, "page not found"))
	}
}

// image finds the image a request names, answering a missing one with
// Docker's 404 and words.
func (s *server) image(r *http.Request, ref string) (*dock.Image, error) {
	img, err := s.engine.Image(r.Context(), ref)
	if errors.Is(err, dock.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "No such image: %s", familiarImage(ref))
	}
	return img, err
}

// familiarImage is ref as Docker's "No such image" names it: a name with
// its tag ("nope:latest"), an ID as given.
func familiarImage(ref string) string {
	if r, err := reference.Parse(ref); err == nil {
		return r.Familiar()
	}
	return ref
}

// imageList is GET /images/json: docker images. digests is accepted (the
// digests are always listed); shared-size is not computed (-1); before API
// 1.41, filter= is a reference filter, as Docker took it then.
func (s *server) imageList(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if v := r.URL.Query().Get("filter"); v != "" && !versionAtLeast(r, "1.41") {
		f.Add("reference", v)
	}
	imgs, err := ListImages(r.Context(), s.engine, ImageListOptions{All: boolValue(r, "all"), Filters: f})
	if err != nil {
		writeError(w, r, err)
		return
	}
	counts := map[string]int{}
	if versionAtLeast(r, "1.51") {
		infos, err := s.engine.Containers(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		for _, info := range infos {
			counts[info.ImageID]++
		}
	}
	out := make([]any, 0, len(imgs))
	for _, img := range imgs {
		n := -1
		if versionAtLeast(r, "1.51") {
			n = counts[img.ID]
		}
		sum := ImageSummary(img, n)
		if versionAtLeast(r, "1.44") {
			out = append(out, sum)
		} else {
			out = append(out, LegacyImageSummary(sum))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) imageInspect(w http.ResponseWriter, r *http.Request, name string) {
	img, err := s.image(r, name)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !versionAtLeast(r, "1.44") {
		writeJSON(w, http.StatusOK, LegacyImageInspect(ImageInspect(img)))
		return
	}
	writeJSON(w, http.StatusOK, ImageInspect(img))
}

func (s *server) imageHistory(w http.ResponseWriter, r *http.Request, name string) {
	if _, err := s.image(r, name); err != nil {
		writeError(w, r, err)
		return
	}
	h, err := s.engine.History(r.Context(), name)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ImageHistory(h))
}

// imageTag is POST /images/{name}/tag?repo=&tag=: 201, no body.
func (s *server) imageTag(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	repo, tag := q.Get("repo"), q.Get("tag")
	if repo == "" {
		writeError(w, r, errorf(http.StatusBadRequest, "repository name must have at least one component"))
		return
	}
	if _, err := s.image(r, name); err != nil {
		writeError(w, r, err)
		return
	}
	ref := repo
	if tag != "" {
		ref += ":" + tag
	}
	if err := s.engine.Tag(r.Context(), name, ref); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// imageDelete is DELETE /images/{name}?force=&noprune=: docker rmi. What
// was done comes back as Docker's list of Untagged and Deleted; a refusal
// is 409 with Docker's words. noprune is accepted and has no effect: dock
// removes the untagged parents with the image.
func (s *server) imageDelete(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("rest")
	img, err := s.image(r, name)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var opts []dock.RemoveOption
	if boolValue(r, "force") {
		opts = append(opts, dock.RemoveForce())
	}
	lines, err := s.engine.RemoveImage(r.Context(), name, opts...)
	if errors.Is(err, dock.ErrInUse) {
		err = s.removeConflict(r, name, img, err)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, deleteResponses(lines))
}

// deleteResponses turns RemoveImage's and Prune's lines into Docker's
// answer.
func deleteResponses(lines []string) []image.DeleteResponse {
	out := []image.DeleteResponse{}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "Untagged: "):
			out = append(out, image.DeleteResponse{Untagged: strings.TrimPrefix(l, "Untagged: ")})
		case strings.HasPrefix(l, "Deleted: "):
			out = append(out, image.DeleteResponse{Deleted: strings.TrimPrefix(l, "Deleted: ")})
		}
	}
	return out
}

// removeConflict is RemoveImage's refusal of ref in Docker's words, which
// name the container that uses the image: the reason found as the store
// tests them (by name: a container; by ID: child images, several tags,
// then a container).
func (s *server) removeConflict(r *http.Request, ref string, img *dock.Image, err error) error {
	short := shortImageID(img.ID)
	byID := strings.HasPrefix(strings.TrimPrefix(img.ID, "sha256:"), strings.TrimPrefix(ref, "sha256:"))
	user, running := "", false
	if infos, lerr := s.engine.Containers(r.Context()); lerr == nil {
		for _, info := range infos {
			if info.ImageID == img.ID {
				user, running = shortImageID(info.ID), info.State.Status == dock.StatusRunning
				break
			}
		}
	}
	if !byID {
		if user != "" {
			return errorf(http.StatusConflict, "conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s", ref, user, short)
		}
		return errorf(http.StatusConflict, "conflict: %v", err)
	}
	if all, lerr := s.engine.Images(r.Context(), dock.ImagesAll()); lerr == nil {
		for _, other := range all {
			if other.Parent == img.ID {
				return errorf(http.StatusConflict, "conflict: unable to delete %s (cannot be forced) - image has dependent child images", short)
			}
		}
	}
	switch {
	case len(img.RepoTags) > 1:
		return errorf(http.StatusConflict, "conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", short)
	case user != "" && running:
		return errorf(http.StatusConflict, "conflict: unable to delete %s (must be forced) - image is being used by running container %s", short, user)
	case user != "":
		return errorf(http.StatusConflict, "conflict: unable to delete %s (must be forced) - image is being used by stopped container %s", short, user)
	}
	return errorf(http.StatusConflict, "conflict: %v", err)
}

// shortImageID is the 12 hex digits Docker's messages name an image or a
// container by.
func shortImageID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// imagePrune is POST /images/prune: docker image prune, with the filters
// dangling (false: every unused image, -a), until, label and label!.
func (s *server) imagePrune(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	opts, err := ImagePruneOptions(f, time.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	rep, err := s.engine.Prune(r.Context(), opts...)
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := image.PruneReport{ImagesDeleted: deleteResponses(rep.Deleted), SpaceReclaimed: uint64(max(rep.SpaceReclaimed, 0))}
	writeJSON(w, http.StatusOK, out)
}

// imageSearch is GET /images/search: dock searches no registry.
func (s *server) imageSearch(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, errorf(http.StatusNotImplemented, "image search is not supported"))
}
