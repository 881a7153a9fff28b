package dockerapi

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/go-dock/dock"
)

// containerRoutes are the container endpoints: create (serve_containers_create.go),
// the list and inspection, the lifecycle here, wait, logs, archive and
// stats in their own files.
func (s *server) containerRoutes() []route {
	return []route{
		{"POST /containers/create", s.createContainer},
		{"GET /containers/json", s.listContainers},
		{"POST /containers/prune", s.pruneContainers},
		{"GET /containers/{id}/json", s.inspectContainer},
		{"POST /containers/{id}/start", s.startContainer},
		{"POST /containers/{id}/stop", s.stopContainer},
		{"POST /containers/{id}/kill", s.killContainer},
		{"POST /containers/{id}/restart", s.restartContainer},
		{"POST /containers/{id}/pause", s.pauseContainer},
		{"POST /containers/{id}/unpause", s.unpauseContainer},
		{"POST /containers/{id}/rename", s.renameContainer},
		{"POST /containers/{id}/update", s.updateContainer},
		{"POST /containers/{id}/resize", s.resizeContainer},
		{"POST /containers/{id}/wait", s.waitContainer},
		{"DELETE /containers/{id}", s.removeContainer},
		{"GET /containers/{id}/top", s.topContainer},
		{"GET /containers/{id}/changes", s.containerChanges},
		{"GET /containers/{id}/export", s.exportContainer},
		{"GET /containers/{id}/logs", s.containerLogs},
		{"GET /containers/{id}/stats", s.containerStats},
		{"HEAD /containers/{id}/archive", s.statContainerPath},
		{"GET /containers/{id}/archive", s.getContainerArchive},
		{"PUT /containers/{id}/archive", s.putContainerArchive},
	}
}

// handleContainer runs fn on the container the path names, answering a
// missing one with Docker's 404 and fn's error with Docker's status.
func (s *server) handleContainer(w http.ResponseWriter, r *http.Request, fn func(*dock.Container) error) {
	c, err := s.container(r.PathValue("id"))
	if err == nil {
		err = fn(c)
	}
	if err != nil {
		writeError(w, r, err)
	}
}

// notModified is Docker's 304: the container is already where it was
// asked to go.
func notModified(w http.ResponseWriter) { w.WriteHeader(http.StatusNotModified) }

// noContent is the 204 of a lifecycle endpoint done.
func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// status is the container's status now.
func status(ctx context.Context, c *dock.Container) (dock.Status, error) {
	st, err := c.State(ctx)
	return st.Status, err
}

func (s *server) inspectContainer(w http.ResponseWriter, r *http.Request) {
	s.handleContainer(w, r, func(c *dock.Container) error {
		info, err := c.Inspect(r.Context())
		if err != nil {
			return err
		}
		resp := ContainerInspect(info)
		if boolValue(r, "size") {
			size, err := c.Size(r.Context())
			if err != nil {
				return err
			}
			resp.SizeRw, resp.SizeRootFs = &size.RW, &size.RootFS
		}
		if versionAtLeast(r, "1.52") {
			writeJSON(w, http.StatusOK, resp)
		} else {
			writeJSON(w, http.StatusOK, LegacyInspect(resp))
		}
		return nil
	})
}

