package dock

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/go-dock/dock/internal/cgroup"
	"github.com/go-dock/dock/internal/procstat"
)

func (c *Container) statsImpl(ctx context.Context) (*Stats, error) {
	cg, err := cgroup.Load(cgroupPath(c.id))
	if err != nil {
		return nil, fmt.Errorf("stats: %w: %w", ErrNotRunning, err)
	}
	s, err := cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	if procs, err := cg.Procs(); err == nil && len(procs) == 0 {
		// What the cgroup still has charged once its processes are
		// gone is the page cache of the files they wrote, which the
		// kernel takes back when it needs it: no memory in use, as
		// docker stats shows for a stopped container.
		s.Memory.Usage = 0
	}
	out := &Stats{
		Memory:  MemoryStats{Usage: s.Memory.Usage, MaxUsage: s.Memory.MaxUsage, Limit: s.Memory.Limit},
		CPU:     CPUStats{Usage: time.Duration(s.CPU.Usage), User: time.Duration(s.CPU.User), System: time.Duration(s.CPU.System)},
		PIDs:    PIDsStats{Current: s.PIDs.Current, Limit: s.PIDs.Limit},
		BlockIO: BlockIOStats{ServiceBytes: blockIOEntries(s.BlockIO.ServiceBytes), Serviced: blockIOEntries(s.BlockIO.Serviced)},
	}
	if out.Networks, err = c.networkStats(); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return out, nil
}

func blockIOEntries(in []cgroup.BlkioEntry) []BlockIOEntry {
	out := make([]BlockIOEntry, len(in))
	for i, e := range in {
		out[i] = BlockIOEntry(e)
	}
	return out
}

// networkStats reads the interfaces' counters of the container's network
// namespace from /proc/PID/net/dev of its init: /proc/PID/net shows the
// namespace of PID, whichever namespace the reader is in. Nil when the
// container does not run.
func (c *Container) networkStats() (map[string]NetworkStats, error) {
	st, err := c.readState()
	if err != nil {
		return nil, err
	}
	if st.Pid == 0 || (st.Status != StatusRunning && st.Status != StatusPaused) {
		return nil, nil
	}
	rec, err := c.knownRecord()
	if err != nil {
		return nil, err
	}
	if rec.Config.Network == nsHost {
		// The host's interfaces carry the host's traffic, not the
		// container's: Docker shows none.
		return map[string]NetworkStats{}, nil
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(st.Pid) + "/net/dev")
	if err != nil || !procstat.Alive(st.Pid, st.PidStart) {
		// It exited meanwhile (or the PID is another process's now).
		return nil, nil
	}
	return parseNetDev(data), nil
}
