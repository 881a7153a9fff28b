package dock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"sync"
	"time"
)

// Health is a container's health, as its health checks (Config.Healthcheck,
// or its image's HEALTHCHECK) found it: docker inspect's State.Health.
// There is no daemon: while a detached container runs, its monitor runs
// each check at the interval, as an exec in the container (the check's
// program is the one that started the container, in a hook mode); for a
// container started attached (Start), the program that started it runs
// them, while it waits for the container. The result is kept in the
// container's directory, where Inspect reads it.
type Health struct {
	// Status is HealthStarting from each start until a check passes or
	// the failures reach Retries, then HealthHealthy or
	// HealthUnhealthy. It stays as it was once the container exits.
	Status HealthStatus `json:"status"`
	// FailingStreak counts the checks that failed since the last that
	// passed (those within the start period while starting excepted).
	FailingStreak int `json:"failingStreak"`
	// Log holds the last five checks, oldest first.
	Log []HealthResult `json:"log"`
}

// HealthStatus is a container's health, in Docker's words.
type HealthStatus string

const (
	HealthStarting  HealthStatus = "starting"
	HealthHealthy   HealthStatus = "healthy"
	HealthUnhealthy HealthStatus = "unhealthy"
)

// HealthResult is one health check.
type HealthResult struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// ExitCode is the check's: 0 passed, another failed; -1 when it did
	// not end within the timeout or could not run.
	ExitCode int `json:"exitCode"`
	// Output is the check's stdout and stderr, at most 4096 bytes (then
	// "..."), or why it failed to run.
	Output string `json:"output"`
}

// Docker's defaults and bounds of health checks.
const (
	defaultHealthInterval      = 30 * time.Second
	defaultHealthTimeout       = 30 * time.Second
	defaultHealthStartInterval = 5 * time.Second
	defaultHealthRetries       = 3
	healthLogEntries           = 5
	healthOutputMax            = 4096
	// healthExecStart bounds the start of a check's exec, which does not
	// count in its timeout (Docker's).
	healthExecStart = 30 * time.Second
)

// active reports whether the health check runs: its Test is CMD or
// CMD-SHELL with a command.
func (h *Healthcheck) active() bool {
	return h != nil && len(h.Test) > 1 && (h.Test[0] == "CMD" || h.Test[0] == "CMD-SHELL")
}

// withDefaults returns the durations and retries that apply.
func (h *Healthcheck) withDefaults() Healthcheck {
	out := *h
	if out.Interval == 0 {
		out.Interval = defaultHealthInterval
	}
	if out.Timeout == 0 {
		out.Timeout = defaultHealthTimeout
	}
	if out.StartInterval == 0 {
		out.StartInterval = defaultHealthStartInterval
	}
	if out.Retries == 0 {
		out.Retries = defaultHealthRetries
	}
	return out
}

