package dock

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nsinit"
	"github.com/go-dock/dock/internal/procstat"
)

// testHookPlan, when a test sets it, changes the plan before it is sent
// (to make the init wait, say).
var testHookPlan func(*nsinit.Plan) *nsinit.Plan

// handshake sends the init its plan and waits until the init has
// executed the user's process. A prespawned init gets the plan in two
// parts: it mounts the root while the cgroup is made.
func (s *starting) handshake(ctx context.Context) error {
	if s.pre != nil {
		first := rootPlan(s.l)
		first.Next()
		if err := s.pre.sendPlan(ctx, first); err != nil {
			return err
		}
	}
	if s.overlap {
		if err := s.finish(); err != nil {
			return err
		}
	}
	s.l.joinFiles = s.cg.JoinFiles()
	etcWritten := func() error { return nil }
	if s.net.planned != nil {
		if err := s.net.planned(); err != nil {
			return err
		}
		// The /etc files with the container's addresses, written while
		// the plan is made and the links placed: the init binds them
		// once it has its plan, and its process reads them after.
		written := make(chan error, 1)
		go func() { written <- writeEtcFiles(s.c.dir(), s.rec, s.net.etc) }()
		etcWritten = sync.OnceValue(func() error { return <-written })
		defer etcWritten() // not left writing after a failure
		s.l.links = s.net.links
	}
	plan, onPid, err := s.plan()
	if err != nil {
		return err
	}
	if testHookPlan != nil {
		plan = testHookPlan(plan)
	}
	if err := errors.Join(s.waitPlaced(), etcWritten()); err != nil {
		return err
	}
	if err := s.conn.Send(ctx, plan); err != nil {
		return err
	}
	if s.detached && len(s.net.ports) > 0 {
		if err := s.conn.SendFiles(ctx, s.net.ports); err != nil {
			return err
		}
	}
	if err := startError(s.conn.Wait(ctx, onPid)); err != nil {
		return err
	}
	return s.takeTerminal()
}

// takeTerminal starts the copies to and from the terminal of an attached
// container with Tty, whose master the init sent (nsinit.Plan.Console).
func (s *starting) takeTerminal() error {
	if s.detached || !s.rec.Config.Tty {
		return nil
	}
	master := s.conn.Terminal()
	if master == nil {
		return errors.New("the init sent no terminal")
	}
	s.p.pty = &terminal{f: master}
	s.stdio.copyPty(s.p.pty, s.c.Stdin, s.c.Stdout)
	return nil
}

// plan is the init's plan (the rest of it for a prespawned init), by
// mode, and what to do with the PID that a detached container's monitor
// reports.
func (s *starting) plan() (*nsinit.Plan, func(pid int) error, error) {
	switch {
	case s.pre != nil:
		return restPlan(s.l), nil, nil
	case s.detached:
		p, err := s.monitorPlan()
		return p, func(pid int) error {
			s.p.pid = pid
			if err := s.identify(pid); err != nil {
				return err
			}
			if s.net.bridged() {
				// The init waits for its go-ahead: its links first.
				if err := s.net.place(s.rec, pid, func(error) {}); err != nil {
					return err
				}
			}
			// Before the go-ahead: the monitor writes the die.
			s.c.emitStarted(s.rec)
			s.announced = true
			s.started = time.Now().UTC()
			return nil
		}, err
	default:
		return initPlan(s.l), nil, nil
	}
}

// identify reads, when a detached container's monitor reports its init
// (pid), the init's start time and the monitor (the init's parent), for
// the state the commit records: the init waits for its go-ahead, so
// both exist.
func (s *starting) identify(pid int) error {
	var err error
	if s.pidStart, err = procstat.StartTime(pid); err != nil {
		return fmt.Errorf("the container's init: %w", err)
	}
	if s.monitor, err = procstat.Parent(pid); err != nil {
		return fmt.Errorf("the container's monitor: %w", err)
	}
	if s.monitorStart, err = procstat.StartTime(s.monitor); err != nil {
		return fmt.Errorf("the container's monitor: %w", err)
	}
	return nil
}

// testHookCommit, when a test sets it, runs as the commit begins (to let
// the init exit first, say).
var testHookCommit func(*starting)

