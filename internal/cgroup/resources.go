package cgroup

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Resources are the limits of a cgroup. The zero value of each field means
// "not set": New leaves the kernel default (unlimited) and Apply leaves the
// current value unchanged.
type Resources struct {
	// Memory is the memory limit in bytes (v1 memory.limit_in_bytes, v2
	// memory.max). When set it must be at least MinMemory.
	Memory int64
	// MemorySwap is the limit of memory plus swap in bytes, -1 for
	// unlimited swap. It needs Memory and must be at least Memory. On v2 it
	// becomes memory.swap.max = MemorySwap - Memory. Unlike Docker, 0 does
	// not mean "twice Memory": it means not set.
	MemorySwap int64
	// MemoryReservation is a soft limit in bytes (v1
	// memory.soft_limit_in_bytes, v2 memory.low). It must not exceed Memory.
	MemoryReservation int64

	// CPUQuota is the CPU time in microseconds the cgroup may use per
	// CPUPeriod, at least 1000; -1 sets it unlimited.
	CPUQuota int64
	// CPUPeriod is the CFS period in microseconds, 1000 to 1000000; 0 keeps
	// the kernel's (100000). On v2, where quota and period share cpu.max,
	// a CPUPeriod without CPUQuota also sets the quota to unlimited.
	CPUPeriod uint64
	// CPUShares is the relative CPU weight, 2 to 262144 (v1 cpu.shares; on
	// v2 converted to cpu.weight 1..10000 as runc does).
	CPUShares uint64

	// CpusetCpus and CpusetMems restrict the CPUs and NUMA nodes, in the
	// kernel's list format ("0-3,6"). Each listed CPU (node) must be online.
	CpusetCpus, CpusetMems string

	// PIDs is the maximum number of tasks; 0 or -1 means unlimited.
	PIDs int64

	// OOMKillDisable turns the OOM killer off for the cgroup (v1
	// memory.oom_control): at its memory limit its processes wait for
	// memory. cgroup v2 has no such switch: it is ignored there (see
	// Probe).
	OOMKillDisable bool

	// BlkioWeight is the relative block I/O weight, 10 to 1000 (v1
	// blkio.weight, or blkio.bfq.weight where only BFQ's is offered; v2
	// io.bfq.weight, or io.weight converted to 1..10000 as runc does).
	BlkioWeight uint16
	// Throttles limit the I/O of block devices, in bytes or operations
	// per second (v1 blkio.throttle.*_device, v2 io.max).
	Throttles []Throttle

	// Devices are device access rules applied in order, as OCI's
	// linux.resources.devices: the last rule matching an access decides.
	// Start with a deny-all rule ({Type: 'a', Access: "rwm"}) to make an
	// allowlist; DefaultDevices returns Docker's. Nil leaves device access
	// unchanged (unrestricted in a new cgroup).
	Devices []DeviceRule
}

// MinMemory is the smallest memory limit Validate accepts: 1 MiB. Docker
// refuses less than 6 MB; crun starts containers at 512 KiB. dock's own
// init needs far less than 1 MiB, so the floor only catches unit mistakes
// (a limit given in KiB or MiB instead of bytes).
const MinMemory = 1 << 20

// Kernel bounds of the CFS bandwidth settings, in microseconds.
const (
	minCPUQuota  = 1000
	minCPUPeriod = 1000
	maxCPUPeriod = 1000000
	minShares    = 2
	maxShares    = 262144
	maxCPUIndex  = 1 << 16 // far above any real machine; bounds list parsing
	defaultCFS   = 100000
)

// ErrInvalid is wrapped by every error of Validate.
var ErrInvalid = errors.New("invalid cgroup resources")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Validate checks r for values the kernel would refuse or that are surely
// mistakes, so that New can fail before it creates anything. Errors wrap
// ErrInvalid. On Linux it also checks that every CPU and memory node in
// CpusetCpus and CpusetMems is online.
func Validate(r Resources) error {
	return validate(r, onlineCPUs, onlineMems)
}

