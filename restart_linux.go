package dock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/nsinit"
	"github.com/go-dock/dock/internal/procstat"
)

// The restart policy, with no daemon (see RestartPolicy). When a detached
// container exits and its policy may start it again, its monitor, once
// the exit is recorded, becomes this program in the hook mode "restart"
// (nsinit.Plan.RestartHook), keeping its PID; an attached container's
// engine starts it in that mode (spawnHook). That process takes the exit
// over (under the start lock, so that no user's start comes between),
// decides, records the container restarting with itself as its Monitor,
// waits the back-off and starts the container with StartDetached's
// steps. Whoever finds that process gone while the container is
// restarting records the container exited (stateImpl).
//
// A user's Stop, Kill, Signal or Remove writes the stop marker first:
// the monitor does not become the hook when it is there, the hook checks
// it before it records the container restarting, every 10 ms while it
// waits, and under the engine's lock before it starts the container
// (prepare). They then wait for the hook to end (stopRestarts): after
// that, no start of the policy is pending.

// restartStartTimeout bounds a start of the restart policy.
const restartStartTimeout = 2 * time.Minute

// restartPoll is how often a waiting restart looks for the stop marker.
const restartPoll = 10 * time.Millisecond

// backoffFile keeps the restart policy's last back-off between runs.
const backoffFile = "restart-backoff"

// errRestartCanceled: the policy's start found the container stopped by
// its user, removed, or started by someone else.
var errRestartCanceled = errors.New("restart canceled")

// policyStart is a start of the restart policy: the restart count it
// records.
type policyStart struct{ count int }

// restartHook adds the restart policy's hook to a detached container's
// monitor plan.
func restartHook(p *nsinit.Plan, c *Container, policy RestartPolicy) {
	p.RestartHook(selfExe(), []string{"dock-restart"},
		[]string{nsinit.HookEnv + "=restart " + c.id + " 0 " + c.e.root},
		c.dir(stoppedMarker), policy.Name == RestartOnFailure)
}

// selfExe is this program's binary as a hook runs it: through
// /proc/PID/exe, on the host's mount (where the hook can open its own
// read-only view for the inits it starts), the file this process runs
// even if its path was replaced since.
func selfExe() string { return "/proc/" + strconv.Itoa(os.Getpid()) + "/exe" }

// runRestartHook is the hook mode "restart ID STARTED ROOT": STARTED is
// the start time (Unix nanoseconds) of the run whose exit an engine
// recorded (attached), or 0 when the hook is the run's monitor.
func runRestartHook(args string) error {
	id, rest, _ := strings.Cut(args, " ")
	started, root, _ := strings.Cut(rest, " ")
	runStarted, err := strconv.ParseInt(started, 10, 64)
	if !isID(id) || err != nil || root == "" {
		return fmt.Errorf("restart hook: bad arguments %q", args)
	}
	if !isDir(filepath.Join(root, "containers", id)) {
		return nil // removed, with its root maybe: Open must not make it again
	}
	e, err := Open(root)
	if err != nil {
		return err
	}
	defer e.Close()
	c := &Container{e: e, id: id}
	return c.applyRestartPolicy(context.Background(), runStarted)
}

// applyRestartPolicy takes over the exit of the run that started at
// runStarted (0: the run this process was the monitor of) and applies
// the policy.
func (c *Container) applyRestartPolicy(ctx context.Context, runStarted int64) error {
	rec, err := c.record()
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil // removed meanwhile
		}
		return err
	}
	// The start that started the run may not have returned yet (the run
	// can end, and its monitor become this process, first): wait for
	// it. Every holder of the lock lets go in a bounded time: a user's
	// start does not wait for this process's decision (see prepare),
	// and this process yields to it.
	unlock, err := c.waitStartLock(ctx)
	if err != nil {
		return nil // removed
	}
	st, ok := c.takeOverExit(ctx, runStarted)
	if !ok {
		unlock()
		return nil
	}
	policy := rec.Config.RestartPolicy
	if !policy.restarts(st.Exit.Code, c.stoppedByUser(), st.RestartCount) {
		st.Status = StatusExited
		err := c.writeState(st)
		unlock()
		return err
	}
	backoff := nextBackoff(c.readBackoff(), st.FinishedAt.Sub(st.StartedAt))
	c.writeBackoff(backoff)
	st.Status, st.RestartCount, st.Detached = StatusRestarting, st.RestartCount+1, true
	st.Pid, st.PidStart = 0, 0
	st.Monitor = os.Getpid()
	st.MonitorStart, _ = procstat.StartTime(st.Monitor)
	err = c.writeState(st)
	unlock()
	if err != nil {
		return err
	}
	if !c.waitBackoff(ctx, backoff) {
		return c.endRestart(nil)
	}
	sctx, cancel := context.WithTimeout(ctx, restartStartTimeout)
	defer cancel()
	if err := c.start(sctx, true, &policyStart{count: st.RestartCount}); err != nil {
		return c.endRestart(err)
	}
	return nil
}

// takeOverExit reads how the run ended and reports whether it is this
// process's to handle: the monitor's run when runStarted is 0 (the state
// still names it running, with this process as its monitor), else the
// attached run the engine recorded exited.
func (c *Container) takeOverExit(ctx context.Context, runStarted int64) (State, bool) {
	st, err := c.readState()
	if err != nil {
		return st, false
	}
	if runStarted != 0 {
		return st, st.Status == StatusExited && st.StartedAt.UnixNano() == runStarted
	}
	if (st.Status != StatusRunning && st.Status != StatusPaused) || st.Monitor != os.Getpid() ||
		procstat.Alive(st.Pid, st.PidStart) {
		return st, false
	}
	ex, _, ok := c.readExitFile()
	if !ok {
		return st, false
	}
	st.Exit, st.FinishedAt = c.withOOM(ex), ex.ExitedAt
	st.Pid, st.PidStart = 0, 0
	return st, true
}

