package dock

import (
	"fmt"
	"math"

	"github.com/go-dock/dock/internal/cgroup"
)

// cpuPeriod is the CFS period used for Resources.CPUs, Docker's.
const cpuPeriod = 100000

// cgroupResources turns Resources into cgroup limits with Docker's
// defaults: swap twice the memory limit unless set, CPUs as a quota over a
// 100 ms period, and the device allowlist unless privileged; and with
// podman's pids limit, DefaultPIDs, unless set.
func cgroupResources(r Resources, privileged bool) cgroup.Resources {
	out := cgroup.Resources{
		Memory:            r.Memory,
		MemorySwap:        r.MemorySwap,
		MemoryReservation: r.MemoryReservation,
		CPUShares:         r.CPUShares,
		CpusetCpus:        r.CpusetCpus,
		CpusetMems:        r.CpusetMems,
		PIDs:              r.PIDs,
	}
	if r.PIDs == 0 {
		out.PIDs = DefaultPIDs
	}
	if r.Memory > 0 && r.MemorySwap == 0 {
		out.MemorySwap = 2 * r.Memory
	}
	if r.CPUs > 0 {
		out.CPUQuota = int64(math.Round(r.CPUs * cpuPeriod))
		out.CPUPeriod = cpuPeriod
	}
	if !privileged {
		out.Devices = cgroup.DefaultDevices()
	}
	return out
}

func validateResources(r *Resources) error {
	if r.CPUs < 0 || r.CPUs > 1<<16 || math.IsNaN(r.CPUs) {
		return invalidf("cpus %v: out of range", r.CPUs)
	}
	if r.MemorySwap > 0 && r.Memory == 0 {
		return invalidf("memory-swap %d needs a memory limit", r.MemorySwap)
	}
	if err := cgroup.Validate(cgroupResources(*r, false)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// rlimitByName maps Docker's ulimit names to Linux's RLIMIT_* numbers.
var rlimitByName = map[string]int{
	"cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5,
	"nproc": 6, "nofile": 7, "memlock": 8, "as": 9, "locks": 10,
	"sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
}