func (s *server) listContainers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intValue(r, "limit", 0)
	if err != nil {
		writeError(w, r, err)
		return
	}
	filters, err := ParseFilters(q.Get("filters"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := ListContainers(r.Context(), s.engine, ContainerListOptions{
		All: boolValue(r, "all"), Limit: limit, Size: boolValue(r, "size"), Filters: filters,
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	now := time.Now()
	out := make([]container.Summary, 0, len(list))
	for _, lc := range list {
		out = append(out, ContainerSummary(lc, now))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) startContainer(w http.ResponseWriter, r *http.Request) {
	// API 1.24 dropped the HostConfig of a start's body; Docker refuses
	// one still sent.
	var body map[string]any
	if err := readJSON(r, &body); err != nil {
		writeError(w, r, err)
		return
	}
	if len(body) > 0 {
		writeError(w, r, badRequest("starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24"))
		return
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		switch st, err := status(r.Context(), c); {
		case err != nil:
			return err
		case st == dock.StatusRunning || st == dock.StatusRestarting:
			notModified(w)
			return nil
		case st == dock.StatusPaused:
			return errorf(http.StatusConflict, "cannot start a paused container, try unpause instead")
		}
		ctx := context.WithoutCancel(r.Context())
		if size, ok := s.consoleSize(c.ID()); ok {
			// The terminal has its size before the process runs, as
			// Docker's: a program that reads it at once (stty size)
			// must not see 0x0.
			c.TtySize = size
		}
		err := c.StartDetached(ctx)
		if errors.Is(err, dock.ErrRunning) {
			if st, _ := status(r.Context(), c); st == dock.StatusRunning {
				notModified(w)
				return nil
			}
		}
		if err != nil {
			s.removeNeverRun(ctx, c)
			return startError(err)
		}
		noContent(w)
		return nil
	})
}

// removeNeverRun removes an AutoRemove container whose start failed, as
// Docker does: it never ran, nothing will remove it, and docker run --rm
// waits for its removal.
func (s *server) removeNeverRun(ctx context.Context, c *dock.Container) {
	info, err := c.Inspect(ctx)
	if err != nil || !info.Config.AutoRemove || info.State.Status != dock.StatusCreated && info.State.Status != dock.StatusExited {
		return
	}
	if err := c.Remove(ctx, dock.RemoveForce(), dock.RemoveVolumes()); err != nil {
		s.log.Warn("remove an AutoRemove container that did not start", "container", c.ID(), "err", err)
	}
}

// startError is a failed start with Docker's status: 400 for a command
// that could not run (Docker's runtime errors of that kind are invalid
// parameters), 500 for the rest.
func startError(err error) error {
	var se *dock.StartError
	if errors.As(err, &se) && !errors.Is(err, dock.ErrRunning) {
		return errorf(http.StatusBadRequest, "failed to create task for container: %v", err)
	}
	if errors.Is(err, dock.ErrPortAllocated) {
		return errorf(http.StatusInternalServerError, "failed to set up container networking: %v", err)
	}
	return err
}

// stopTimeout reads ?t=: absent is the container's own timeout (its
// StopTimeout, else 10 s); -1 waits as long as it takes, as Docker.
func stopTimeout(r *http.Request) (time.Duration, error) {
	if r.URL.Query().Get("t") == "" {
		return -1, nil
	}
	t, err := intValue(r, "t", 0)
	switch {
	case err != nil:
		return 0, err
	case t < 0:
		return math.MaxInt64, nil
	case int64(t) > math.MaxInt64/int64(time.Second):
		return math.MaxInt64, nil
	}
	return time.Duration(t) * time.Second, nil
}

// signalValue reads ?signal= as Docker does: a name or a number; def
// when absent.
func signalValue(r *http.Request, def syscall.Signal) (syscall.Signal, error) {
	v := r.URL.Query().Get("signal")
	if v == "" {
		return def, nil
	}
	sig, ok := dock.ParseSignal(v)
	if !ok || sig <= 0 {
		return 0, badRequest("Invalid signal: %s", v)
	}
	return sig, nil
}

func (s *server) stopContainer(w http.ResponseWriter, r *http.Request) {
	timeout, err := stopTimeout(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	sig, err := signalValue(r, 0)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		st, err := status(r.Context(), c)
		if err != nil {
			return err
		}
		if st == dock.StatusCreated || st == dock.StatusExited {
			notModified(w)
			return nil
		}
		ctx := context.WithoutCancel(r.Context())
		if sig != 0 {
			err = stopWithSignal(ctx, c, sig, timeout)
		} else {
			err = c.Stop(ctx, timeout)
		}
		if errors.Is(err, dock.ErrNotRunning) {
			notModified(w)
			return nil
		}
		if err != nil {
			return err
		}
		noContent(w)
		return nil
	})
}

// stopWithSignal is Stop with the signal of ?signal= (API 1.42) in place
// of the container's stop signal: the signal, up to timeout for the exit
// (negative: 10 s), then SIGKILL.
func stopWithSignal(ctx context.Context, c *dock.Container, sig syscall.Signal, timeout time.Duration) error {
	if timeout < 0 {
		timeout = 10 * time.Second
	}
	if err := c.Signal(ctx, sig); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := c.Wait(wctx); err == nil {
		return nil
	}
	if err := c.Kill(ctx); err != nil && !errors.Is(err, dock.ErrNotRunning) {
		return err
	}
	_, err := c.Wait(ctx)
	return err
}

func (s *server) killContainer(w http.ResponseWriter, r *http.Request) {
	sig, err := signalValue(r, syscall.SIGKILL)
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		err := c.Signal(context.WithoutCancel(r.Context()), sig)
		if errors.Is(err, dock.ErrNotRunning) {
			return errorf(http.StatusConflict, "Cannot kill container: %s: container %s is not running", r.PathValue("id"), c.ID())
		}
		if err != nil {
			return err
		}
		noContent(w)
		return nil
	})
}

