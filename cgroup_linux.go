package dock

import (
	"context"
	"fmt"
	"time"

	"github.com/go-dock/dock/internal/cgroup"
)

// Each container has a cgroup, dock/<id> in every hierarchy (cgroup v1,
// the hybrid layout or v2, behind internal/cgroup's Manager), made with
// its limits when it starts (resources.go turns Config.Resources into
// them) and removed with the container: Stats, Pause and Unpause work on
// it, and Kill falls back to it.

// cgroupPath is the container's cgroup, relative to each hierarchy.
func cgroupPath(id string) string { return "dock/" + id }

// newCgroup makes the container's cgroup with its limits, in two stages
// (see cgroup.NewStaged): it returns the function that makes the rest.
// The cgroup of a container that ran before is replaced.
func (c *Container) newCgroup(rec *containerRecord) (cgroup.Manager, func() error, error) {
	if old, err := cgroup.Load(cgroupPath(c.id)); err == nil {
		old.Kill()
		old.Destroy()
	}
	return cgroup.NewStaged(cgroupPath(c.id), cgroupResources(rec.Config.Resources, rec.Config.Privileged))
}

func (c *Container) pauseImpl(ctx context.Context) error {
	return c.e.locked(func() error {
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		if st.Status != StatusRunning {
			return fmt.Errorf("pause container %s: %w", c.id[:12], ErrNotRunning)
		}
		cg, err := cgroup.Load(cgroupPath(c.id))
		if err != nil {
			return fmt.Errorf("pause container %s: %w", c.id[:12], err)
		}
		if err := cg.Freeze(); err != nil {
			return fmt.Errorf("pause container %s: %w", c.id[:12], err)
		}
		st.Status = StatusPaused
		return c.writeState(st)
	})
}

func (c *Container) unpauseImpl(ctx context.Context) error {
	return c.e.locked(func() error {
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		if st.Status != StatusPaused {
			return fmt.Errorf("unpause container %s: not paused: %w", c.id[:12], ErrInvalid)
		}
		cg, err := cgroup.Load(cgroupPath(c.id))
		if err != nil {
			return fmt.Errorf("unpause container %s: %w", c.id[:12], err)
		}
		if err := cg.Thaw(); err != nil {
			return fmt.Errorf("unpause container %s: %w", c.id[:12], err)
		}
		st.Status = StatusRunning
		return c.writeState(st)
	})
}

func (c *Container) statsImpl(ctx context.Context) (*Stats, error) {
	cg, err := cgroup.Load(cgroupPath(c.id))
	if err != nil {
		return nil, fmt.Errorf("stats: %w: %w", ErrNotRunning, err)
	}
	s, err := cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return &Stats{
		Memory: MemoryStats{Usage: s.Memory.Usage, MaxUsage: s.Memory.MaxUsage, Limit: s.Memory.Limit},
		CPU:    CPUStats{Usage: time.Duration(s.CPU.Usage), User: time.Duration(s.CPU.User), System: time.Duration(s.CPU.System)},
		PIDs:   PIDsStats{Current: s.PIDs.Current, Limit: s.PIDs.Limit},
	}, nil
}
