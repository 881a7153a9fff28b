package dockerapi

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/go-dock/dock"
)

// execRoutes are docker exec's endpoints.
func (s *server) execRoutes() []route {
	return []route{
		{"POST /containers/{id}/exec", s.execCreate},
		{"POST /exec/{id}/start", s.execStart},
		{"POST /exec/{id}/resize", s.execResize},
		{"GET /exec/{id}/json", s.execInspect},
	}
}

// execForget is how long an exec instance that ended stays to be
// inspected (Docker keeps them while the container runs; a health
// check's exec every few seconds would pile up here).
const execForget = 5 * time.Minute

// execs are the exec instances of a server, by ID, from their create to
// a while after their end. The zero value is ready; safe for concurrent
// use.
type execs struct {
	mu sync.Mutex
	m  map[string]*execInstance
}

// add keeps x, and forgets the instances that ended long enough ago.
func (es *execs) add(x *execInstance, now time.Time) {
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.m == nil {
		es.m = map[string]*execInstance{}
	}
	for id, old := range es.m {
		if ended := old.endedAt(); !ended.IsZero() && now.Sub(ended) > execForget {
			delete(es.m, id)
		}
	}
	es.m[x.id] = x
}

// get finds an exec instance, answering a missing one with Docker's 404.
func (es *execs) get(id string) (*execInstance, error) {
	es.mu.Lock()
	defer es.mu.Unlock()
	if x, ok := es.m[id]; ok {
		return x, nil
	}
	return nil, errorf(http.StatusNotFound, "No such exec instance: %s", id)
}

// execInstance is one docker exec: its configuration, its process, its
// state.
type execInstance struct {
	id          string
	containerID string
	cfg         container.ExecCreateRequest
	detachKeys  []byte
	proc        *dock.Process

	// mu guards what follows.
	mu       sync.Mutex
	started  bool
	running  bool
	pid      int
	exitCode *int
	ended    time.Time
	// began is closed once the start is over, whether the process
	// started or not; done when the process has ended (or failed to
	// start).
	began, done chan struct{}
}

func (x *execInstance) endedAt() time.Time {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.ended
}

func (s *server) execCreate(w http.ResponseWriter, r *http.Request) {
	var req container.ExecCreateRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.container(r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := checkExecRunnable(r.Context(), c, r.PathValue("id")); err != nil {
		writeError(w, r, err)
		return
	}
	keys, err := checkExecRequest(&req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The create step records exec_create now, as Docker's.
	p, err := c.CreateExec(r.Context(), dock.ExecConfig{Cmd: req.Cmd, Env: req.Env, User: req.User, WorkingDir: req.WorkingDir,
		Tty: req.Tty, Privileged: req.Privileged})
	if err != nil {
		writeError(w, r, err)
		return
	}
	x := &execInstance{id: p.ID(), containerID: c.ID(), cfg: req, detachKeys: keys, proc: p, began: make(chan struct{}), done: make(chan struct{})}
	s.execs.add(x, time.Now())
	writeJSON(w, http.StatusCreated, container.ExecCreateResponse{ID: x.id})
}

// checkExecRunnable refuses an exec in a container that does not run,
// with Docker's words; ref names a paused container (Docker: the name
// the create was given, the ID at the start).
func checkExecRunnable(ctx context.Context, c *dock.Container, ref string) error {
	st, err := c.State(ctx)
	if err != nil {
		return err
	}
	switch st.Status {
	case dock.StatusRunning:
		return nil
	case dock.StatusPaused:
		return errorf(http.StatusConflict, "Container %s is paused, unpause the container before exec", ref)
	case dock.StatusRestarting:
		return errorf(http.StatusConflict, "Container %s is restarting, wait until the container is running", c.ID())
	}
	return errorf(http.StatusConflict, "Container %s is not running", c.ID())
}

// checkExecRequest refuses what Docker refuses in an exec's
// configuration (and what the process could not start with), and reads
// its detach keys.
func checkExecRequest(req *container.ExecCreateRequest) ([]byte, error) {
	switch {
	case len(req.Cmd) == 0 || len(req.Cmd) == 1 && req.Cmd[0] == "":
		return nil, errorf(http.StatusBadRequest, "No exec command specified")
	case req.WorkingDir != "" && !path.IsAbs(req.WorkingDir):
		return nil, errorf(http.StatusBadRequest, "the working directory '%s' is invalid, it needs to be an absolute path", req.WorkingDir)
	case req.ConsoleSize != nil && (req.ConsoleSize[0] > math.MaxUint16 || req.ConsoleSize[1] > math.MaxUint16):
		return nil, errorf(http.StatusBadRequest, "invalid console size %v", *req.ConsoleSize)
	}
	for _, s := range slices.Concat(req.Cmd, req.Env, []string{req.User, req.WorkingDir}) {
		if strings.ContainsRune(s, 0) {
			return nil, errorf(http.StatusBadRequest, "invalid argument %q: it holds a NUL byte", s)
		}
	}
	for _, kv := range req.Env {
		if k, _, _ := strings.Cut(kv, "="); k == "" {
			return nil, errorf(http.StatusBadRequest, "invalid environment variable: %s", kv)
		}
	}
	return parseDetachKeys(req.DetachKeys)
}

// claim marks x started, refusing an exec that runs or ran, in
// Docker's words.
func (x *execInstance) claim() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case x.running:
		return errorf(http.StatusConflict, "Error: Exec command %s is already running", x.id)
	case x.started:
		return errorf(http.StatusConflict, "Error: Exec command %s has already run", x.id)
	}
	x.started = true
	return nil
}

