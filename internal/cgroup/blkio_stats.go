package cgroup

import (
	"bufio"
	"strconv"
	"strings"
)

// Block I/O accounting: what the blkio (v1) or io (v2) controller counts
// per device, kept in the shape Docker's stats report (blkio_stats).

// BlkioStats counts the I/O of a cgroup and its descendants per block
// device.
type BlkioStats struct {
	// ServiceBytes are the bytes transferred. On v1 the ops are the
	// kernel's words ("Read", "Write", "Sync", "Async", "Discard",
	// "Total", from blkio.throttle.io_service_bytes_recursive); on v2
	// they are "read" and "write" (io.stat rbytes and wbytes), as Docker
	// reports them.
	ServiceBytes []BlkioEntry
	// Serviced are the I/O operations, with the ops of ServiceBytes (v1
	// blkio.throttle.io_serviced_recursive, v2 io.stat rios and wios).
	Serviced []BlkioEntry
}

// BlkioEntry is one counter of one device.
type BlkioEntry struct {
	Major, Minor uint64
	Op           string
	Value        uint64
}

// parseV1Blkio parses a v1 blkio.throttle.io_service* file: lines
// "MAJ:MIN Op N", then a "Total N" line over all devices, which is left
// out (Docker leaves it out too: it sums the devices' lines). Lines that
// do not parse are skipped: the kernel may add ops.
func parseV1Blkio(s string) []BlkioEntry {
	var out []BlkioEntry
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		major, minor, ok := parseDevNumber(f[0])
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, BlkioEntry{Major: major, Minor: minor, Op: f[1], Value: v})
	}
	return out
}

// parseV2IOStat parses v2 io.stat: lines "MAJ:MIN rbytes=N wbytes=N
// rios=N wios=N dbytes=N dios=N" (keys may be missing or added). Each
// device gives a "read" and a "write" entry of bytes and of operations,
// as Docker turns io.stat into blkio_stats.
func parseV2IOStat(s string) BlkioStats {
	var out BlkioStats
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		major, minor, ok := parseDevNumber(f[0])
		if !ok {
			continue
		}
		kv := map[string]uint64{}
		for _, p := range f[1:] {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				continue
			}
			if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				kv[k] = n
			}
		}
		entry := func(op, key string) BlkioEntry {
			return BlkioEntry{Major: major, Minor: minor, Op: op, Value: kv[key]}
		}
		out.ServiceBytes = append(out.ServiceBytes, entry("read", "rbytes"), entry("write", "wbytes"))
		out.Serviced = append(out.Serviced, entry("read", "rios"), entry("write", "wios"))
	}
	return out
}

// parseDevNumber parses "MAJ:MIN".
func parseDevNumber(s string) (major, minor uint64, ok bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, false
	}
	major, err1 := strconv.ParseUint(a, 10, 64)
	minor, err2 := strconv.ParseUint(b, 10, 64)
	return major, minor, err1 == nil && err2 == nil
}
