//go:build linux

package dock

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/testutil"
)

// BenchmarkRunTrue measures Engine.Run of /bin/true: create, start, wait
// and remove. It reports the median as well as the mean. The state
// directory is a tmpfs, as the peers' state is (/run): on this project's
// ext4 without a journal, creating files right after deleting many is
// slow and noisy.
func BenchmarkRunTrue(b *testing.B) {
	benchRun(b, Config{Image: "busybox", Cmd: []string{"/bin/true"}}, nil)
}

// BenchmarkRunBridgePort is BenchmarkRunTrue on the default bridge with
// one published port (an ephemeral host port): the cost of a network,
// to compare with BenchmarkRunTrue's none. In nettest's namespace (the
// package's TestMain). "cold": the bridge comes and goes with each
// container, as with podman and netavark; "warm": another container
// keeps it up, as docker0 is.
func BenchmarkRunBridgePort(b *testing.B) {
	cfg := Config{Image: "busybox", Cmd: []string{"/bin/true"}, Network: "bridge",
		Ports: []PortMapping{{ContainerPort: 80}}}
	b.Run("cold", func(b *testing.B) { benchRun(b, cfg, nil) })
	b.Run("warm", func(b *testing.B) {
		benchRun(b, cfg, func(e *Engine) {
			c, err := e.Create(context.Background(), Config{Image: "busybox", Network: "bridge", Cmd: []string{"sleep", "600"}})
			if err == nil {
				err = c.StartDetached(context.Background())
			}
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { c.Remove(context.Background(), RemoveForce()) })
		})
	})
}

// benchRun measures Run of cfg in an engine on a tmpfs, after setup.
func benchRun(b *testing.B, cfg Config, setup func(*Engine)) {
	testutil.RequireRoot(b)
	dir := b.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, ""); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	e, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	importBusybox(b, e)
	if setup != nil {
		setup(e)
	}
	ctx := context.Background()
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

// BenchmarkRebuildOneChanged measures the rebuild of a COPY of 5,000 files
// of 10 kB (50 MB, random: incompressible) after one of them changed:
// the COPY step and those after it run again. State and context are on a
// tmpfs.
func BenchmarkRebuildOneChanged(b *testing.B) {
	testutil.RequireRoot(b)
	dir := b.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, ""); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	e, err := Open(filepath.Join(dir, "root"))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	importBusybox(b, e)
	cdir := filepath.Join(dir, "context")
	if err := os.MkdirAll(filepath.Join(cdir, "big"), 0o755); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 10000)
	for i := range 5000 {
		rand.Read(buf)
		if err := os.WriteFile(filepath.Join(cdir, "big", fmt.Sprintf("f%04d", i)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	df := "FROM busybox\nCOPY big/ /big/\nENV APP=bench\nWORKDIR /app\n"
	if err := os.WriteFile(filepath.Join(cdir, "Dockerfile"), []byte(df), 0o644); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.Build(ctx, cdir); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if err := os.WriteFile(filepath.Join(cdir, "big", "f0042"), fmt.Appendf(nil, "change %d", i), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := e.Build(ctx, cdir); err != nil {
			b.Fatal(err)
		}
	}
}