// start starts the process and records its end when it comes. A process
// that cannot start ends at once with the status Docker gives (126, or
// 127 for a command not found).
func (x *execInstance) start(ctx context.Context) error {
	if testHookExecStart != nil {
		testHookExecStart()
	}
	err := x.proc.Start(ctx)
	x.mu.Lock()
	defer x.mu.Unlock()
	defer close(x.began)
	if err != nil {
		code := 126
		var se *dock.StartError
		if errors.As(err, &se) && se.Code != 0 {
			code = se.Code
		}
		x.exitCode, x.ended = &code, time.Now()
		close(x.done)
		return err
	}
	x.running, x.pid = true, x.proc.Pid()
	go x.wait()
	return nil
}

// wait records the process's end.
func (x *execInstance) wait() {
	st, err := x.proc.Wait(context.Background())
	code := st.Code
	if err != nil {
		code = 126
	}
	x.mu.Lock()
	x.running, x.exitCode, x.ended = false, &code, time.Now()
	x.mu.Unlock()
	close(x.done)
}

func (s *server) execStart(w http.ResponseWriter, r *http.Request) {
	x, err := s.execs.get(r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req container.ExecStartRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	size := x.cfg.ConsoleSize
	if req.ConsoleSize != nil {
		size = req.ConsoleSize
	}
	if size != nil && (size[0] > math.MaxUint16 || size[1] > math.MaxUint16) {
		writeError(w, r, errorf(http.StatusBadRequest, "invalid console size %v", *size))
		return
	}
	c, err := s.container(x.containerID)
	if err == nil {
		err = checkExecRunnable(r.Context(), c, c.ID())
	}
	if err == nil {
		err = x.claim()
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The process is this request's alone now.
	if size != nil {
		x.proc.TtySize = dock.WindowSize{Rows: uint16(size[0]), Cols: uint16(size[1])}
	}
	// The process outlives the request (a detached one, or one whose
	// client went).
	ctx := context.WithoutCancel(r.Context())
	if req.Detach {
		if err := x.start(ctx); err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	// What is left of the body would read as stdin.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	// The frames follow the start's Tty, as Docker's: the CLI sends the
	// exec's.
	stream, err := hijack(w, r, !req.Tty)
	if err != nil {
		s.log.Error("exec start", "exec", x.id, "err", err)
		return
	}
	defer stream.Close()
	detached := make(chan struct{})
	if x.cfg.AttachStdin {
		x.proc.Stdin = onDetach(dock.NewDetachReader(stream.Stdin(), x.detachKeys),
			sync.OnceFunc(func() { close(detached) }))
	}
	if x.cfg.AttachStdout {
		x.proc.Stdout = stream.Stdout()
	}
	if x.cfg.AttachStderr {
		x.proc.Stderr = stream.Stderr()
	}
	if err := x.start(ctx); err != nil {
		// Docker writes the failure into the stream (the answer is sent).
		_, _ = io.WriteString(stream.Stdout(), err.Error()+"\r\n")
		return
	}
	// The output is all written when the process's end is recorded.
	select {
	case <-x.done:
	case <-detached:
	case <-stream.Gone():
		// The client closed the connection without detaching: nobody
		// can read the process's output, send its input or detach from
		// it any more, and it would hold this handler until it ends
		// (a shell: never). Docker's daemon kills it when the request's
		// context ends; this is that end for a hijacked connection.
		s.log.Debug("exec start: the client went, killing the process", "exec", x.id)
		_ = x.proc.Signal(syscall.SIGKILL)
		<-x.done
	}
}

func (s *server) execResize(w http.ResponseWriter, r *http.Request) {
	x, err := s.execs.get(r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	h, err := sizeValue(r, "h")
	if err != nil {
		writeError(w, r, err)
		return
	}
	wd, err := sizeValue(r, "w")
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The docker CLI sends the size as soon as its start request is
	// answered, which may be before the process runs: as Docker's
	// daemon, wait (10 s at most) for a start under way to be over.
	x.mu.Lock()
	claimed := x.started
	x.mu.Unlock()
	if claimed {
		select {
		case <-x.began:
		case <-r.Context().Done():
			return
		case <-time.After(execResizeWait):
		}
	}
	x.mu.Lock()
	running := x.running
	x.mu.Unlock()
	if !running {
		writeError(w, r, errorf(http.StatusConflict, "exec %s is not running", x.id))
		return
	}
	if err := x.proc.Resize(dock.WindowSize{Rows: h, Cols: wd}); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// testHookExecStart, when a test sets it, runs before an exec's process
// starts (to hold the start).
var testHookExecStart func()

// execResizeWait is how long a resize waits for its exec's start.
const execResizeWait = 10 * time.Second

// sizeValue reads a terminal dimension, h or w: 0 to 65535, required.
func sizeValue(r *http.Request, k string) (uint16, error) {
	if strings.TrimSpace(r.URL.Query().Get(k)) == "" {
		return 0, errorf(http.StatusBadRequest, "invalid value for %s: none given", k)
	}
	n, err := intValue(r, k, 0)
	if err == nil && (n < 0 || n > math.MaxUint16) {
		err = errorf(http.StatusBadRequest, "invalid value for %s: %d", k, n)
	}
	return uint16(n), err
}

func (s *server) execInspect(w http.ResponseWriter, r *http.Request) {
	x, err := s.execs.get(r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x.inspect())
}

// inspect is x as GET /exec/{id}/json shows it.
func (x *execInstance) inspect() *container.ExecInspectResponse {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := &container.ExecInspectResponse{
		ID: x.id, Running: x.running, ContainerID: x.containerID, Pid: x.pid,
		OpenStdin: x.cfg.AttachStdin, OpenStdout: x.cfg.AttachStdout, OpenStderr: x.cfg.AttachStderr,
		ProcessConfig: &container.ExecProcessConfig{
			Tty: x.cfg.Tty, Entrypoint: x.cfg.Cmd[0], Arguments: slices.Clone(x.cfg.Cmd[1:]),
			User: x.cfg.User, Privileged: &x.cfg.Privileged,
		},
	}
	if x.cfg.DetachKeys != "" {
		out.DetachKeys = x.detachKeys
	}
	if out.ProcessConfig.Arguments == nil {
		out.ProcessConfig.Arguments = []string{}
	}
	if x.exitCode != nil {
		code := *x.exitCode
		out.ExitCode = &code
	}
	return out
}
