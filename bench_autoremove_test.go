//go:build linux

package dock

import (
	"context"
	"testing"
	"time"
)

// BenchmarkDetachedAutoRemove measures docker run -d --rm of /bin/true
// as the monitor carries it out: from StartDetached's call to the die
// event (the exit seen), and from the die to the destroy (the container
// gone: what `docker run --rm` waits for through the API), by the
// events' own times, which the monitor takes as it writes them. "none"
// has no network; "bridge" is on the default bridge, kept up by another
// container as docker0 is, so that its exit hook takes the network back.
func BenchmarkDetachedAutoRemove(b *testing.B) {
	cfg := Config{Image: "busybox", Cmd: []string{"/bin/true"}, AutoRemove: true}
	b.Run("none", func(b *testing.B) {
		cfg := cfg
		cfg.Network = "none"
		benchAutoRemove(b, cfg)
	})
	b.Run("bridge", func(b *testing.B) {
		cfg := cfg
		cfg.Network = "bridge"
		benchAutoRemove(b, cfg)
	})
}

func benchAutoRemove(b *testing.B, cfg Config) {
	e := tmpfsEngine(b)
	ctx := context.Background()
	if cfg.Network == "bridge" {
		keep, err := e.Create(ctx, Config{Image: "busybox", Network: "bridge", Cmd: []string{"sleep", "600"}})
		if err == nil {
			err = keep.StartDetached(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { keep.Remove(context.Background(), RemoveForce()) })
	}
	run := func() (toDie, toDestroy time.Duration) {
		c, err := e.Create(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		id := c.ID()
		t0 := time.Now()
		if err := c.StartDetached(ctx); err != nil {
			b.Fatal(err)
		}
		var die time.Time
		for ev, err := range e.Events(ctx, EventOptions{Since: t0, Filter: func(ev *Event) bool {
			return ev.Type == EventContainer && ev.Actor.ID == id && (ev.Action == "die" || ev.Action == "destroy")
		}}) {
			if err != nil {
				b.Fatal(err)
			}
			if ev.Action == "die" {
				die = ev.Time
				continue
			}
			return die.Sub(t0), ev.Time.Sub(die)
		}
		panic("unreachable")
	}
	run()
	var dies, destroys []time.Duration
	b.ResetTimer()
	for range b.N {
		d1, d2 := run()
		dies, destroys = append(dies, d1), append(destroys, d2)
	}
	b.ReportMetric(medianMs(dies), "start-die-ms")
	b.ReportMetric(medianMs(destroys), "die-destroy-ms")
}
