package dockerapi

import (
	"fmt"
	"net/http"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/go-dock/dock"
)

// imageSave is GET /images/get?names=...: docker save of several images.
func (s *server) imageSave(w http.ResponseWriter, r *http.Request) {
	names := r.URL.Query()["names"]
	if len(names) == 0 {
		writeError(w, r, errorf(http.StatusBadRequest, "no images named: names= is required"))
		return
	}
	s.saveImages(w, r, names)
}

// saveImages answers the archive of docker save (Save's DockerArchive)
// as application/x-tar: a bare repository name saves all its tags. Save
// resolves every name before it writes, so a missing one is a 404; an
// error once the archive has started aborts the connection, so that no
// client takes a cut archive for a whole one.
func (s *server) saveImages(w http.ResponseWriter, r *http.Request, names []string) {
	tw := &lazyWriter{w: w, contentType: "application/x-tar"}
	if err := s.engine.Save(r.Context(), tw, names); err != nil {
		if !tw.started {
			writeError(w, r, err)
			return
		}
		s.log.Warn("api: save failed after the archive started", "names", names, "err", err)
		panic(http.ErrAbortHandler)
	}
	if !tw.started {
		tw.start()
	}
}

// lazyWriter answers 200 with its content type at the first write.
type lazyWriter struct {
	w           http.ResponseWriter
	contentType string
	started     bool
}

func (l *lazyWriter) start() {
	l.started = true
	l.w.Header().Set("Content-Type", l.contentType)
	l.w.WriteHeader(http.StatusOK)
}

func (l *lazyWriter) Write(b []byte) (int, error) {
	if !l.started {
		l.start()
	}
	return l.w.Write(b)
}

// imageLoad is POST /images/load: docker load of the body (a docker save
// or OCI archive, plain or compressed). Nothing is stored unless the
// whole archive is good, so a bad one is an error answer (400) before any
// line; then a line per image, as Docker writes them: {"stream":"Loaded
// image: busybox:latest\n"}, or "Loaded image ID: sha256:..." for an
// untagged one. quiet= is accepted: dock writes no layer progress either
// way.
func (s *server) imageLoad(w http.ResponseWriter, r *http.Request) {
	imgs, err := s.engine.Load(r.Context(), r.Body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	p := newProgressStream(w, r)
	for _, img := range loadedLines(imgs) {
		p.send(progressMessage{Message: jsonstream.Message{Stream: img}})
	}
	p.begin()
}

// loadedLines are docker load's lines for the images loaded.
func loadedLines(imgs []*dock.Image) []string {
	var out []string
	for _, img := range imgs {
		if len(img.RepoTags) == 0 {
			out = append(out, fmt.Sprintf("Loaded image ID: %s\n", img.ID))
			continue
		}
		for _, t := range img.RepoTags {
			out = append(out, fmt.Sprintf("Loaded image: %s\n", t))
		}
	}
	return out
}
