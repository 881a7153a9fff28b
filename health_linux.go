package dock

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/nsinit"
)

// healthHook adds the health checks to a detached container's monitor
// plan: the monitor keeps the schedule and runs this program in the hook
// mode "health" for each check (runHealthHook).
func healthHook(p *nsinit.Plan, c *Container, hc Healthcheck) {
	p.Health(selfExe(), []string{"dock-health"}, []string{nsinit.HookEnv + "=health " + c.id + " " + c.e.root},
		hc.Interval, hc.StartPeriod, hc.StartInterval, hc.Timeout)
}

// runHealthHook is the hook mode "health ID ROOT": one check of the
// container, recorded. Its exit status tells the monitor whether the
// container is still starting (nsinit.HealthStarting).
func runHealthHook(args string) int {
	id, root, _ := strings.Cut(args, " ")
	if !isID(id) || root == "" {
		return 2
	}
	if !isDir(filepath.Join(root, "containers", id)) {
		return 1 // removed, with its root maybe: Open must not make it again
	}
	e, err := Open(root)
	if err != nil {
		return 1
	}
	defer e.Close()
	c := &Container{e: e, id: id}
	h, err := c.checkHealthOnce(context.Background())
	if err != nil {
		return 1
	}
	if h != nil && h.Status == HealthStarting {
		return nsinit.HealthStarting
	}
	return 0
}

// checkHealthOnce runs one check of the running container and records it:
// none while it is paused (as Docker, which stops the checks then).
func (c *Container) checkHealthOnce(ctx context.Context) (*Health, error) {
	rec, err := c.record()
	if err != nil {
		return nil, err
	}
	hc := rec.Config.Healthcheck
	if !hc.active() {
		return nil, nil
	}
	st, err := c.State(ctx)
	if err != nil {
		return nil, err
	}
	h, err := c.readHealth()
	if err != nil {
		return nil, err
	}
	if h == nil {
		h = &Health{Status: HealthStarting}
	}
	if st.Status != StatusRunning {
		return h, nil
	}
	d := hc.withDefaults()
	was := h.Status
	h.record(c.runHealthCheck(ctx, d, rec.Shell), d, st.StartedAt)
	if ctx.Err() != nil {
		return h, ctx.Err() // stopped: the container exited meanwhile
	}
	if err := c.writeHealth(h); err != nil {
		return h, err
	}
	if h.Status != was {
		// As Docker: an event when the status changes.
		c.emit(rec, "health_status: "+string(h.Status))
	}
	return h, nil
}

// runHealthCheck runs the check's command in the container, as an exec
// with the container's user, environment and working directory, its
// output kept (4 KiB), killed after hc.Timeout.
func (c *Container) runHealthCheck(ctx context.Context, hc Healthcheck, shell []string) HealthResult {
	out := &limitedBuffer{}
	p := c.Exec(ExecConfig{Cmd: healthArgs(&hc, shell)})
	p.Stdout, p.Stderr = out, out
	r := HealthResult{Start: time.Now().UTC()}
	sctx, cancel := context.WithTimeout(ctx, healthExecStart)
	err := p.Start(sctx)
	cancel()
	if err != nil {
		r.End, r.ExitCode, r.Output = time.Now().UTC(), -1, err.Error()
		return r
	}
	wctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	st, err := p.Wait(wctx)
	cancel()
	if err != nil {
		p.kill()
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		p.Wait(kctx)
		cancel()
		r.End, r.ExitCode = time.Now().UTC(), -1
		r.Output = fmt.Sprintf("Health check exceeded timeout (%v)", hc.Timeout)
		if o := out.String(); o != "" {
			r.Output += ": " + o
		}
		return r
	}
	r.End, r.ExitCode, r.Output = time.Now().UTC(), st.Code, out.String()
	return r
}

// healthChecks runs an attached container's checks from the program that
// started it, on the schedule the monitor keeps for a detached one.
type healthChecks struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startHealthChecks starts the checks of a container started at started.
func (c *Container) startHealthChecks(hc Healthcheck, rec *containerRecord, started time.Time) *healthChecks {
	ctx, cancel := context.WithCancel(context.Background())
	h := &healthChecks{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		starting := true
		for {
			if !sleepCtx(ctx, healthInterval(hc, started, time.Now(), starting)) {
				return
			}
			health, err := c.checkHealthOnce(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				c.e.log.Warn("health check", "id", c.id[:12], "err", err)
			}
			starting = health != nil && health.Status == HealthStarting
		}
	}()
	return h
}

// stop ends the checks (one in progress is killed) and waits for them.
// Safe on nil.
func (h *healthChecks) stop() {
	if h == nil {
		return
	}
	h.cancel()
	<-h.done
}
