package cgroup

import (
	"slices"
	"strconv"
	"strings"
)

// Block I/O: the weight and the per-device limits, as files of the blkio
// (v1) or io (v2) controller.

// The range of BlkioWeight (v1 blkio.weight).
const (
	minBlkioWeight = 10
	maxBlkioWeight = 1000
)

// ThrottleKind is which I/O a Throttle limits.
type ThrottleKind int

const (
	ReadBps ThrottleKind = iota
	WriteBps
	ReadIOPS
	WriteIOPS
)

// v1ThrottleFiles are the v1 files of each kind, after "blkio.throttle.".
var v1ThrottleFiles = [...]string{"read_bps_device", "write_bps_device", "read_iops_device", "write_iops_device"}

// v2ThrottleKeys are the io.max keys of each kind.
var v2ThrottleKeys = [...]string{"rbps", "wbps", "riops", "wiops"}

// Throttle limits one kind of I/O on one block device (a whole disk: the
// kernel refuses partitions).
type Throttle struct {
	Kind         ThrottleKind
	Major, Minor int64
	// Rate is in bytes (Bps) or operations (IOPS) per second; 0 lifts
	// the limit.
	Rate uint64
}

func (t Throttle) validate() error {
	switch {
	case t.Kind < ReadBps || t.Kind > WriteIOPS:
		return invalidf("throttle kind %d is unknown", t.Kind)
	case t.Major < 0 || t.Major > maxMajor || t.Minor < 0 || t.Minor > maxMinor:
		return invalidf("throttle device %d:%d is out of range", t.Major, t.Minor)
	}
	return nil
}

func (t Throttle) number() string {
	return strconv.FormatInt(t.Major, 10) + ":" + strconv.FormatInt(t.Minor, 10)
}

// v2IOMax writes one io.max line per device, with every limit of it:
// "MAJ:MIN rbps=N wbps=N" (0 is written "max", no limit).
func v2IOMax(ts []Throttle) []write {
	var devs []string
	limits := map[string][]string{}
	for _, t := range ts {
		n := t.number()
		if _, ok := limits[n]; !ok {
			devs = append(devs, n)
		}
		v := "max"
		if t.Rate != 0 {
			v = strconv.FormatUint(t.Rate, 10)
		}
		limits[n] = append(limits[n], v2ThrottleKeys[t.Kind]+"="+v)
	}
	var w []write
	for _, n := range devs {
		w = append(w, write{"io", "io.max", n + " " + strings.Join(limits[n], " ")})
	}
	return w
}

// weightToV2 converts a v1 blkio weight (10..1000) to a v2 io.weight
// (1..10000) linearly, as runc does.
func weightToV2(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	return 1 + (uint64(w)-minBlkioWeight)*9999/(maxBlkioWeight-minBlkioWeight)
}

// Features are the limits that the host's cgroups can carry out beyond
// the usual ones.
type Features struct {
	// OOMKillDisable: v1 memory.oom_control.
	OOMKillDisable bool
	// BlkioWeight: v1 blkio.weight or blkio.bfq.weight, v2 the io
	// controller.
	BlkioWeight bool
	// BlkioThrottle: v1 blkio.throttle.*, v2 the io controller.
	BlkioThrottle bool
}

// hasAny reports whether any of files exists in dir (see fileExists).
func hasAny(exists func(string) bool, dir string, files ...string) bool {
	return slices.ContainsFunc(files, func(f string) bool { return exists(dir + "/" + f) })
}