// restartContainer is POST /containers/{id}/restart?t=&signal=. The
// signal is checked, and the stop is the container's own: Restart keeps
// an AutoRemove container through it, which a stop by another signal
// here would not.
func (s *server) restartContainer(w http.ResponseWriter, r *http.Request) {
	timeout, err := stopTimeout(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if _, err := signalValue(r, 0); err != nil {
		writeError(w, r, err)
		return
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		if err := c.Restart(context.WithoutCancel(r.Context()), timeout); err != nil {
			return startError(err)
		}
		noContent(w)
		return nil
	})
}

func (s *server) pauseContainer(w http.ResponseWriter, r *http.Request) {
	s.handleContainer(w, r, func(c *dock.Container) error {
		switch st, err := status(r.Context(), c); {
		case err != nil:
			return err
		case st == dock.StatusPaused:
			return errorf(http.StatusConflict, "Container %s is already paused", c.ID())
		case st != dock.StatusRunning:
			return errorf(http.StatusConflict, "Container %s is not running", c.ID())
		}
		if err := c.Pause(r.Context()); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
}

func (s *server) unpauseContainer(w http.ResponseWriter, r *http.Request) {
	s.handleContainer(w, r, func(c *dock.Container) error {
		switch st, err := status(r.Context(), c); {
		case err != nil:
			return err
		case st != dock.StatusPaused:
			return errorf(http.StatusConflict, "Container %s is not paused", c.ID())
		}
		if err := c.Unpause(r.Context()); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
}

func (s *server) renameContainer(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		writeError(w, r, badRequest("Neither old nor new names may be empty"))
		return
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		if err := c.Rename(r.Context(), name); err != nil {
			return err
		}
		noContent(w)
		return nil
	})
}

func (s *server) updateContainer(w http.ResponseWriter, r *http.Request) {
	var body container.UpdateConfig
	if err := readJSON(r, &body); err != nil {
		writeError(w, r, err)
		return
	}
	res := &body.Resources
	if len(res.Devices) > 0 || len(res.DeviceCgroupRules) > 0 || len(res.Ulimits) > 0 || len(res.DeviceRequests) > 0 {
		writeError(w, r, badRequest("devices, device cgroup rules and ulimits cannot be updated"))
		return
	}
	spec := &CreateSpec{}
	if err := resourceSettings(spec, res); err != nil {
		writeError(w, r, err)
		return
	}
	var opts []dock.UpdateOption
	if p := body.RestartPolicy; p.Name != "" || p.MaximumRetryCount != 0 {
		if err := container.ValidateRestartPolicy(p); err != nil {
			writeError(w, r, badRequest("%v", err))
			return
		}
		opts = append(opts, dock.UpdateRestartPolicy(dock.RestartPolicy{Name: string(p.Name), MaximumRetryCount: p.MaximumRetryCount}))
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		warnings, err := c.Update(r.Context(), spec.Config.Resources, opts...)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, container.UpdateResponse{Warnings: append(append([]string{}, spec.Warnings...), warnings...)})
		return nil
	})
}

