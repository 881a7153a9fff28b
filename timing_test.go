package dock

import (
	"context"
	"sort"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestTimingRun(t *testing.T) {
	dir := t.TempDir()
	unix.Mount("tmpfs", dir, "tmpfs", 0, "")
	defer unix.Unmount(dir, unix.MNT_DETACH)
	e, _ := Open(dir)
	defer e.Close()
	importBusybox(t, e)
	ctx := context.Background()
	keep, _ := e.Create(ctx, Config{Image: "busybox", Network: "bridge", Cmd: []string{"sleep", "600"}})
	keep.StartDetached(ctx)
	defer keep.Remove(ctx, RemoveForce())
	med := func(d []time.Duration) time.Duration { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }); return d[len(d)/2] }
	for _, cfg := range []Config{
		{Image: "busybox", Cmd: []string{"/bin/true"}},
		{Image: "busybox", Cmd: []string{"/bin/true"}, Network: "bridge"},
		{Image: "busybox", Cmd: []string{"/bin/true"}, Network: "bridge", Ports: []PortMapping{{ContainerPort: 80}}},
		{Image: "busybox", Cmd: []string{"/bin/true"}},
	} {
		var cr, st, wt, rm []time.Duration
		for range 60 {
			t0 := time.Now()
			c, _ := e.Create(ctx, cfg)
			t1 := time.Now()
			c.Start(ctx)
			t2 := time.Now()
			c.Wait(ctx)
			t3 := time.Now()
			c.Remove(ctx)
			t4 := time.Now()
			cr = append(cr, t1.Sub(t0)); st = append(st, t2.Sub(t1)); wt = append(wt, t3.Sub(t2)); rm = append(rm, t4.Sub(t3))
		}
		t.Logf("%s ports=%d: create %v start %v wait %v remove %v", cfg.Network, len(cfg.Ports), med(cr), med(st), med(wt), med(rm))
	}
}

func TestTimingSetup(t *testing.T) {
	dir := t.TempDir()
	unix.Mount("tmpfs", dir, "tmpfs", 0, "")
	defer unix.Unmount(dir, unix.MNT_DETACH)
	e, _ := Open(dir)
	defer e.Close()
	importBusybox(t, e)
	ctx := context.Background()
	keep, _ := e.Create(ctx, Config{Image: "busybox", Network: "bridge", Cmd: []string{"sleep", "600"}})
	keep.StartDetached(ctx)
	defer keep.Remove(ctx, RemoveForce())
	c, _ := e.Create(ctx, Config{Image: "busybox", Network: "bridge", Cmd: []string{"true"}, Ports: []PortMapping{{ContainerPort: 80}}})
	rec, _ := c.record()
	var su, td []time.Duration
	for range 60 {
		r := *rec
		r.ID = newID()
		t0 := time.Now()
		s, err := c.setupNetwork(&r)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		s.finish(true, true)
		s.teardown()
		t2 := time.Now()
		su = append(su, t1.Sub(t0))
		td = append(td, t2.Sub(t1))
	}
	med := func(d []time.Duration) time.Duration { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }); return d[len(d)/2] }
	t.Logf("setup %v teardown %v", med(su), med(td))
}
