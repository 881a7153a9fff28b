package dock

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/layerfs"
	"github.com/go-dock/dock/internal/procstat"
	"github.com/go-dock/dock/internal/user"
)

// proc is a container process that this Engine value started and waits
// for. Wait on any handle of the container in this process uses it.
type proc struct {
	done   chan struct{} // closed once status is set
	status ExitStatus
	pid    int
	pty    *terminal // the pty master, when Tty
	cg     cgroup.Manager
	// health runs the container's health checks (nil without).
	health *healthChecks
}

func (e *Engine) procs() *running {
	e.runOnce.Do(func() { e.run = &running{byID: map[string]*proc{}} })
	return e.run
}

func (r *running) get(id string) *proc {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}

func (r *running) set(id string, p *proc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p == nil {
		delete(r.byID, id)
	} else {
		r.byID[id] = p
	}
}

func (c *Container) stateImpl(ctx context.Context) (State, error) {
	return c.state(ctx, true)
}

// state reads the state, and records an exit that nobody has recorded
// yet. waitPolicy: when the run's monitor handed the exit to the restart
// policy's process, wait for what that process records (see
// waitRestartDecision).
func (c *Container) state(ctx context.Context, waitPolicy bool) (State, error) {
	st, err := c.readState()
	if err != nil {
		return st, err
	}
	return c.checkState(ctx, st, waitPolicy)
}

// checkState is the state st, read from the container's state.json, as
// it is now: a running container whose process is gone, or a restarting
// one whose restart policy's process is gone, is recorded exited (and
// its exit is waited for or reported, as it died; waitPolicy as for
// state). Other states are returned as they are, without a system call.
// A container found removed as it exited (AutoRemove) is ErrNotFound.
func (c *Container) checkState(ctx context.Context, st State, waitPolicy bool) (State, error) {
	switch st.Status {
	case StatusRunning, StatusPaused:
	case StatusRestarting:
		if procstat.Alive(st.Monitor, st.MonitorStart) {
			return st, nil
		}
		// The process that was to start it again is gone (killed, or
		// the machine restarted): it stays exited, as it ended.
		st.Status, st.Monitor, st.MonitorStart = StatusExited, 0, 0
		c.writeState(st)
		return st, nil
	default:
		return st, nil
	}
	if p := c.e.procs().get(c.id); p != nil {
		return st, nil // our own child: reap records its exit
	}
	if procstat.Alive(st.Pid, st.PidStart) {
		return st, nil
	}
	if !st.Detached {
		// The process that started it records the exit as it reaps it:
		// allow it a moment.
		for i := 0; i < 50; i++ {
			st2, err := c.readState()
			if err == nil && st2.Status == StatusExited {
				return st2, nil
			}
			if errors.Is(err, ErrNotFound) || !sleepCtx(ctx, 10*time.Millisecond) {
				break
			}
		}
	}
	vanished := st
	st.Status = StatusExited
	st.FinishedAt = time.Now().UTC()
	st.Exit = ExitStatus{Code: 255, Err: "process vanished: exit status unknown", ExitedAt: st.FinishedAt}
	fromMonitor := false // which recorded the die event too
	if st.Detached {
		ex, restart, ok := c.monitorExit(ctx, st)
		if ok && restart && waitPolicy {
			// The monitor became the restart policy's process, which
			// records what comes next.
			if st2, ok := c.waitRestartDecision(ctx, vanished); ok {
				return st2, nil
			}
		}
		if ok {
			st.Exit, st.FinishedAt = ex, ex.ExitedAt
			fromMonitor = true
		}
	}
	if !fromMonitor && !isDir(c.dir()) {
		// Removed as it exited, by whoever recorded the exit (its
		// monitor, with AutoRemove): none is to be made up here (see
		// Wait).
		return State{}, fmt.Errorf("no such container: %s: %w", c.id, ErrNotFound)
	}
	st.Exit = c.withOOM(st.Exit)
	st.Monitor, st.MonitorStart = 0, 0
	c.writeState(st)
	if !fromMonitor {
		// Nobody saw it die (its monitor or engine was killed): the
		// first reader to find it gone says so.
		if rec, err := c.knownRecord(); err == nil {
			c.emitExited(rec, st.Exit, st.StartedAt, false, nil)
		}
	}
	return st, nil
}

