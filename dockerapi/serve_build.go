package dockerapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/jsonstream"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/reference"
)

// buildRoutes is POST /build, the classic builder's endpoint (docker
// build without BuildKit, docker-compose 1.x, docker-py).
func (s *server) buildRoutes() []route {
	return []route{{"POST /build", s.build}}
}

// buildResult is the aux value the docker CLI reads the image ID from.
type buildResult struct {
	ID string
}

// build is docker build of the body, a tar of the context. The answer is
// the classic builder's stream: {"stream":"Step 1/3 : FROM busybox\n"},
// " ---> <image>" after a step that left an image (FROM, RUN, COPY, ADD,
// and the stage's end; dock's configuration steps make none of their
// own), " ---> Running in <container>", the RUN step's output and
// " ---> Removed intermediate container <container>" around a RUN that
// ran, then {"aux":{"ID":"sha256:..."}}, "Successfully built <ID>" and
// "Successfully tagged <tag>". An error
// before the first line (bad parameters, a broken context, a missing
// Dockerfile, a syntax error) is an error answer; after it, an
// errorDetail line.
//
// Taken: dockerfile (a path inside the context), t (repeatable),
// buildargs and labels (JSON maps), target, nocache, pull, q, networkmode
// (default and empty: the default bridge, as Docker's; none, host, bridge
// or a network's name),
// platform (the host's only), and X-Registry-Config for the pulls of FROM.
// Accepted without effect, as the classic builder's clients send them:
// rm, forcerm (no container is left either way), cachefrom, ulimits,
// extrahosts, shmsize, memory, memswap, cpushares, cpusetcpus, cpusetmems,
// cpuperiod, cpuquota, cgroupparent, isolation, securityopt, session,
// buildid, outputs. Refused: remote contexts, version=2 (BuildKit),
// squash.
func (s *server) build(w http.ResponseWriter, r *http.Request) {
	opts, tags, err := buildOptions(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	dir, err := extractContext(r.Context(), s.engine.Root(), r.Body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer os.RemoveAll(dir)
	file := contextPath(r.URL.Query().Get("dockerfile"))
	if err := checkDockerfile(dir, file); err != nil {
		writeError(w, r, err)
		return
	}
	opts = append(opts, dock.BuildFile(file))

	p := &lockedStream{p: newProgressStream(w, r)}
	quiet := boolValue(r, "q")
	if !quiet {
		opts = append(opts,
			dock.BuildProgress(func(line string) { p.step(line) }),
			dock.BuildEvents(p.event),
			dock.BuildOutput(p))
	}
	img, err := s.engine.Build(r.Context(), dir, opts...)
	if err != nil {
		p.fail(err)
		return
	}
	short := shortImageID(img.ID)
	if !quiet && p.lastImage() != img.ID {
		p.stream(dock.BuildEvent{Kind: dock.BuildImage, ID: img.ID}.String() + "\n")
	}
	p.aux(buildResult{ID: img.ID})
	if quiet {
		p.stream(img.ID + "\n")
		return
	}
	p.stream("Successfully built " + short + "\n")
	for _, t := range tags {
		p.stream("Successfully tagged " + t + "\n")
	}
}

// buildOptions reads the query of POST /build into Build's options and
// the tags in Docker's short form, refusing what Docker refuses (400)
// and what dock cannot do (501) before the body is read.
func buildOptions(r *http.Request) ([]dock.BuildOption, []string, error) {
	q := r.URL.Query()
	if v := q.Get("version"); v != "" && v != "1" {
		return nil, nil, errorf(http.StatusBadRequest, "builder version %q is not supported: dock has the classic builder only (version=1; BuildKit is not available)", v)
	}
	if q.Get("remote") != "" {
		return nil, nil, errorf(http.StatusNotImplemented, "remote build contexts are not supported: send the context as the body")
	}
	if boolValue(r, "squash") {
		return nil, nil, errorf(http.StatusBadRequest, "squash is only supported with experimental mode")
	}
	if v := q.Get("platform"); v != "" && !hostPlatform(v) {
		return nil, nil, errorf(http.StatusNotImplemented, "platform %q is not supported: dock builds for linux/%s only", v, runtime.GOARCH)
	}
	var opts []dock.BuildOption
	var tags []string
	for _, t := range q["t"] {
		ref, err := reference.ParseNoDefaultTag(t)
		if err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "%v", err)
		}
		if ref.Digest != "" {
			return nil, nil, errorf(http.StatusBadRequest, "build tag cannot contain a digest")
		}
		if ref.Tag == "" {
			ref.Tag = reference.DefaultTag
		}
		tags = append(tags, ref.Familiar())
		opts = append(opts, dock.BuildTag(ref.String()))
	}
	var args map[string]*string
	if err := queryJSON(q.Get("buildargs"), &args, "build args"); err != nil {
		return nil, nil, err
	}
	for k, v := range args {
		if v != nil { // null: the ARG's default, as Docker takes it
			opts = append(opts, dock.BuildArg(k, *v))
		}
	}
	var labels map[string]string
	if err := queryJSON(q.Get("labels"), &labels, "labels"); err != nil {
		return nil, nil, err
	}
	for k, v := range labels {
		opts = append(opts, dock.BuildLabel(k, v))
	}
	var cacheFrom []string
	if err := queryJSON(q.Get("cachefrom"), &cacheFrom, "cache-from"); err != nil {
		return nil, nil, err
	}
	var ulimits []json.RawMessage
	if err := queryJSON(q.Get("ulimits"), &ulimits, "ulimits"); err != nil {
		return nil, nil, err
	}
	if v := q.Get("target"); v != "" {
		opts = append(opts, dock.BuildTarget(v))
	}
	if boolValue(r, "nocache") {
		opts = append(opts, dock.BuildNoCache())
	}
	// The RUN steps' network: the classic builder's default is the
	// default bridge (the library's is none).
	switch v := q.Get("networkmode"); v {
	case "", "default":
		opts = append(opts, dock.BuildNetwork("bridge"))
	default:
		opts = append(opts, dock.BuildNetwork(v))
	}
	policy := dock.PullMissing // the classic builder pulls a missing base
	if boolValue(r, "pull") {
		policy = dock.PullAlways
	}
	opts = append(opts, dock.BuildPull(policy, buildAuth(r)...))
	return opts, tags, nil
}

