package dock

import (
	"context"
	"time"
)

// RestartPolicy says when a container is started again after its process
// exits, as docker run --restart does. There is no daemon: the monitor of
// a detached container applies it when the container exits (for an
// attached one, the program that waits for it hands it to a process of
// its own), waiting Docker's back-off between two starts: 100 ms, doubled
// after each run shorter than 10 s, at most a minute. While it waits the
// container is StatusRestarting. Each start of the policy is a detached
// one (StartDetached), with a new monitor, and counts in
// State.RestartCount.
//
// A container the user stopped (Stop, Kill or Signal, Remove, Restart,
// while it runs or while it waits to restart) is not started again until
// it is started by Start, StartDetached or Restart, which also set
// RestartCount back to 0. After a reboot nothing runs until the program
// calls Engine.RestoreContainers, which starts what Docker's daemon
// starts when it starts.
type RestartPolicy struct {
	// Name is "no" (or empty, the default: never), "always",
	// "unless-stopped" (as always here; they differ in what
	// RestoreContainers starts) or "on-failure" (when the process exited
	// with a status other than 0).
	Name string `json:"name,omitempty"`
	// MaximumRetryCount bounds the restarts of on-failure, 0 meaning no
	// bound; the other policies take none.
	MaximumRetryCount int `json:"maximumRetryCount,omitempty"`
}

// The restart policies' names, Docker's.
const (
	RestartNo            = "no"
	RestartAlways        = "always"
	RestartUnlessStopped = "unless-stopped"
	RestartOnFailure     = "on-failure"
)

// IsNone reports whether the policy never restarts.
func (p RestartPolicy) IsNone() bool { return p.Name == "" || p.Name == RestartNo }

// validateRestartPolicy checks the policy with Docker's messages, and
// refuses it with AutoRemove, as dockerd does.
func validateRestartPolicy(cfg *Config) error {
	p := cfg.RestartPolicy
	switch p.Name {
	case "", RestartNo, RestartAlways, RestartUnlessStopped:
		if p.MaximumRetryCount != 0 {
			msg := "invalid restart policy: maximum retry count can only be used with 'on-failure'"
			if p.MaximumRetryCount < 0 {
				msg += " and cannot be negative"
			}
			return invalidf("%s", msg)
		}
	case RestartOnFailure:
		if p.MaximumRetryCount < 0 {
			return invalidf("invalid restart policy: maximum retry count cannot be negative")
		}
	default:
		return invalidf("invalid restart policy: unknown policy '%s'; use one of '%s', '%s', '%s', or '%s'",
			p.Name, RestartNo, RestartAlways, RestartOnFailure, RestartUnlessStopped)
	}
	if cfg.AutoRemove && !p.IsNone() {
		return invalidf("can't create 'AutoRemove' container with restart policy")
	}
	return nil
}

// restarts reports whether the policy starts the container again after
// it exited with code, restarted count times already, unless the user
// stopped it (Docker's restart manager, whose stop cancels it).
func (p RestartPolicy) restarts(code int, stopped bool, count int) bool {
	switch {
	case stopped || p.IsNone():
		return false
	case p.Name == RestartOnFailure:
		return code != 0 && (p.MaximumRetryCount == 0 || count < p.MaximumRetryCount)
	}
	return true
}

// restoredAtBoot reports whether RestoreContainers starts an exited
// container: what dockerd starts when it starts. always even when the
// user stopped it, unless-stopped unless they did; on-failure when its
// last run failed, within its count, unless the user stopped it.
func (p RestartPolicy) restoredAtBoot(code int, stopped bool, count int) bool {
	switch p.Name {
	case RestartAlways:
		return true
	case RestartUnlessStopped:
		return !stopped
	}
	return p.restarts(code, stopped, count)
}

// The back-off of the restart policy, Docker's restart manager's.
const (
	restartBackoffFirst = 100 * time.Millisecond
	restartBackoffMax   = time.Minute
	// A run at least this long starts the back-off afresh.
	restartBackoffReset = 10 * time.Second
)

// nextBackoff is the wait before a restart, after the wait prev before
// the last one and a run of ran.
func nextBackoff(prev, ran time.Duration) time.Duration {
	if ran >= restartBackoffReset || prev <= 0 {
		return restartBackoffFirst
	}
	return min(2*prev, restartBackoffMax)
}

// RestoreContainers starts, detached, the containers that Docker's daemon
// starts when it starts (after a reboot, say): those not running whose
// restart policy is always, unless-stopped unless the user stopped them,
// or on-failure when their last run failed (within its count) unless
// the user stopped them. With no daemon, nothing does it by itself:
// call it once the machine is up (from a boot unit, or when a daemon
// over the engine starts). It starts each as StartDetached does
// (RestartCount back to 0), goes on past a container that fails to
// start, and returns the IDs of those it started with the errors of the
// others, joined.
func (e *Engine) RestoreContainers(ctx context.Context) ([]string, error) {
	return e.restoreContainersImpl(ctx)
}
