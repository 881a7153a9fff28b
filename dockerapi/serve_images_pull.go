package dockerapi

import (
	"net/http"
	"runtime"
	"strings"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/reference"
)

// imageCreate is POST /images/create: a pull (fromImage=) or an import
// (fromSrc=).
func (s *server) imageCreate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("fromImage") != "":
		s.imagePull(w, r)
	case q.Has("fromSrc"):
		s.imageImport(w, r)
	default:
		writeError(w, r, errorf(http.StatusBadRequest, "fromImage or fromSrc is required"))
	}
}

// pullRef is the reference of a pull: fromImage, with tag= as its tag or,
// when it is a digest, its digest. Without either, fromImage's own tag or
// digest, else "latest": dock pulls no whole repository (Docker's
// docker pull -a, which sends neither).
func pullRef(fromImage, tag string) (reference.Ref, error) {
	ref, err := reference.ParseNoDefaultTag(fromImage)
	if err != nil {
		return ref, errorf(http.StatusBadRequest, "%v", err)
	}
	switch {
	case strings.Contains(tag, ":"):
		d, err := reference.Digest(tag)
		if err != nil {
			return ref, errorf(http.StatusBadRequest, "%v", err)
		}
		ref.Tag, ref.Digest = "", d
	case tag != "":
		ref.Tag, ref.Digest = tag, ""
		if _, err := reference.Parse(ref.String()); err != nil {
			return ref, errorf(http.StatusBadRequest, "%v", err)
		}
	case ref.Digest == "" && ref.Tag == "":
		ref.Tag = reference.DefaultTag
	}
	return ref, nil
}

// imagePull is docker pull: Docker's progress stream, from "Pulling from"
// through each layer's lines to the digest and the status. An error
// before the first line (a bad reference, an image the registry does not
// have, refused credentials) is an error answer with its status (401
// makes the clients ask for a login); after it, an errorDetail line.
// X-Registry-Auth gives credentials; platform= an os/arch[/variant].
func (s *server) imagePull(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ref, err := pullRef(q.Get("fromImage"), q.Get("tag"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	name := ref.Familiar()
	var before string
	if img, err := s.engine.Image(r.Context(), ref.String()); err == nil {
		before = img.ID
	}
	p := newProgressStream(w, r)
	pp := &pullProgress{p: p, ref: ref, seen: map[string]dock.Phase{}}
	var opts []dock.PullOption
	for _, o := range transferAuth(r) {
		opts = append(opts, o)
	}
	if v := q.Get("platform"); v != "" {
		if !strings.Contains(v, "/") {
			v += "/" + runtime.GOARCH // "linux": Docker takes the host's architecture
		}
		opts = append(opts, dock.WithPlatform(v))
	}
	opts = append(opts, dock.WithProgress(pp.report))
	img, err := s.engine.Pull(r.Context(), ref.String(), opts...)
	if err != nil {
		p.fail(registryStatus(err))
		return
	}
	pp.start()
	p.status("", "Digest: %s", img.Digest)
	if before == img.ID {
		p.status("", "Status: Image is up to date for %s", name)
	} else {
		p.status("", "Status: Downloaded newer image for %s", name)
	}
}

// pullProgress turns Pull's reports into Docker's lines.
type pullProgress struct {
	p     *progressStream
	ref   reference.Ref
	begun bool
	seen  map[string]dock.Phase // the last phase of each layer
}

// start sends "latest: Pulling from library/busybox" (Docker's id is the
// tag, or the digest of a pull by digest).
func (pp *pullProgress) start() {
	if pp.begun {
		return
	}
	pp.begun = true
	id := pp.ref.Tag
	if id == "" {
		id = pp.ref.Digest.String()
	}
	pp.p.status(id, "Pulling from %s", pp.ref.Path)
}

func (pp *pullProgress) report(pr dock.Progress) {
	pp.start()
	id, last := pr.ID, pp.seen[pr.ID]
	pp.seen[pr.ID] = pr.Phase
	line := func(status string) {
		pp.p.send(progressMessage{Message: jsonstream.Message{ID: id, Status: status, Progress: &jsonstream.Progress{}}})
	}
	switch pr.Phase {
	case dock.PhaseExists:
		line("Already exists")
	case dock.PhaseWaiting:
		line("Pulling fs layer")
	case dock.PhaseDownloading, dock.PhaseExtracting:
		if last == "" {
			line("Pulling fs layer")
		}
		status := "Downloading"
		if pr.Phase == dock.PhaseExtracting {
			status = "Extracting"
		}
		pp.p.send(progressMessage{
			Message: jsonstream.Message{ID: id, Status: status,
				Progress: &jsonstream.Progress{Current: pr.Current, Total: pr.Total}},
			ProgressMessage: progressBar(pr.Current, pr.Total),
		})
	case dock.PhaseVerifying:
		if last != dock.PhaseVerifying { // reported at each read of the end
			line("Verifying Checksum")
			line("Download complete")
		}
	case dock.PhaseDone:
		if last == dock.PhaseDownloading {
			line("Download complete")
		}
		line("Pull complete")
	}
}

// imageImport is docker import: fromSrc=- with the archive as the body
// (plain, gzip or zstd), tagged repo[:tag], with changes= (Dockerfile
// instructions, repeatable) and message=. The answer is Docker's: a
// status line with the new image's ID. An import from a URL is not
// supported.
func (s *server) imageImport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if src := q.Get("fromSrc"); src != "-" {
		writeError(w, r, errorf(http.StatusNotImplemented, "import from %q is not supported: send the archive as the body with fromSrc=-", src))
		return
	}
	ref := q.Get("repo")
	if ref != "" {
		if tag := q.Get("tag"); tag != "" {
			ref += ":" + tag
		}
	}
	var opts []dock.ImportOption
	for _, c := range q["changes"] {
		if strings.TrimSpace(c) != "" {
			opts = append(opts, dock.ImportChange(c))
		}
	}
	if m := q.Get("message"); m != "" {
		opts = append(opts, dock.ImportMessage(m))
	}
	img, err := s.engine.Import(r.Context(), r.Body, ref, opts...)
	if err != nil {
		writeError(w, r, err)
		return
	}
	p := newProgressStream(w, r)
	p.status("", "%s", img.ID)
}
