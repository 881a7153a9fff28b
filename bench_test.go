//go:build linux

package dock

import (
	"context"
	"sort"
	"testing"
	"time"
)

// BenchmarkRunTrue measures Engine.Run of /bin/true: create, start, wait
// and remove. It reports the median as well as the mean.
func BenchmarkRunTrue(b *testing.B) {
	e := testEngine(b)
	ctx := context.Background()
	cfg := Config{Image: "busybox", Cmd: []string{"/bin/true"}}
	if _, err := e.Run(ctx, cfg, nil, nil, nil); err != nil {
		b.Fatal(err)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if _, err := e.Run(ctx, cfg, nil, nil, nil); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}