func (s *server) resizeContainer(w http.ResponseWriter, r *http.Request) {
	h, err := intValue(r, "h", 0)
	if err != nil {
		writeError(w, r, err)
		return
	}
	wd, err := intValue(r, "w", 0)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if h < 0 || wd < 0 || h > math.MaxUint16 || wd > math.MaxUint16 {
		writeError(w, r, badRequest("invalid terminal size: %dx%d", h, wd))
		return
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		st, err := status(r.Context(), c)
		if err != nil {
			return err
		}
		if st != dock.StatusRunning && st != dock.StatusPaused {
			return errorf(http.StatusConflict, "Container %s is not running", c.ID())
		}
		if err := c.Resize(dock.WindowSize{Rows: uint16(h), Cols: uint16(wd)}); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

func (s *server) removeContainer(w http.ResponseWriter, r *http.Request) {
	if boolValue(r, "link") {
		writeError(w, r, badRequest("links are not supported: dock has no legacy container links"))
		return
	}
	var opts []dock.RemoveOption
	if boolValue(r, "force") {
		opts = append(opts, dock.RemoveForce())
	}
	if boolValue(r, "v") {
		opts = append(opts, dock.RemoveVolumes())
	}
	s.handleContainer(w, r, func(c *dock.Container) error {
		err := c.Remove(context.WithoutCancel(r.Context()), opts...)
		if errors.Is(err, dock.ErrRunning) {
			name, why := c.ID(), "is running: stop the container before removing or force remove"
			if info, ierr := c.Inspect(r.Context()); ierr == nil {
				if info.Name != "" {
					name = "/" + info.Name
				}
				if info.State.Status == dock.StatusPaused {
					why = "is paused and must be unpaused first"
				}
			}
			return errorf(http.StatusConflict, "cannot remove container %q: container %s", name, why)
		}
		if err != nil {
			return err
		}
		s.forgetConsoleSize(c.ID())
		noContent(w)
		return nil
	})
}

func (s *server) pruneContainers(w http.ResponseWriter, r *http.Request) {
	filters, err := ParseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	opts, err := ContainerPruneOptions(filters, time.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	rep, err := s.engine.PruneContainers(context.WithoutCancel(r.Context()), opts...)
	if rep == nil {
		writeError(w, r, err)
		return
	}
	if err != nil {
		s.log.Warn("container prune", "err", err) // Docker logs and answers what it removed
	}
	out := container.PruneReport{ContainersDeleted: append([]string{}, rep.Deleted...)}
	if rep.SpaceReclaimed > 0 {
		out.SpaceReclaimed = uint64(rep.SpaceReclaimed)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) topContainer(w http.ResponseWriter, r *http.Request) {
	s.handleContainer(w, r, func(c *dock.Container) error {
		// The client joins its arguments with spaces.
		args := strings.Fields(r.URL.Query().Get("ps_args"))
		st, err := status(r.Context(), c)
		if err != nil {
			return err
		}
		if st != dock.StatusRunning && st != dock.StatusPaused {
			return errorf(http.StatusConflict, "container %s is not running", c.ID())
		}
		top, err := c.Top(r.Context(), args...)
		if err != nil {
			return err
		}
		resp := container.TopResponse{Titles: top.Titles, Processes: top.Processes}
		if resp.Processes == nil {
			resp.Processes = [][]string{}
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}

func (s *server) containerChanges(w http.ResponseWriter, r *http.Request) {
	s.handleContainer(w, r, func(c *dock.Container) error {
		changes, err := c.Changes(r.Context())
		if err != nil {
			return err
		}
		out := make([]container.FilesystemChange, 0, len(changes))
		for _, ch := range changes {
			out = append(out, container.FilesystemChange{Path: ch.Path, Kind: container.ChangeType(ch.Kind)})
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

func (s *server) exportContainer(w http.ResponseWriter, r *http.Request) {
	s.handleContainer(w, r, func(c *dock.Container) error {
		rc, err := c.Export(r.Context())
		if err != nil {
			return err
		}
		defer rc.Close()
		if _, err := io.Copy(startStream(w, "application/x-tar"), rc); err != nil {
			s.log.Debug("export", "container", c.ID(), "err", err)
		}
		return nil
	})
}

// consoleSize is the ConsoleSize a container was created with, for its
// first start (then forgotten: the client resizes the terminal itself
// from there on).
func (s *server) consoleSize(id string) (dock.WindowSize, bool) {
	v, ok := s.consoles.LoadAndDelete(id)
	if !ok {
		return dock.WindowSize{}, false
	}
	return v.(dock.WindowSize), true
}

func (s *server) forgetConsoleSize(id string) { s.consoles.Delete(id) }