// waitBackoff waits d, and reports false as soon as the user stopped or
// removed the container.
func (c *Container) waitBackoff(ctx context.Context, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; {
		if c.stoppedByUser() || !isDir(c.dir()) {
			return false
		}
		left := time.Until(deadline)
		if left <= 0 {
			return true
		}
		if !sleepCtx(ctx, min(left, restartPoll)) {
			return false
		}
	}
}

// endRestart records the container exited when the policy's start did
// not happen (err nil: canceled) or failed, unless another start or a
// removal came first.
func (c *Container) endRestart(startErr error) error {
	// Waiting, so that the start's error is recorded (a user's start
	// that holds the lock finds the container restarting, and fails).
	unlock, err := c.waitStartLock(context.Background())
	if err != nil {
		return nil // removed
	}
	defer unlock()
	st, err := c.readState()
	if err != nil || st.Status != StatusRestarting || st.Monitor != os.Getpid() {
		return nil
	}
	st.Status, st.Monitor, st.MonitorStart = StatusExited, 0, 0
	if startErr != nil && !errors.Is(startErr, errRestartCanceled) {
		code := 125
		if se := (*StartError)(nil); errors.As(startErr, &se) {
			code = se.Code
		}
		now := time.Now().UTC()
		st.Exit, st.FinishedAt = ExitStatus{Code: code, Err: startErr.Error(), ExitedAt: now}, now
	}
	return c.writeState(st)
}

// stoppedByUser reports whether the stop marker is there.
func (c *Container) stoppedByUser() bool {
	_, err := os.Lstat(c.dir(stoppedMarker))
	return err == nil
}

// markStopped writes the stop marker: the restart policy no longer
// starts the container, until a user's start removes it.
func (c *Container) markStopped() error {
	if err := os.WriteFile(c.dir(stoppedMarker), nil, 0o600); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no such container: %s: %w", c.id, ErrNotFound)
		}
		return err
	}
	return nil
}

// stopRestarts marks the container stopped by its user and waits for a
// restart in progress to end. It returns the state then: exited, or
// running (a start was under way, or the container had not exited),
// with no start of the policy pending.
func (c *Container) stopRestarts(ctx context.Context) (State, error) {
	if err := c.markStopped(); err != nil {
		return State{}, err
	}
	for {
		st, err := c.State(ctx)
		if err != nil || st.Status != StatusRestarting {
			return st, err
		}
		if err := waitProcessExit(ctx, st.Monitor, st.MonitorStart); err != nil {
			return st, err
		}
	}
}

// waitProcessExit waits until the process pid that started at start has
// exited.
func waitProcessExit(ctx context.Context, pid int, start uint64) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil // gone
	}
	defer unix.Close(fd)
	if !procstat.Alive(pid, start) {
		return nil // gone, and the PID taken again
	}
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		if n > 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func (c *Container) readBackoff() time.Duration {
	data, err := os.ReadFile(c.dir(backoffFile))
	if err != nil {
		return 0
	}
	d, _ := strconv.ParseInt(string(data), 10, 64)
	return time.Duration(d)
}

func (c *Container) writeBackoff(d time.Duration) {
	c.e.writeFileAtomic(c.dir(backoffFile), []byte(strconv.FormatInt(int64(d), 10)), 0o600)
}

// readExitFile reads the exit status a detached container's monitor
// wrote, and whether the monitor handed the container to the restart
// policy's hook.
func (c *Container) readExitFile() (ExitStatus, bool, bool) {
	var ex struct {
		ExitStatus
		Restart bool `json:"restart"`
	}
	data, err := os.ReadFile(c.dir("exit.json"))
	if err != nil || json.Unmarshal(data, &ex) != nil {
		return ExitStatus{}, false, false
	}
	ex.ExitedAt = ex.ExitedAt.UTC()
	return ex.ExitStatus, ex.Restart, true
}

// spawnRestartHook hands an attached run's exit to the restart policy, in
// a process of its own that outlives this program (the container
// restarts detached, as after docker run's attach ends).
func (c *Container) spawnRestartHook(started time.Time) {
	v := fmt.Sprintf("restart %s %d %s", c.id, started.UnixNano(), c.e.root)
	if _, err := spawnHook(v); err != nil {
		c.e.log.Warn("restart policy", "id", c.id[:12], "err", err)
	}
}

func (e *Engine) restoreContainersImpl(ctx context.Context) ([]string, error) {
	infos, err := e.Containers(ctx)
	if err != nil {
		return nil, err
	}
	var started []string
	var errs []error
	for _, info := range infos {
		st, p := info.State, info.Config.RestartPolicy
		if st.Status != StatusExited || p.IsNone() {
			continue
		}
		c := &Container{e: e, id: info.ID}
		if !p.restoredAtBoot(st.Exit.Code, c.stoppedByUser(), st.RestartCount) {
			continue
		}
		if err := c.StartDetached(ctx); err != nil {
			if !errors.Is(err, ErrNotFound) {
				errs = append(errs, err)
			}
			continue
		}
		started = append(started, info.ID)
	}
	return started, errors.Join(errs...)
}
