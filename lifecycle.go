package dock

import (
	"context"
	"syscall"
	"time"
)

// The container's life, for every system: each call does its work in an
// unexported ...Impl, which the *_linux.go files provide (container_other.go
// elsewhere, where what would run something returns ErrUnsupported).

// Start starts the container's process and returns once it runs (the
// user's executable has been executed) or could not start. ctx bounds the
// setup only: when it ends before the user's process runs, Start kills
// what it started, removes the cgroup and returns ctx's error; once the
// process runs, the container lives until it exits or is killed.
//
// The program that calls Start is the container's parent and waits for it
// (no helper process). If the program exits first, the container is
// killed with it; use StartDetached for containers that outlive it. The
// program runs the container's health checks while it waits; when the
// container exits and its restart policy says so, a process of the
// program's own starts it again, detached (see RestartPolicy).
//
// Start and StartDetached are a user's start: they fail with ErrRunning
// while the container runs or is restarting, and they end an earlier
// Stop's hold on the restart policy and set RestartCount back to 0.
func (c *Container) Start(ctx context.Context) error { return c.startImpl(ctx) }

// StartDetached starts the container like Start, but hands it to a small
// monitor process (no Go runtime; about 360 KiB resident when the program
// is linked statically, about 1 MiB otherwise) that copies its output to
// the log and records its exit, so that the container outlives the
// program. Another process that opens the same root can Wait for it, Kill
// it, read its logs and Remove it. The stdio fields must be nil. The
// monitor also runs the container's health checks (see Health) and
// applies its restart policy (see RestartPolicy). The network of a
// container on a bridge is taken back at its exit, before the exit is
// recorded: by this Engine, in a goroutine that waits on the init's
// pidfd, while the Engine is open; else by the monitor, which starts the
// program again for it.
func (c *Container) StartDetached(ctx context.Context) error { return c.startDetachedImpl(ctx) }

// State returns the container's state. A container recorded as running
// whose process is gone is reported, and recorded, as exited; so is one
// recorded restarting whose restart policy's process is gone.
func (c *Container) State(ctx context.Context) (State, error) { return c.stateImpl(ctx) }

// Wait waits for the container to exit and returns how it ended. It may be
// called any number of times, from any goroutine, before or after the
// exit, and from another process than the one that started it. The exit
// code is data, not an error; ctx cancels only the waiting. As Docker's
// wait, it returns when the run it waited for ends, even when the
// restart policy starts the container again; called while the container
// is restarting, it waits for the next run to end. Of a container that is
// gone (AutoRemove removes it as it exits, maybe before Wait looks), it
// returns how its last run ended as its die event recorded it, the code
// and the time (while the event log keeps it), else ErrNotFound.
func (c *Container) Wait(ctx context.Context) (ExitStatus, error) { return c.waitImpl(ctx) }

// Signal sends sig to the container's init. It fails with ErrNotRunning
// when the container is not running. As docker kill, it is the user's
// stop: the restart policy does not start the container again once it
// exits, until a user's start; a container that is restarting stays
// exited, and the signal goes nowhere. A paused container is unpaused
// after SIGKILL or its stop signal (after any signal when neither its
// config nor its image names one), as Docker does, so that it gets the
// signal; another signal waits for Unpause.
func (c *Container) Signal(ctx context.Context, sig syscall.Signal) error {
	return c.signalImpl(ctx, sig)
}

// Stop sends the stop signal (the config's, else the image's, else
// SIGTERM), waits up to timeout for the container to exit, then kills it.
// A negative timeout means the config's StopTimeout, else 10 seconds. It
// returns once the container has exited. The restart policy does not
// start it again (see Signal); a restarting container is left exited.
func (c *Container) Stop(ctx context.Context, timeout time.Duration) error {
	return c.stopImpl(ctx, timeout)
}

// Restart stops the container when it runs (as Stop, with timeout) and
// starts it again detached (StartDetached), as docker restart does: the
// restarted container outlives the program, whoever started it before.
// A container made with AutoRemove is kept through the restart, as
// Docker keeps it: its exit here is not its end.
func (c *Container) Restart(ctx context.Context, timeout time.Duration) error {
	return c.restartImpl(ctx, timeout)
}

// restartingMarker is the file in a container's directory while Restart
// stops it: whoever sees it exit (the engine or its monitor) leaves an
// AutoRemove container in place.
const restartingMarker = "restarting"

// stoppedMarker is the file in a container's directory once its user
// stopped it (Stop, Kill, Signal, Remove, Restart): its restart policy
// no longer starts it, until a user's start (Start, StartDetached,
// Restart) removes it. Docker's "manually stopped".
const stoppedMarker = "stopped"

// Remove deletes the container: its writable layer, logs, state and
// cgroup. A running or restarting container is refused with ErrRunning
// unless RemoveForce is given, which kills it first, or ends the wait of
// its restart policy. Volumes are kept, unless RemoveVolumes is given:
// then the anonymous ones go too. A container removed meanwhile (its
// AutoRemove, as it exited) is ErrNotFound, unless this Remove killed
// it: then its removal is the one asked for.
func (c *Container) Remove(ctx context.Context, opts ...RemoveOption) error {
	return c.removeImpl(ctx, opts...)
}

// Pause freezes every process of the container (cgroup freezer).
func (c *Container) Pause(ctx context.Context) error { return c.pauseImpl(ctx) }

// Unpause thaws a paused container.
func (c *Container) Unpause(ctx context.Context) error { return c.unpauseImpl(ctx) }

// Stats reads the container's memory, CPU and process counts from its
// cgroup. It works while the container runs and after it exited, until
// it is removed. Once no process is left, Memory.Usage is 0, as in
// docker stats (the cgroup may still be charged for the page cache of
// the files written); MaxUsage and the CPU times keep what was used.
func (c *Container) Stats(ctx context.Context) (*Stats, error) { return c.statsImpl(ctx) }

// Resize sets the size of the container's terminal. It needs a container
// with Config.Tty that runs: started by this process, or detached (then
// from any process, through its monitor, and it returns once the monitor
// has set the size).
func (c *Container) Resize(size WindowSize) error { return c.resizeImpl(size) }

// Kill sends SIGKILL to the container's init; every process of the
// container dies with it.
func (c *Container) Kill(ctx context.Context) error { return c.Signal(ctx, syscall.SIGKILL) }
