package dock

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-dock/dock/internal/cgroup"
)

// Each container has a cgroup, dock/<id> in every hierarchy (cgroup v1,
// the hybrid layout or v2, behind internal/cgroup's Manager), made with
// its limits when it starts (cgroupResources, in config.go, turns
// Config.Resources into them) and removed with the container: Stats, Pause and Unpause work on
// it, and Kill falls back to it.

// cgroupPath is the container's cgroup, relative to each hierarchy.
func cgroupPath(id string) string { return "dock/" + id }

// newCgroup makes the container's cgroup with its limits, in two stages
// (see cgroup.NewStaged): it returns the function that makes the rest.
// The cgroup of a container that ran before is replaced. It finds the
// host devices of the container (for l, and for the device rules) and
// those its block I/O limits name, as they are now. The caller holds the
// engine's lock: the resources are read again under it, so that an
// Update that came before is in, and one that comes after finds the
// cgroup to change.
func (c *Container) newCgroup(l *launch) (cgroup.Manager, func() error, error) {
	r, err := c.currentResources(l.rec.Config.Resources)
	if err != nil {
		return nil, nil, err
	}
	res, err := containerCgroup(l, r)
	if err != nil {
		return nil, nil, err
	}
	if old, err := cgroup.Load(cgroupPath(c.id)); err == nil {
		old.Kill()
		old.Destroy()
	}
	return cgroup.NewStaged(cgroupPath(c.id), res)
}

// currentResources is r, the record's, or the resources an Update set
// since (settings.json).
func (c *Container) currentResources(r Resources) (Resources, error) {
	s, err := c.e.readSettings(c.id)
	if err != nil {
		return r, err
	}
	if s.Resources != nil {
		r = *s.Resources
	}
	return r, nil
}

// containerCgroup is the cgroup of l's container with the resources r:
// as cgroupResources makes them, with the rules that allow its devices
// and its own device rules after the default allowlist (not when
// privileged: every device is allowed), and the throttles of its block
// devices. Resolving the devices sets l.devices.
func containerCgroup(l *launch, r Resources) (cgroup.Resources, error) {
	cfg := &l.rec.Config
	res := cgroupResources(r, cfg.Privileged)
	var err error
	if l.devices, err = resolveDevices(cfg.Devices); err != nil {
		return res, err
	}
	if !cfg.Privileged {
		res.Devices = append(res.Devices, deviceRules(l.devices, cfg.DeviceCgroupRules)...)
	}
	if res.Throttles, err = resolveThrottles(&r); err != nil {
		return res, err
	}
	return res, nil
}

// applyResources writes r to the container's cgroup, when it has one
// (it has run, or is starting). A failure matters only while it runs:
// otherwise the next start makes the cgroup anew.
func (c *Container) applyResources(ctx context.Context, r Resources) error {
	cg, err := cgroup.Load(cgroupPath(c.id))
	if err != nil {
		return nil
	}
	// Devices and throttles stay as they are (none in cgroupResources
	// when privileged).
	err = cg.Apply(cgroupResources(r, true))
	if err == nil {
		return nil
	}
	if st, serr := c.State(ctx); serr == nil && st.Status != StatusRunning && st.Status != StatusPaused {
		return nil
	}
	if errors.Is(err, cgroup.ErrInvalid) {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	return err
}

func (c *Container) pauseImpl(ctx context.Context) error { return c.setFrozen(ctx, true) }

func (c *Container) unpauseImpl(ctx context.Context) error { return c.setFrozen(ctx, false) }

// setFrozen freezes a running container (cgroup freezer), or thaws a
// paused one, and records its new status.
func (c *Container) setFrozen(ctx context.Context, freeze bool) error {
	verb, from, to := "pause", StatusRunning, StatusPaused
	if !freeze {
		verb, from, to = "unpause", StatusPaused, StatusRunning
	}
	return c.e.locked(func() error {
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		if st.Status != from {
			if freeze {
				return fmt.Errorf("pause container %s: %w", c.id[:12], ErrNotRunning)
			}
			return fmt.Errorf("unpause container %s: not paused: %w", c.id[:12], ErrInvalid)
		}
		cg, err := cgroup.Load(cgroupPath(c.id))
		if err == nil {
			if freeze {
				err = cg.Freeze()
			} else {
				err = cg.Thaw()
			}
		}
		if err != nil {
			return fmt.Errorf("%s container %s: %w", verb, c.id[:12], err)
		}
		st.Status = to
		if err := c.writeState(st); err != nil {
			return err
		}
		c.emit(nil, verb)
		return nil
	})
}