// withOOM adds to an exit status what the cgroup says of the OOM killer.
func (c *Container) withOOM(ex ExitStatus) ExitStatus {
	if cg, err := cgroup.Load(cgroupPath(c.id)); err == nil {
		if oom, _ := cg.OOMKilled(); oom {
			ex.OOMKilled = true
			ex.Code = 137
		}
	}
	return ex
}

// waitRestartDecision waits, while the restart policy's process (the
// monitor's PID) lives, for it to record the container restarting or
// exited: at most 15 s. It returns what it recorded, or false when it
// went without.
func (c *Container) waitRestartDecision(ctx context.Context, st State) (State, bool) {
	changed := func() (State, bool) {
		st2, err := c.readState()
		return st2, err == nil && (st2.Status != st.Status || st2.Pid != st.Pid || st2.PidStart != st.PidStart)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		if st2, ok := changed(); ok {
			return st2, true
		}
		if !procstat.Alive(st.Monitor, st.MonitorStart) {
			return changed() // it may have written just before it went
		}
		if !sleepCtx(ctx, 2*time.Millisecond) {
			break
		}
	}
	return State{}, false
}

func (c *Container) restartImpl(ctx context.Context, timeout time.Duration) (retErr error) {
	marker := c.dir(restartingMarker)
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no such container: %s: %w", c.id, ErrNotFound)
		}
		return err
	}
	defer os.Remove(marker)
	st, err := c.State(ctx)
	if err != nil {
		return err
	}
	if err := c.Stop(ctx, timeout); err != nil {
		return err
	}
	defer func() {
		if retErr == nil {
			c.emit(nil, "restart")
		}
	}()
	// The monitor checks the marker after it recorded the exit, which
	// Stop waited for: it must be gone before the marker is.
	for st.Monitor > 0 && procstat.Alive(st.Monitor, st.MonitorStart) {
		if !sleepCtx(ctx, 2*time.Millisecond) {
			return ctx.Err()
		}
	}
	return c.StartDetached(ctx)
}

// monitorExit reads the exit status that a detached container's monitor
// wrote, and whether it handed the container to the restart policy. The
// monitor writes it once the output is drained and the exit hook has run
// (which takes the network back, at most 10 s), just after the init is
// gone: wait for it while the monitor lives (or, for records without it,
// a second).
func (c *Container) monitorExit(ctx context.Context, st State) (ExitStatus, bool, bool) {
	deadline := time.Now().Add(time.Second)
	if st.Monitor > 0 {
		deadline = time.Now().Add(15 * time.Second)
	}
	for {
		if ex, restart, ok := c.readExitFile(); ok {
			return ex, restart, true
		}
		if st.Monitor > 0 && !procstat.Alive(st.Monitor, st.MonitorStart) {
			return c.readExitFile() // it may have written just before it went
		}
		if !isDir(c.dir()) {
			return ExitStatus{}, false, false // removed (AutoRemove), the record with it
		}
		if time.Now().After(deadline) || !sleepCtx(ctx, 5*time.Millisecond) {
			return ExitStatus{}, false, false
		}
	}
}

// sleepCtx sleeps for d and reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Container) waitImpl(ctx context.Context) (ExitStatus, error) {
	if p := c.e.procs().get(c.id); p != nil {
		select {
		case <-p.done:
			return p.status, nil
		case <-ctx.Done():
			return ExitStatus{}, ctx.Err()
		}
	}
	// Once a run it waited for has ended, a restart of the policy does not
	// keep it waiting: Docker's wait returns at each exit.
	waited := false
	for {
		st, err := c.State(ctx)
		if errors.Is(err, ErrNotFound) {
			// Removed, maybe as this looked (by its monitor, once it
			// recorded the exit, with AutoRemove): its die tells.
			if ex, ok := c.e.lastExit(c.id); ok {
				return ex, nil
			}
		}
		if err != nil {
			return ExitStatus{}, err
		}
		switch st.Status {
		case StatusExited:
			return st.Exit, nil
		case StatusCreated:
			return ExitStatus{}, fmt.Errorf("wait: container %s was never started: %w", c.id[:12], ErrNotRunning)
		case StatusRestarting:
			if waited {
				return st.Exit, nil
			}
			// The next run, once the policy started it (or did not).
			if err := waitProcessExit(ctx, st.Monitor, st.MonitorStart); err != nil {
				return ExitStatus{}, err
			}
			continue
		}
		if err := waitPidExit(ctx, st.Pid); err != nil {
			return ExitStatus{}, err
		}
		waited = true
		// State now finds the process gone and reads or records the exit.
	}
}