// validateHealthcheck checks the caller's health check with Docker's
// messages; a Test of another kind than NONE, CMD (with a command) and
// CMD-SHELL (with one) is refused too (Docker would ignore it).
func validateHealthcheck(h *Healthcheck) error {
	if h == nil {
		return nil
	}
	if len(h.Test) > 0 {
		switch h.Test[0] {
		case "NONE":
		case "CMD":
			if len(h.Test) < 2 {
				return invalidf("healthcheck test [CMD] has no command")
			}
		case "CMD-SHELL":
			if len(h.Test) != 2 {
				return invalidf("healthcheck test %q: CMD-SHELL takes one command line", h.Test)
			}
		default:
			return invalidf("healthcheck test %q: the first element must be NONE, CMD or CMD-SHELL", h.Test)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Interval", h.Interval}, {"Timeout", h.Timeout}, {"StartPeriod", h.StartPeriod}, {"StartInterval", h.StartInterval}} {
		if d.v != 0 && d.v < time.Millisecond {
			return invalidf("%s in Healthcheck cannot be less than 1ms", d.name)
		}
	}
	if h.Retries < 0 {
		return invalidf("Retries in Healthcheck cannot be negative")
	}
	return nil
}

// mergeHealthcheck is the health check a container gets, as dockerd
// merges it at create: the caller's, whose empty fields take the
// image's.
func mergeHealthcheck(user, image *Healthcheck) *Healthcheck {
	if user == nil {
		if image == nil {
			return nil
		}
		user = &Healthcheck{}
	}
	out := *user
	out.Test = slices.Clone(user.Test)
	if image == nil {
		return &out
	}
	if len(out.Test) == 0 {
		out.Test = slices.Clone(image.Test)
	}
	if out.Interval == 0 {
		out.Interval = image.Interval
	}
	if out.Timeout == 0 {
		out.Timeout = image.Timeout
	}
	if out.StartPeriod == 0 {
		out.StartPeriod = image.StartPeriod
	}
	if out.StartInterval == 0 {
		out.StartInterval = image.StartInterval
	}
	if out.Retries == 0 {
		out.Retries = image.Retries
	}
	return &out
}

// healthInterval is the wait before the next check, as Docker's health
// monitor has it (the monitor's C code keeps the same schedule): within
// the start period, the start interval while the container is starting,
// and never past the end of the start period.
func healthInterval(hc Healthcheck, started, now time.Time, starting bool) time.Duration {
	elapsed := now.Sub(started)
	if elapsed >= hc.StartPeriod {
		return hc.Interval
	}
	left := hc.StartPeriod - elapsed
	switch {
	case left < hc.Interval:
		return left
	case starting:
		return hc.StartInterval
	}
	return hc.Interval
}

// healthArgs is the command a check runs: CMD's arguments, or CMD-SHELL's
// command line after the image's shell (default /bin/sh -c).
func healthArgs(h *Healthcheck, shell []string) []string {
	if h.Test[0] == "CMD" {
		return slices.Clone(h.Test[1:])
	}
	if len(shell) == 0 {
		shell = []string{"/bin/sh", "-c"}
	}
	return append(slices.Clone(shell), h.Test[1:]...)
}

// record adds a check's result to the health, as Docker's health monitor
// does: a pass makes it healthy; a failure counts, unless the container
// is starting and the check began within the start period, and Retries
// of them make it unhealthy.
func (h *Health) record(r HealthResult, hc Healthcheck, started time.Time) {
	h.Log = append(h.Log, r)
	if n := len(h.Log); n > healthLogEntries {
		h.Log = slices.Clone(h.Log[n-healthLogEntries:])
	}
	if r.ExitCode == 0 {
		h.FailingStreak = 0
		h.Status = HealthHealthy
		return
	}
	if h.Status == HealthStarting && r.Start.Sub(started) < hc.StartPeriod {
		return
	}
	h.FailingStreak++
	if h.FailingStreak >= hc.Retries {
		h.Status = HealthUnhealthy
	}
}

// limitedBuffer keeps the first healthOutputMax bytes written to it, for
// both output streams of a check.
type limitedBuffer struct {
	mu        sync.Mutex
	b         bytes.Buffer
	truncated bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	keep := min(len(p), healthOutputMax-l.b.Len())
	l.b.Write(p[:keep])
	l.truncated = l.truncated || keep < len(p)
	return len(p), nil
}

// String is what was kept, and "..." when more was written.
func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.truncated {
		return l.b.String() + "..."
	}
	return l.b.String()
}

// healthFile is the container's file that holds its Health.
const healthFile = "health.json"

// readHealth reads the container's health: nil when no check was ever set
// up (a container that has never started).
func (c *Container) readHealth() (*Health, error) {
	data, err := c.readFile(healthFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h Health
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

func (c *Container) writeHealth(h *Health) error {
	if h.Log == nil {
		h.Log = []HealthResult{}
	}
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return c.e.writeFileAtomic(c.dir(healthFile), data, 0o600)
}

// resetHealth marks the container starting, as each start does when it
// has a health check; the log of earlier checks stays (as in Docker).
func (c *Container) resetHealth() error {
	h, err := c.readHealth()
	if err != nil || h == nil {
		h = &Health{}
	}
	h.Status, h.FailingStreak = HealthStarting, 0
	return c.writeHealth(h)
}

// Health returns the container's health: nil when it has no health
// check, or has never started with one.
func (c *Container) Health(ctx context.Context) (*Health, error) {
	rec, err := c.record()
	if err != nil {
		return nil, err
	}
	if !rec.Config.Healthcheck.active() {
		return nil, nil
	}
	return c.readHealth()
}
