package dockerapi

import (
	"errors"
	"net/http"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/reference"
)

// pushResult is the aux value that ends a push: the tag, the manifest
// digest and the manifest's size in bytes.
type pushResult struct {
	Tag    string
	Digest string
	Size   int64
}

// imagePush is POST /images/{name}/push?tag=: docker push of name:tag
// (name alone: its "latest"; dock pushes no whole repository). The
// answer is Docker's stream: "The push refers to repository [...]", a
// line per layer ("Preparing", "Waiting", "Pushing" with its progress,
// "Pushed" or "Layer already exists"), then "TAG: digest: ... size: N"
// and the aux {"Tag","Digest","Size"}. X-Registry-Auth gives
// credentials; an image missing here is 404 before the stream starts.
func (s *server) imagePush(w http.ResponseWriter, r *http.Request, name string) {
	ref, err := reference.ParseNoDefaultTag(name)
	if err != nil {
		writeError(w, r, errorf(http.StatusBadRequest, "%v", err))
		return
	}
	if ref.Digest != "" {
		writeError(w, r, errorf(http.StatusBadRequest, "cannot push a digest reference"))
		return
	}
	if tag := r.URL.Query().Get("tag"); tag != "" {
		ref.Tag = tag
	} else if ref.Tag == "" {
		ref.Tag = reference.DefaultTag
	}
	if _, err := reference.Parse(ref.String()); err != nil {
		writeError(w, r, errorf(http.StatusBadRequest, "%v", err))
		return
	}
	img, err := s.engine.Image(r.Context(), ref.String())
	if errors.Is(err, dock.ErrNotFound) {
		err = errorf(http.StatusNotFound, "An image does not exist locally with the tag: %s", ref.FamiliarName())
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	p := newProgressStream(w, r)
	p.status("", "The push refers to repository [%s]", ref.Name())
	seen := map[string]dock.Phase{}
	progress := func(pr dock.Progress) {
		if pr.Digest == img.ID {
			return // the config blob: Docker shows the layers only
		}
		last := seen[pr.ID]
		seen[pr.ID] = pr.Phase
		line := func(status string) {
			p.send(progressMessage{Message: jsonstream.Message{ID: pr.ID, Status: status, Progress: &jsonstream.Progress{}}})
		}
		switch pr.Phase {
		case dock.PhaseWaiting:
			line("Preparing")
			line("Waiting")
		case dock.PhaseUploading:
			p.send(progressMessage{
				Message: jsonstream.Message{ID: pr.ID, Status: "Pushing",
					Progress: &jsonstream.Progress{Current: pr.Current, Total: pr.Total}},
				ProgressMessage: progressBar(pr.Current, pr.Total),
			})
		case dock.PhaseDone:
			line("Pushed")
		case dock.PhaseExists:
			if last != dock.PhaseExists {
				line("Layer already exists")
			}
		}
	}
	opts := []dock.PushOption{dock.WithProgress(progress)}
	for _, o := range transferAuth(r) {
		opts = append(opts, o)
	}
	pushed, err := s.engine.Push(r.Context(), ref.String(), opts...)
	if err != nil {
		p.fail(registryStatus(err))
		return
	}
	p.status("", "%s: digest: %s size: %d", ref.Tag, pushed.Digest, pushed.ManifestSize)
	p.aux(pushResult{Tag: ref.Tag, Digest: pushed.Digest, Size: pushed.ManifestSize})
}
