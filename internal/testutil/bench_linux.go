package testutil

import (
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TimeOps runs op b.N times (b.Loop) and reports, beside the mean, the
// fastest run (min-ms), the median (median-ms) and the process's CPU time
// per op (cpu-ms/op: user and system, of every thread, the garbage
// collector's too). On a shared machine the mean counts the others' work
// too; the fastest run is what compares two versions of the code.
func TimeOps(b *testing.B, op func()) {
	times := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	for b.Loop() {
		t0 := time.Now()
		op()
		times = append(times, time.Since(t0))
	}
	cpu := cpuTime() - cpu0
	slices.Sort(times)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(times[0]), "min-ms")
	b.ReportMetric(ms(times[len(times)/2]), "median-ms")
	b.ReportMetric(ms(cpu)/float64(len(times)), "cpu-ms/op")
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