// waitPidExit waits, through a pidfd, until pid exits.
func waitPidExit(ctx context.Context, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil // already gone
	}
	defer unix.Close(fd)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("wait: %w", err)
		}
		if n > 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func (c *Container) signalImpl(ctx context.Context, sig syscall.Signal) error {
	st, err := c.State(ctx)
	if err != nil {
		return err
	}
	if !st.Status.active() {
		return fmt.Errorf("signal container %s: %w", c.id[:12], ErrNotRunning)
	}
	// The user's signal ends the restart policy's work, as docker kill
	// does: a restarting container stays exited (the signal has no
	// process to go to), unless its start was under way; then, as when
	// a run started while the container exited, the new run gets it.
	restarting := st.Status == StatusRestarting
	if st, err = c.stopRestarts(ctx); err != nil {
		return err
	}
	if !st.Status.active() {
		if restarting {
			return nil
		}
		return fmt.Errorf("signal container %s: %w", c.id[:12], ErrNotRunning)
	}
	// Through a pidfd, checked against the recorded start time, so that
	// a reused PID is never signalled.
	fd, err := unix.PidfdOpen(st.Pid, 0)
	if err != nil {
		return fmt.Errorf("signal container %s: %w", c.id[:12], ErrNotRunning)
	}
	defer unix.Close(fd)
	if !procstat.Alive(st.Pid, st.PidStart) {
		return fmt.Errorf("signal container %s: %w", c.id[:12], ErrNotRunning)
	}
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			// It exited since the check: as if it had before.
			return fmt.Errorf("signal container %s: %w", c.id[:12], ErrNotRunning)
		}
		return fmt.Errorf("signal container %s: %w", c.id[:12], err)
	}
	c.emit(nil, "kill", "signal", strconv.Itoa(int(sig)))
	if st.Status == StatusPaused && c.thawsFor(sig) {
		// A frozen process gets its signal once thawed (a cgroup v1
		// freezer holds even SIGKILL): as Docker's kill, thaw it for
		// the signals that end it.
		if err := c.Unpause(ctx); err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNotFound) {
			c.e.log.Warn("signal container: unpause", "id", c.id[:12], "err", err)
		}
	}
	return nil
}

// thawsFor tells whether sig, sent to the container while it is paused,
// unpauses it, as Docker decides: SIGKILL and its stop signal do, and any
// signal when it has no stop signal of its own (the config's or the
// image's); another one waits for an unpause.
func (c *Container) thawsFor(sig syscall.Signal) bool {
	if sig == syscall.SIGKILL {
		return true
	}
	rec, err := c.record()
	if err != nil || rec.Process.StopSignal == "" {
		return true
	}
	stop, ok := ParseSignal(rec.Process.StopSignal)
	return !ok || stop == sig
}

func (c *Container) stopImpl(ctx context.Context, timeout time.Duration) error {
	rec, err := c.record()
	if err != nil {
		return err
	}
	stopped, err := c.stop(ctx, rec, timeout)
	if stopped {
		c.emit(rec, "stop")
	}
	return err
}