// validate is Validate with the online-CPU and -node probes as parameters
// (nil skips the check).
func validate(r Resources, cpus, mems func() (map[int]bool, error)) error {
	var errs []error
	switch {
	case r.Memory < 0:
		errs = append(errs, invalidf("memory limit %d is negative", r.Memory))
	case r.Memory > 0 && r.Memory < MinMemory:
		errs = append(errs, invalidf("memory limit %d bytes is below the minimum of %d (1 MiB)", r.Memory, MinMemory))
	}
	switch {
	case r.MemorySwap < -1:
		errs = append(errs, invalidf("memory+swap limit %d is negative (use -1 for unlimited)", r.MemorySwap))
	case r.MemorySwap != 0 && r.Memory == 0:
		errs = append(errs, invalidf("memory+swap limit %d needs a memory limit", r.MemorySwap))
	case r.MemorySwap > 0 && r.MemorySwap < r.Memory:
		errs = append(errs, invalidf("memory+swap limit %d is below the memory limit %d", r.MemorySwap, r.Memory))
	}
	switch {
	case r.MemoryReservation < 0:
		errs = append(errs, invalidf("memory reservation %d is negative", r.MemoryReservation))
	case r.Memory > 0 && r.MemoryReservation > r.Memory:
		errs = append(errs, invalidf("memory reservation %d is above the memory limit %d", r.MemoryReservation, r.Memory))
	}
	switch {
	case r.CPUQuota < -1:
		errs = append(errs, invalidf("cpu quota %d is negative (use -1 for unlimited)", r.CPUQuota))
	case r.CPUQuota > 0 && r.CPUQuota < minCPUQuota:
		errs = append(errs, invalidf("cpu quota %dus is below the kernel's minimum of %dus", r.CPUQuota, minCPUQuota))
	}
	if r.CPUPeriod != 0 && (r.CPUPeriod < minCPUPeriod || r.CPUPeriod > maxCPUPeriod) {
		errs = append(errs, invalidf("cpu period %dus is outside %d..%dus", r.CPUPeriod, minCPUPeriod, maxCPUPeriod))
	}
	if r.CPUShares != 0 && (r.CPUShares < minShares || r.CPUShares > maxShares) {
		errs = append(errs, invalidf("cpu shares %d is outside %d..%d", r.CPUShares, minShares, maxShares))
	}
	errs = append(errs, validateList("cpuset cpus", "cpu", r.CpusetCpus, cpus))
	errs = append(errs, validateList("cpuset mems", "memory node", r.CpusetMems, mems))
	if r.PIDs < -1 {
		errs = append(errs, invalidf("pids limit %d is negative (use 0 or -1 for unlimited)", r.PIDs))
	}
	if r.BlkioWeight != 0 && (r.BlkioWeight < minBlkioWeight || r.BlkioWeight > maxBlkioWeight) {
		errs = append(errs, invalidf("blkio weight %d is outside %d..%d", r.BlkioWeight, minBlkioWeight, maxBlkioWeight))
	}
	for _, t := range r.Throttles {
		if err := t.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	for i, d := range r.Devices {
		if err := d.validate(); err != nil {
			errs = append(errs, fmt.Errorf("device rule %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func validateList(what, item, list string, online func() (map[int]bool, error)) error {
	if list == "" {
		return nil
	}
	set, err := parseList(list)
	if err != nil {
		return invalidf("%s %q: %v", what, list, err)
	}
	if online == nil {
		return nil
	}
	have, err := online()
	if err != nil || have == nil {
		return nil // cannot tell; the kernel will refuse a bad value
	}
	for _, n := range sortedKeys(set) {
		if !have[n] {
			return invalidf("%s %q: %s %d is not online", what, list, item, n)
		}
	}
	return nil
}

// parseList parses the kernel's list format: comma-separated numbers and
// ranges "a-b" with a <= b.
func parseList(s string) (map[int]bool, error) {
	set := map[int]bool{}
	for part := range strings.SplitSeq(strings.TrimSpace(s), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseIndex(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseIndex(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("range %q is backwards", part)
			}
		}
		for i := a; i <= b; i++ {
			set[i] = true
		}
	}
	return set, nil
}

func parseIndex(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n >= maxCPUIndex {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return n, nil
}

func sortedKeys(m map[int]bool) []int {
	var ks []int
	for i := 0; i < maxCPUIndex && len(ks) < len(m); i++ {
		if m[i] {
			ks = append(ks, i)
		}
	}
	return ks
}

// write is one cgroup file write: value into file in the hierarchy of
// controller ctrl (v1; on v2 ctrl only documents where the file comes from).
type write struct {
	ctrl, file, value string
}

// v1Writes lists the cgroup v1 file writes for r, in order. curMemory is
// the current memory.limit_in_bytes; it decides the order of the memory and
// memory+swap writes, as the kernel keeps memsw >= memory at every step:
// when the new memsw limit is above the current memory limit, memsw is
// written first (raising), else memory first (lowering). Devices are not
// included; see v1DeviceWrites.
func v1Writes(r Resources, curMemory int64) []write {
	var w []write
	mem := write{"memory", "memory.limit_in_bytes", strconv.FormatInt(r.Memory, 10)}
	swap := write{"memory", "memory.memsw.limit_in_bytes", strconv.FormatInt(r.MemorySwap, 10)}
	switch {
	case r.Memory != 0 && r.MemorySwap != 0 && (r.MemorySwap == -1 || r.MemorySwap > curMemory):
		w = append(w, swap, mem)
	case r.Memory != 0 && r.MemorySwap != 0:
		w = append(w, mem, swap)
	case r.Memory != 0:
		w = append(w, mem)
	}
	if r.MemoryReservation != 0 {
		w = append(w, write{"memory", "memory.soft_limit_in_bytes", strconv.FormatInt(r.MemoryReservation, 10)})
	}
	if r.CPUPeriod != 0 {
		w = append(w, write{"cpu", "cpu.cfs_period_us", strconv.FormatUint(r.CPUPeriod, 10)})
	}
	if r.CPUQuota != 0 {
		w = append(w, write{"cpu", "cpu.cfs_quota_us", strconv.FormatInt(r.CPUQuota, 10)})
	}
	if r.CPUShares != 0 {
		w = append(w, write{"cpu", "cpu.shares", strconv.FormatUint(r.CPUShares, 10)})
	}
	if r.CpusetCpus != "" {
		w = append(w, write{"cpuset", "cpuset.cpus", r.CpusetCpus})
	}
	if r.CpusetMems != "" {
		w = append(w, write{"cpuset", "cpuset.mems", r.CpusetMems})
	}
	if r.PIDs != 0 {
		w = append(w, write{"pids", "pids.max", pidsValue(r.PIDs)})
	}
	if r.OOMKillDisable {
		w = append(w, write{"memory", "memory.oom_control", "1"})
	}
	if r.BlkioWeight != 0 {
		w = append(w, write{"blkio", "blkio.weight", strconv.FormatUint(uint64(r.BlkioWeight), 10)})
	}
	for _, t := range r.Throttles {
		w = append(w, write{"blkio", "blkio.throttle." + v1ThrottleFiles[t.Kind], t.number() + " " + strconv.FormatUint(t.Rate, 10)})
	}
	return append(w, v1DeviceWrites(r.Devices)...)
}

// v2Writes lists the cgroup v2 file writes for r, in order. Devices are
// not files on v2: they become an eBPF program (deviceFilter).
func v2Writes(r Resources) []write {
	var w []write
	if r.Memory != 0 {
		w = append(w, write{"memory", "memory.max", strconv.FormatInt(r.Memory, 10)})
	}
	switch {
	case r.MemorySwap == -1:
		w = append(w, write{"memory", "memory.swap.max", "max"})
	case r.MemorySwap > 0:
		w = append(w, write{"memory", "memory.swap.max", strconv.FormatInt(r.MemorySwap-r.Memory, 10)})
	}
	if r.MemoryReservation != 0 {
		w = append(w, write{"memory", "memory.low", strconv.FormatInt(r.MemoryReservation, 10)})
	}
	if r.CPUQuota != 0 || r.CPUPeriod != 0 {
		v := "max"
		if r.CPUQuota > 0 {
			v = strconv.FormatInt(r.CPUQuota, 10)
		}
		if r.CPUPeriod != 0 {
			v += " " + strconv.FormatUint(r.CPUPeriod, 10)
		}
		w = append(w, write{"cpu", "cpu.max", v})
	}
	if r.CPUShares != 0 {
		w = append(w, write{"cpu", "cpu.weight", strconv.FormatUint(sharesToWeight(r.CPUShares), 10)})
	}
	if r.CpusetCpus != "" {
		w = append(w, write{"cpuset", "cpuset.cpus", r.CpusetCpus})
	}
	if r.CpusetMems != "" {
		w = append(w, write{"cpuset", "cpuset.mems", r.CpusetMems})
	}
	if r.PIDs != 0 {
		w = append(w, write{"pids", "pids.max", pidsValue(r.PIDs)})
	}
	if r.BlkioWeight != 0 {
		w = append(w, write{"io", "io.bfq.weight", strconv.FormatUint(uint64(r.BlkioWeight), 10)})
	}
	return append(w, v2IOMax(r.Throttles)...)
}

func pidsValue(n int64) string {
	if n <= 0 {
		return "max"
	}
	return strconv.FormatInt(n, 10)
}

// sharesToWeight converts cgroup v1 cpu.shares (2..262144, default 1024)
// to cgroup v2 cpu.weight (1..10000, default 100) linearly, as runc does:
// 2 -> 1, 262144 -> 10000, 1024 -> 39. 0 stays 0 (not set).
func sharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	shares = min(max(shares, minShares), maxShares)
	return 1 + ((shares-2)*9999)/262142
}
