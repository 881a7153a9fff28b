package dock

import (
	"strconv"
	"strings"
	"time"
)

// Stats is a snapshot of a container's resource use, from its cgroup and
// its network namespace. A value the kernel does not provide is 0.
type Stats struct {
	Memory MemoryStats
	CPU    CPUStats
	PIDs   PIDsStats
	// Networks counts the traffic of each interface of the container's
	// network namespace, by the interface's name in it ("eth0"),
	// loopback left out as Docker does; empty with Network "none" (only
	// loopback) or "host" (the host's interfaces are not the
	// container's), nil once the container has stopped. With
	// "container:NAME" they are that container's interfaces, which this
	// one shares.
	Networks map[string]NetworkStats
	// BlockIO counts the I/O on block devices (Docker's blkio_stats).
	BlockIO BlockIOStats
}

// NetworkStats are an interface's counters, as /proc/net/dev has them
// (Docker's per-interface networks stats).
type NetworkStats struct {
	RxBytes, RxPackets, RxErrors, RxDropped uint64
	TxBytes, TxPackets, TxErrors, TxDropped uint64
}

// BlockIOStats counts a container's I/O per block device, from the blkio
// (cgroup v1) or io (cgroup v2) controller.
type BlockIOStats struct {
	// ServiceBytes are the bytes transferred (Docker's
	// io_service_bytes_recursive). On cgroup v1 the ops are the
	// kernel's ("Read", "Write", "Sync", "Async", "Discard", "Total"),
	// on v2 "read" and "write": Docker reports them so, and its clients
	// compare ops without case.
	ServiceBytes []BlockIOEntry
	// Serviced are the I/O operations, with the same ops (Docker's
	// io_serviced_recursive; Docker leaves it out on v2).
	Serviced []BlockIOEntry
}

// BlockIOEntry is one counter of one block device.
type BlockIOEntry struct {
	Major, Minor uint64
	Op           string
	Value        uint64
}

// ReadWrite sums the bytes read and written over all devices, as docker
// stats shows them in BLOCK I/O.
func (b BlockIOStats) ReadWrite() (read, written uint64) {
	for _, e := range b.ServiceBytes {
		switch strings.ToLower(e.Op) {
		case "read":
			read += e.Value
		case "write":
			written += e.Value
		}
	}
	return read, written
}

// RxTx sums the bytes received and sent over all interfaces, as docker
// stats shows them in NET I/O.
func (s *Stats) RxTx() (rx, tx uint64) {
	for _, n := range s.Networks {
		rx += n.RxBytes
		tx += n.TxBytes
	}
	return rx, tx
}

// MemoryStats are in bytes. Usage includes the page cache.
type MemoryStats struct {
	Usage uint64
	// MaxUsage is the peak usage (cgroup v2: kernel 5.19 or later).
	MaxUsage uint64
	// Limit is the memory limit; 0 means unlimited.
	Limit uint64
}

// CPUStats is the CPU time used, in total and in user and kernel mode.
type CPUStats struct {
	Usage, User, System time.Duration
}

// PIDsStats counts tasks (threads included, as the kernel does).
type PIDsStats struct {
	Current uint64
	// Limit is the largest number allowed; 0 means unlimited.
	Limit uint64
}

// parseNetDev parses /proc/net/dev: two header lines, then per interface
// "name: rx_bytes rx_packets rx_errs rx_drop fifo frame compressed
// multicast tx_bytes tx_packets tx_errs tx_drop ...". Loopback is left out,
// as Docker counts only the container's endpoints. Lines that do not
// parse are skipped.
func parseNetDev(data []byte) map[string]NetworkStats {
	out := map[string]NetworkStats{}
	for line := range strings.Lines(string(data)) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		f := strings.Fields(rest)
		if name == "lo" || name == "" || len(f) < 12 {
			continue
		}
		var n [12]uint64
		valid := true
		for i := range n {
			v, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				valid = false
				break
			}
			n[i] = v
		}
		if !valid {
			continue
		}
		out[name] = NetworkStats{
			RxBytes: n[0], RxPackets: n[1], RxErrors: n[2], RxDropped: n[3],
			TxBytes: n[8], TxPackets: n[9], TxErrors: n[10], TxDropped: n[11],
		}
	}
	return out
}