// stop is Stop; stopped reports that it stopped a running container.
func (c *Container) stop(ctx context.Context, rec *containerRecord, timeout time.Duration) (stopped bool, err error) {
	if timeout < 0 {
		timeout = 10 * time.Second
		if rec.Config.StopTimeout != nil {
			timeout = *rec.Config.StopTimeout
		}
	}
	sig := syscall.SIGTERM
	if rec.Process.StopSignal != "" {
		if s, ok := ParseSignal(rec.Process.StopSignal); ok {
			sig = s
		}
	}
	if st, _ := c.State(ctx); st.Status == StatusPaused {
		c.Unpause(ctx)
	}
	if err := c.Signal(ctx, sig); err != nil {
		if errors.Is(err, ErrNotRunning) {
			return false, nil
		}
		return false, err
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Gone (ErrNotFound) is stopped too: an AutoRemove container is
	// removed as soon as it exits, maybe before Wait looks.
	if _, err := c.Wait(wctx); err == nil || errors.Is(err, ErrNotFound) {
		return true, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err := c.Kill(ctx); err != nil && !errors.Is(err, ErrNotRunning) && !errors.Is(err, ErrNotFound) {
		return false, err
	}
	if _, err = c.Wait(ctx); errors.Is(err, ErrNotFound) {
		return true, nil
	}
	return err == nil, err
}

func (c *Container) removeImpl(ctx context.Context, opts ...RemoveOption) error {
	o, err := applyRemoveOptions("container", opts)
	if err != nil {
		return err
	}
	st, err := c.State(ctx)
	if err != nil {
		return fmt.Errorf("remove container: %w", err)
	}
	if st.Status.active() && !o.force {
		what := "running"
		if st.Status == StatusRestarting {
			what = "restarting"
		}
		return fmt.Errorf("remove container %s: %w: it is %s (stop it or force removal)", c.id[:12], ErrRunning, what)
	}
	// No start of the restart policy after this, nor under way (one that
	// was may have started a run, which is killed as a running one).
	if st, err = c.stopRestarts(ctx); err != nil {
		return fmt.Errorf("remove container: %w", err)
	}
	if (st.Status == StatusRunning || st.Status == StatusPaused) && !o.force {
		return fmt.Errorf("remove container %s: %w (stop it or force removal)", c.id[:12], ErrRunning)
	}
	killed := false
	if st.Status == StatusRunning || st.Status == StatusPaused {
		if cg, err := cgroup.Load(cgroupPath(c.id)); err == nil && st.Status == StatusPaused {
			cg.Thaw()
		}
		if st.Detached {
			if err := c.takeBackNetwork(); err != nil {
				c.e.log.Warn("remove container", "id", c.id[:12], "err", err)
			}
		}
		if err := c.Kill(ctx); err != nil && !errors.Is(err, ErrNotRunning) {
			return fmt.Errorf("remove container: %w", err)
		}
		// Gone (ErrNotFound): its monitor removed it (AutoRemove).
		if _, err := c.Wait(ctx); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("remove container: %w", err)
		}
		killed = true
	}
	// The container's end is the end of its execs: their exec_die comes
	// before its destroy, as in Docker.
	c.e.procs().endExecs(ctx, c.id)
	return c.e.locked(func() error {
		// Locked until its trash is deleted (see sweepRemovals).
		dir, err := lockDir(c.dir(), unix.LOCK_EX)
		if errors.Is(err, fs.ErrNotExist) {
			// Its monitor removed it meanwhile (AutoRemove), or another
			// Remove did: once this one killed it, that is the removal
			// it asked for.
			if killed {
				return nil
			}
			return fmt.Errorf("remove container: no such container: %s: %w", c.id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("remove container: %w", err)
		}
		defer dir.Close()
		var errs []error
		if cg, err := cgroup.Load(cgroupPath(c.id)); err == nil {
			// Every process died with the init (PID namespace), so the
			// cgroup is normally empty; kill only what a failed
			// removal shows is left.
			if err := cg.Destroy(); err != nil {
				errs = append(errs, cg.Kill(), cg.Destroy())
			}
		}
		// Read before the directory goes: the volumes to remove with it.
		rec, recErr := c.knownRecord()
		tmp := c.e.removalTrash(c.id)
		if err := os.Rename(c.dir(), tmp); err != nil {
			return fmt.Errorf("remove container: %w", err)
		}
		c.e.procs().set(c.id, nil)
		errs = append(errs, os.RemoveAll(tmp))
		if o.volumes && recErr == nil {
			errs = append(errs, c.e.removeAnonymousVolumes(ctx, rec))
		}
		if recErr == nil {
			c.emit(rec, "destroy")
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("remove container: %w", err)
		}
		return nil
	})
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func itoa(n int) string { return strconv.Itoa(n) }

// readInRoot reads name inside root (a running container's
// /proc/PID/root) without ever leaving it. A missing file reads as empty.
func readInRoot(root, name string) ([]byte, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(rfd)
	fd, err := unix.Openat2(rfd, name, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, nil
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, nil
	}
	data, err := layerfs.ReadCapped(f, user.MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return data, nil
}

// reap waits for the init, records how it ended, wakes Wait, and removes
// the container when its config asks for it (cfg as it was at start), or
// hands it to its restart policy.
func (c *Container) reap(init initProcess, p *proc, stdio *stdioSet, started time.Time, cfg *Config, net *netSetup) {
	if cfg.PID != "" {
		// No namespace's end kills what the init leaves (Config.PID);
		// whatever holds its output open would keep wait waiting.
		waitExited(init.pid())
		if err := p.cg.Kill(); err != nil {
			c.e.log.Warn("container exit", "id", c.id[:12], "err", err)
		}
	}
	st := init.wait()
	// The network goes while the exit is recorded (on the other core:
	// the container is gone), and is gone before the events say so.
	tornDown := make(chan error, 1)
	go func() { tornDown <- net.teardown() }()
	left := sync.OnceFunc(func() {
		if err := <-tornDown; err != nil {
			c.e.log.Warn("container exit", "id", c.id[:12], "err", err)
		}
	})
	p.health.stop()
	stdio.finish()
	if oom, _ := p.cg.OOMKilled(); oom {
		st.OOMKilled = true
	}
	autoRemove := cfg.AutoRemove
	if autoRemove {
		// Not when Restart stopped it (checked before Wait returns).
		_, err := os.Stat(c.dir(restartingMarker))
		autoRemove = err != nil
	}
	// Every process of the container died with its init (its PID
	// namespace, or the Kill above); the cgroup stays, for stats and a
	// restart, until Remove.
	// RestartCount is 0: an attached start is a user's.
	restarts := cfg.RestartPolicy.restarts(st.Code, c.stoppedByUser(), 0)
	// The die before the state: whoever reacts to the event and asks
	// finds the process gone and waits for the state (see stateImpl).
	if rec, err := c.knownRecord(); err == nil {
		c.emitExited(rec, st, started, restarts, left)
	}
	// Before the state says exited: a start that reads it finds the
	// host ports free and the endpoints gone.
	left()
	c.writeState(State{Status: StatusExited, StartedAt: started, FinishedAt: st.ExitedAt, Exit: st})
	// The policy's process starts before Wait returns: a program that
	// exits then (docker run) leaves the restart to it.
	if restarts {
		// The state goes by the files now: a later run is detached.
		c.e.procs().set(c.id, nil)
		c.spawnRestartHook(started)
	}
	p.status = st
	if autoRemove {
		// Before Wait returns: a program that waits for the container
		// and exits (dock start -a of a container created with --rm)
		// leaves nothing behind.
		c.Remove(context.Background(), RemoveVolumes())
	}
	close(p.done)
}

func exitStatusOf(ps *os.ProcessState, err error) ExitStatus {
	if ps == nil {
		st := ExitStatus{ExitedAt: time.Now().UTC(), Code: 255}
		if err != nil {
			st.Err = err.Error()
		}
		return st
	}
	return waitStatus(ps.Sys().(syscall.WaitStatus))
}

// waitStatus is how a process ended, as Docker reports it.
func waitStatus(ws syscall.WaitStatus) ExitStatus {
	st := ExitStatus{ExitedAt: time.Now().UTC()}
	switch {
	case ws.Signaled():
		st.Signal = int(ws.Signal())
		st.Code = 128 + st.Signal
	default:
		st.Code = ws.ExitStatus()
	}
	return st
}