// monitorPlan is a detached container's plan: the process started
// becomes its monitor, which clones the init, reports the init's PID,
// and records its exit (and removes it, with AutoRemove).
func (s *starting) monitorPlan() (*nsinit.Plan, error) {
	c, rec := s.c, s.rec
	s.p.pid = 0 // the monitor's, not the container's: it comes in a report
	// The last run's exit goes before this run's monitor can write its
	// own (at the commit, that one could already be there).
	if err := os.Remove(c.dir("exit.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	head := new(nsinit.Plan)
	cgDir := ""
	if s.cgfd >= 0 {
		// The monitor opens the cgroup through this process's
		// descriptor, which stays open until the init has started.
		cgDir = fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), s.cgfd)
	}
	if rec.Config.AutoRemove {
		head.AutoRemove(c.e.path("lock"), c.dir(), c.e.removalTrash(c.id), s.cg.Dirs())
		if vols := anonymousVolumes(c.e, rec); len(vols) > 0 {
			head.AutoRemoveVolumes(c.e.path("containers"), c.e.path("volumes"), vols)
		}
	}
	if s.net.bridged() {
		var err error
		if s.netClaim, err = networkHook(head, c); err != nil {
			return nil, err
		}
	}
	if len(s.net.ports) > 0 {
		head.Hold(len(s.net.ports)) // sent after the plan (handshake)
	}
	if rec.Config.PID != "" {
		head.SharedPidns(s.l.pidns, s.cg.Dirs())
	}
	count := 0 // the restarts before this start: a user's start resets them
	if s.policy != nil {
		count = s.policy.count
	}
	// No hook when even a failure would not restart it (on-failure at its
	// count): the die then announces no restart.
	if p := rec.Config.RestartPolicy; p.restarts(1, false, count) {
		restartHook(head, c, p)
	}
	if hc := rec.Config.Healthcheck; hc.active() {
		healthHook(head, c, hc.withDefaults())
	}
	exit, removed, err := c.writeExitTemplates(rec)
	if err != nil {
		return nil, err
	}
	head.Events(filepath.Join(c.e.path("events"), eventLogName), c.dir(exitTemplatesFile), exit, removed)
	head.Attach(c.dir(), rec.Config.OpenStdin, rec.Config.StdinOnce)
	lc := rec.Config.Log.resolved() // records made before Log: the defaults
	head.Monitor(c.dir("json.log"), c.dir("exit.json"), initCloneFlags(s.l), cgDir, rec.Config.Tty, lc.MaxSize, lc.MaxFiles)
	return head.Append(initPlan(s.l)), nil
}

// commit records the running container and, attached, starts reaping it.
func (s *starting) commit(ctx context.Context) error {
	if s.net.reserved != nil {
		// The hairpins, the table and the state, which the init's plan
		// did not wait for (see place and reserve).
		if err := errors.Join(s.waitNetwork(), s.net.reserved()); err != nil {
			return s.abort(ctx, err)
		}
	}
	if testHookCommit != nil {
		testHookCommit(s)
	}
	started := s.started // a detached run's go-ahead
	if started.IsZero() {
		started = time.Now().UTC()
	}
	pidStart := s.pidStart
	if s.detached {
		s.cmd.Wait() // the monitor's first process, which has exited
		if s.net.attached {
			// The monitor's hook takes the network back at exit.
			if err := handoverNetwork(s.c.id, s.p.pid, pidStart); err != nil {
				return s.abort(ctx, err)
			}
		}
		if s.netClaim != nil {
			// Or this engine does, while it is open.
			s.c.e.watchNetwork(s.c.id, s.p.pid, pidStart, s.netClaim)
			s.netClaim = nil
		}
	} else {
		// This process's child, reaped by reap, which comes after this.
		pidStart, _ = procstat.StartTime(s.p.pid)
	}
	st := State{Status: StatusRunning, Pid: s.p.pid, PidStart: pidStart, StartedAt: started, Detached: s.detached}
	if s.policy != nil {
		st.RestartCount = s.policy.count
	}
	if s.rec.Config.Healthcheck.active() {
		// Before the state: the monitor's first check comes an
		// interval after its start, at the earliest.
		if err := s.c.resetHealth(); err != nil {
			return s.abort(ctx, err)
		}
	}
	if s.detached {
		st.Monitor, st.MonitorStart = s.monitor, s.monitorStart
	}
	if err := s.c.writeState(st); err != nil {
		return s.abort(ctx, err)
	}
	if !s.announced {
		s.c.emitStarted(s.rec)
	}
	if s.detached {
		// An attached run before this one (Restart of a container
		// Start started) is over: Wait and Signal go by the state now.
		s.c.e.procs().set(s.c.id, nil)
		return nil
	}
	s.c.e.procs().set(s.c.id, s.p)
	if hc := s.rec.Config.Healthcheck; hc.active() {
		s.p.health = s.c.startHealthChecks(hc.withDefaults(), s.rec, started)
	}
	go s.c.reap(s.init, s.p, s.stdio, started, &s.rec.Config, s.net)
	return nil
}

// abort ends a start that failed once the init was spawned: it kills the
// init and waits for it. When err is ours (a failed write, say), the init
// may have failed first and said why: that is the error to report, unless
// ctx has ended.
func (s *starting) abort(ctx context.Context, err error) error {
	if s.p.pid > 0 {
		unix.Kill(s.p.pid, unix.SIGKILL)
	}
	s.init.kill()
	if se := (*StartError)(nil); !errors.As(err, &se) {
		if initErr := startError(s.conn.Wait(ctx, nil)); errors.As(initErr, &se) {
			err = se
		}
	}
	s.init.wait()
	s.stdio.abort()
	return err
}

// startError is how a caller sees an init that reported a failure (an
// *nsinit.Error): a *StartError with the exit code Docker reports.
// Other errors are returned as they are.
func startError(err error) error {
	var ie *nsinit.Error
	if !errors.As(err, &ie) {
		return err
	}
	if ie.Errno == int(unix.EINVAL) && rootNotMounted() {
		return &StartError{Code: 125, Err: fmt.Errorf("%w (the init failed: %w): %w", errRootNotMountPoint, ie, ErrUnsupported)}
	}
	return &StartError{Code: startCode(ie.Code), Err: ie}
}

// startCode maps the init's failure to Docker's exit codes: 126 and 127
// for an executable that cannot run or is missing, 125 for the rest.
func startCode(code int) int {
	if code == 126 || code == 127 {
		return code
	}
	return 125
}
