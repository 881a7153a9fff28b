package dock

import (
	"context"
	"fmt"

	"github.com/go-dock/dock/internal/cgroup"
)

// Update changes the container's resource limits, as docker update does,
// whatever its state: a running (or paused) container's cgroup gets them
// at once, and every later start keeps them. A zero field keeps the
// current value; PIDs -1 and MemorySwap -1 lift those limits, as at
// create. Memory above a MemorySwap set before needs a new MemorySwap
// too, as in Docker (a MemorySwap left to its default, twice Memory,
// follows Memory). The result is checked as at create (ErrInvalid). A
// BlkioWeight the host cannot apply is discarded with Docker's warning,
// as Create discards it; the warnings are returned. UpdateRestartPolicy
// changes the restart policy too (docker update --restart).
//
// The container's record stays as Create wrote it: the new limits and
// policy are kept beside it, and Inspect shows them in Config.
func (c *Container) Update(ctx context.Context, r Resources, opts ...UpdateOption) (warnings []string, err error) {
	var o updateOptions
	for _, opt := range opts {
		opt(&o)
	}
	if r.BlkioWeight != 0 && !cgroup.Probe().BlkioWeight {
		warnings = append(warnings, "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.")
		r.BlkioWeight = 0
	}
	var rec *containerRecord
	err = c.e.locked(func() error {
		var err error
		if rec, err = c.record(); err != nil {
			return err
		}
		res, err := updatedResources(rec.Config.Resources, r)
		if err != nil {
			return err
		}
		if err := validateResources(&res); err != nil {
			return err
		}
		if err := validateBlkio(&res); err != nil {
			return err
		}
		if o.restart != nil {
			cfg := rec.Config
			cfg.RestartPolicy = *o.restart
			if err := validateRestartPolicy(&cfg); err != nil {
				if cfg.AutoRemove {
					return invalidf("Restart policy cannot be updated because AutoRemove is enabled for the container")
				}
				return err
			}
		}
		if err := c.applyResources(ctx, res); err != nil {
			return err
		}
		err = c.changeSettings(func(s *containerSettings) {
			s.Resources = &res
			if o.restart != nil {
				s.RestartPolicy = o.restart
			}
		})
		if err != nil {
			return err
		}
		rec.Config.Resources = res
		return nil
	})
	if err != nil {
		return warnings, fmt.Errorf("update container %s: %w", c.id[:12], err)
	}
	c.emit(rec, "update")
	return warnings, nil
}

// UpdateOption is an option of Container.Update.
type UpdateOption func(*updateOptions)

type updateOptions struct {
	restart *RestartPolicy
}

// UpdateRestartPolicy makes Update set the container's restart policy
// (docker update --restart), checked as at create: a container made with
// AutoRemove takes none. A running detached container started with a
// policy other than no gets the new one at its next exit (its monitor
// hands the exit to the policy's program, which reads it; an on-failure
// policy it started with still lets an exit with status 0 go); one
// started without a policy, and an attached one, get it from their next
// start.
func UpdateRestartPolicy(p RestartPolicy) UpdateOption {
	return func(o *updateOptions) { o.restart = &p }
}

// updatedResources lays the set fields of r over cur.
func updatedResources(cur, r Resources) (Resources, error) {
	out := cur
	if r.Memory != 0 {
		if r.MemorySwap == 0 && cur.MemorySwap > 0 && r.Memory > cur.MemorySwap {
			return out, invalidf("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
		}
		out.Memory = r.Memory
	}
	if r.MemorySwap != 0 {
		out.MemorySwap = r.MemorySwap
	}
	if r.MemoryReservation != 0 {
		out.MemoryReservation = r.MemoryReservation
	}
	if r.CPUs != 0 {
		out.CPUs = r.CPUs
	}
	if r.CPUShares != 0 {
		out.CPUShares = r.CPUShares
	}
	if r.CpusetCpus != "" {
		out.CpusetCpus = r.CpusetCpus
	}
	if r.CpusetMems != "" {
		out.CpusetMems = r.CpusetMems
	}
	if r.PIDs != 0 {
		out.PIDs = r.PIDs
	}
	if r.BlkioWeight != 0 {
		out.BlkioWeight = r.BlkioWeight
	}
	return out, nil
}
