package dockerapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/go-dock/dock"
)

// statsInterval is the time between two samples of a stats stream, and
// between the two samples of a single answer (Docker's second).
const statsInterval = time.Second

// containerStats is GET /containers/{id}/stats?stream=&one-shot=:
// Docker's StatsResponse, once a second while streaming (the default),
// else once. Each sample carries the one before in precpu_stats, so that
// docker stats computes the CPU percentage: a single answer waits for a
// second sample unless one-shot asks for the first at once. A container
// that is not running gets one sample, as in Docker.
func (s *server) containerStats(w http.ResponseWriter, r *http.Request) {
	stream := true
	if r.URL.Query().Get("stream") != "" {
		stream = boolValue(r, "stream")
	}
	oneShot := boolValue(r, "one-shot")
	if stream && oneShot {
		writeError(w, r, badRequest("cannot have stream=true and one-shot=true"))
		return
	}
	c, err := s.container(r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	info, err := c.Inspect(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx := r.Context()
	var prev *container.StatsResponse
	if !stream && !oneShot && running(info) {
		if prev, err = s.statsSample(ctx, c, info); err != nil {
			writeError(w, r, err)
			return
		}
		if !sleep(ctx, statsInterval) {
			return
		}
	}
	out := newJSONStream(w, "application/json")
	tick := time.NewTicker(statsInterval)
	defer tick.Stop()
	for {
		cur, err := s.statsSample(ctx, c, info)
		if err != nil {
			// Removed meanwhile, or the client is gone: the stream ends.
			if !errors.Is(err, context.Canceled) {
				s.log.Debug("stats", "container", c.ID(), "err", err)
			}
			return
		}
		if prev != nil {
			cur.PreRead, cur.PreCPUStats = prev.Read, prev.CPUStats
		}
		if out.Send(cur) != nil || !stream || !running(info) {
			return
		}
		prev = cur
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if info, err = c.Inspect(ctx); err != nil {
			return
		}
	}
}

// statsSample is one sample of the container's cgroup, in Docker's shape.
// A container that does not run has zeros, as Docker shows it.
func (s *server) statsSample(ctx context.Context, c *dock.Container, info *dock.Info) (*container.StatsResponse, error) {
	resp := &container.StatsResponse{ID: info.ID, Name: "/" + info.Name, OSType: "linux", Read: time.Now()}
	if !running(info) {
		return resp, nil
	}
	st, err := c.Stats(ctx)
	if err != nil {
		return nil, err
	}
	resp.CPUStats = container.CPUStats{
		CPUUsage: container.CPUUsage{
			TotalUsage:        uint64(st.CPU.Usage),
			UsageInUsermode:   uint64(st.CPU.User),
			UsageInKernelmode: uint64(st.CPU.System),
		},
		SystemUsage: systemCPUUsage(resp.Read),
		OnlineCPUs:  uint32(runtime.NumCPU()),
	}
	resp.MemoryStats = container.MemoryStats{Usage: st.Memory.Usage, MaxUsage: st.Memory.MaxUsage, Limit: st.Memory.Limit}
	if resp.MemoryStats.Limit == 0 {
		// Docker shows the host's memory as the limit of an unlimited
		// container; docker stats divides by it.
		resp.MemoryStats.Limit = hostMemory()
	}
	resp.PidsStats = container.PidsStats{Current: st.PIDs.Current, Limit: st.PIDs.Limit}
	if st.Networks != nil {
		resp.Networks = make(map[string]container.NetworkStats, len(st.Networks))
		for name, n := range st.Networks {
			resp.Networks[name] = container.NetworkStats{
				RxBytes: n.RxBytes, RxPackets: n.RxPackets, RxErrors: n.RxErrors, RxDropped: n.RxDropped,
				TxBytes: n.TxBytes, TxPackets: n.TxPackets, TxErrors: n.TxErrors, TxDropped: n.TxDropped,
			}
		}
	}
	resp.BlkioStats = container.BlkioStats{
		IoServiceBytesRecursive: blkioEntries(st.BlockIO.ServiceBytes),
		IoServicedRecursive:     blkioEntries(st.BlockIO.Serviced),
	}
	return resp, nil
}

// blkioEntries are Docker's blkio counters; nil for none, as Docker
// leaves out what the kernel does not count.
func blkioEntries(es []dock.BlockIOEntry) []container.BlkioStatEntry {
	if es == nil {
		return nil
	}
	out := make([]container.BlkioStatEntry, 0, len(es))
	for _, e := range es {
		out = append(out, container.BlkioStatEntry{Major: e.Major, Minor: e.Minor, Op: e.Op, Value: e.Value})
	}
	return out
}

// systemCPUUsage is the host's CPU time in nanoseconds, all CPUs
// together, from /proc/stat as Docker reads it; where there is none, the
// wall time since the epoch times the CPUs (what the CPU percentage
// divides by: its deltas are the same).
func systemCPUUsage(now time.Time) uint64 {
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 8 || fields[0] != "cpu" {
				continue
			}
			var ticks uint64
			for _, f := range fields[1:8] {
				n, err := strconv.ParseUint(f, 10, 64)
				if err != nil {
					ticks = 0
					break
				}
				ticks += n
			}
			if ticks > 0 {
				const userHZ = 100 // the kernel's USER_HZ on every architecture Linux has
				return ticks * (uint64(time.Second) / userHZ)
			}
		}
	}
	return uint64(now.UnixNano()) * uint64(runtime.NumCPU())
}

// hostMemory is the host's memory in bytes (MemTotal), 0 if unknown.
func hostMemory() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				if kb, err := strconv.ParseUint(f[0], 10, 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}

// sleep waits d, false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