// queryJSON decodes the JSON query value v (empty and "null": nothing)
// into dst, refusing bad JSON with Docker's words.
func queryJSON(v string, dst any, what string) error {
	if v == "" || v == "null" {
		return nil
	}
	if err := json.Unmarshal([]byte(v), dst); err != nil {
		return errorf(http.StatusBadRequest, "error reading %s: %v", what, err)
	}
	return nil
}

// hostPlatform reports whether platform (os[/arch[/variant]]) is the
// host's.
func hostPlatform(platform string) bool {
	parts := strings.Split(strings.ToLower(platform), "/")
	if parts[0] != "linux" {
		return false
	}
	return len(parts) == 1 || parts[1] == runtime.GOARCH || (parts[1] == "x86_64" && runtime.GOARCH == "amd64") || (parts[1] == "aarch64" && runtime.GOARCH == "arm64")
}

// checkDockerfile answers a Dockerfile that is not a file of the context
// (missing, a directory, a link that leads out) in Docker's words.
func checkDockerfile(dir, file string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	fi, err := root.Stat(file)
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrInvalid
	}
	if err != nil {
		return errorf(http.StatusInternalServerError, "Cannot locate specified Dockerfile: %s", file)
	}
	return nil
}

// lockedStream is a build's progress stream: the steps' lines and the
// RUN steps' output (written from the builder's goroutines) in order.
// It is the io.Writer of BuildOutput.
type lockedStream struct {
	mu       sync.Mutex
	p        *progressStream
	lastStep string // the instruction of the last "Step N/M : ..." line
	lastImg  string // the ID of the last " ---> <image>" line
}

// event sends the line of a BuildEvent.
func (l *lockedStream) event(ev dock.BuildEvent) {
	if ev.Kind == dock.BuildImage {
		l.mu.Lock()
		l.lastImg = ev.ID
		l.mu.Unlock()
	}
	l.stream(ev.String() + "\n")
}

func (l *lockedStream) lastImage() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastImg
}

// step sends a line of BuildProgress, keeping a step's instruction for
// the error of a RUN that fails.
func (l *lockedStream) step(line string) {
	l.mu.Lock()
	if _, in, ok := strings.Cut(line, " : "); ok && strings.HasPrefix(line, "Step ") {
		l.lastStep = in
	}
	l.mu.Unlock()
	l.stream(line + "\n")
}

func (l *lockedStream) Write(b []byte) (int, error) {
	l.stream(string(b))
	return len(b), nil
}

func (l *lockedStream) stream(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.send(progressMessage{Message: jsonstream.Message{Stream: s}})
}

func (l *lockedStream) aux(v any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.aux(v)
}

func (l *lockedStream) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var be *dock.BuildError
	if errors.As(err, &be) && l.p.started() {
		if cmd, ok := runCommand(l.lastStep); ok && be.Instruction == "RUN" && be.ExitCode != 0 && be.Trigger == "" {
			//lint:ignore ST1005 the classic builder's words, which clients show
			err = fmt.Errorf("The command '%s' returned a non-zero code: %d", cmd, be.ExitCode)
		} else {
			err = fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "build: "))
		}
	}
	l.p.fail(err)
}

// runCommand is the command of a RUN step as the classic builder's error
// names it: the exec form's arguments joined, the shell form behind
// "/bin/sh -c" (a SHELL instruction is not followed); flags (--mount,
// --network) are dropped. ok is false for what is no RUN, or a
// here-document.
func runCommand(step string) (string, bool) {
	rest, ok := strings.CutPrefix(step, "RUN ")
	if !ok {
		return "", false
	}
	for strings.HasPrefix(rest, "--") {
		_, rest, _ = strings.Cut(rest, " ")
		rest = strings.TrimLeft(rest, " ")
	}
	if strings.Contains(rest, "<<") || strings.Contains(rest, "\n") {
		return "", false
	}
	var args []string
	if strings.HasPrefix(rest, "[") && json.Unmarshal([]byte(rest), &args) == nil {
		return strings.Join(args, " "), true
	}
	return "/bin/sh -c " + rest, true
}
