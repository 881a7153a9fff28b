//go:build linux

package dock

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
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

// BenchmarkRunBridgePortAdded is what the network adds to a run, measured
// as BenchmarkRunBridgePort/warm against BenchmarkRunTrue but with the
// two alternating in one loop: on a busy machine, the load drifts
// between two benchmarks run one after the other. It reports the
// median of each, the median of the differences of each pair of runs
// (added-ms), and the same for the CPU time of this process and its
// reaped children (cpu-added-ms): on 2 cores a start is CPU-bound, so
// the network's CPU time is most of its cost.
func BenchmarkRunBridgePortAdded(b *testing.B) {
	none := Config{Image: "busybox", Cmd: []string{"/bin/true"}}
	bridge := Config{Image: "busybox", Cmd: []string{"/bin/true"}, Network: "bridge",
		Ports: []PortMapping{{ContainerPort: 80}}}
	benchPairs(b, none, bridge, func(e *Engine) {
		c, err := e.Create(context.Background(), Config{Image: "busybox", Network: "bridge", Cmd: []string{"sleep", "600"}})
		if err == nil {
			err = c.StartDetached(context.Background())
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Remove(context.Background(), RemoveForce()) })
	})
}

// tmpfsEngine is an engine holding busybox, its state directory on a
// tmpfs (see BenchmarkRunTrue), for the benchmarks.
func tmpfsEngine(b *testing.B) *Engine {
	b.Helper()
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
	return e
}

// benchPairs runs a and then c, b.N times, in an engine on a tmpfs after
// setup, and reports their medians and the median of their differences.
func benchPairs(b *testing.B, a, c Config, setup func(*Engine)) {
	e := tmpfsEngine(b)
	setup(e)
	ctx := context.Background()
	cpu := func() time.Duration {
		var self, kids unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &self)
		unix.Getrusage(unix.RUSAGE_CHILDREN, &kids)
		return time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano())
	}
	run := func(cfg Config) (wall, used time.Duration) {
		c0, t0 := cpu(), time.Now()
		if _, err := e.Run(ctx, cfg, nil, nil, nil); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0), cpu() - c0
	}
	run(a)
	run(c)
	var wa, wc, added, cpuAdded []time.Duration
	b.ResetTimer()
	for range b.N {
		w1, c1 := run(a)
		w2, c2 := run(c)
		wa, wc = append(wa, w1), append(wc, w2)
		added, cpuAdded = append(added, w2-w1), append(cpuAdded, c2-c1)
	}
	b.ReportMetric(medianMs(wa), "none-ms")
	b.ReportMetric(medianMs(wc), "bridge-ms")
	b.ReportMetric(medianMs(added), "added-ms")
	b.ReportMetric(medianMs(cpuAdded), "cpu-added-ms")
}

func medianMs(t []time.Duration) float64 {
	sort.Slice(t, func(i, j int) bool { return t[i] < t[j] })
	return float64(t[len(t)/2].Microseconds()) / 1000
}

// benchRun measures Run of cfg in an engine on a tmpfs, after setup.
func benchRun(b *testing.B, cfg Config, setup func(*Engine)) {
	e := tmpfsEngine(b)
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

// BenchmarkPublishedThroughput compares one TCP stream from the host to a
// container through its published port (127.0.0.1, DNAT in the kernel)
// with one to the container's own address: busybox httpd sends a 512 MiB
// file (sendfile, from the container's tmpfs), the benchmark reads it.
// It reports both rates and their ratio (the issue asks for 0.9 or more;
// a userland proxy loses about 30%). In nettest's namespace.
func BenchmarkPublishedThroughput(b *testing.B) {
	testutil.RequireRoot(b)
	e := testEngine(b)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Network: "bridge",
		Ports:  []PortMapping{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 8089, ContainerPort: 80}},
		Mounts: []Mount{{Type: "tmpfs", Target: "/www"}},
		Cmd:    []string{"sh", "-c", "dd if=/dev/zero of=/www/big bs=1M count=512 2>/dev/null && httpd -f -p 80 -h /www"}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Remove(ctx, RemoveForce())
	if err := c.StartDetached(ctx); err != nil {
		b.Fatal(err)
	}
	info, err := c.Inspect(ctx)
	if err != nil || len(info.Networks) == 0 {
		b.Fatal(info, err)
	}
	direct := net.JoinHostPort(info.Networks[0].IPv4.Addr().String(), "80")
	get := func(addr string) (float64, error) {
		t0 := time.Now()
		resp, err := (&http.Client{Timeout: time.Minute}).Get("http://" + addr + "/big")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || n != 512<<20 {
			return 0, fmt.Errorf("read %d bytes: %v", n, err)
		}
		return float64(n) * 8 / time.Since(t0).Seconds() / 1e9, nil
	}
	for range 100 { // the file written, httpd listening
		if _, err = get(direct); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.Fatal(err)
	}
	var d, p []float64
	b.ResetTimer()
	for range b.N {
		for _, path := range []struct {
			addr string
			to   *[]float64
		}{{direct, &d}, {"127.0.0.1:8089", &p}} {
			gbps, err := get(path.addr)
			if err != nil {
				b.Fatal(err)
			}
			*path.to = append(*path.to, gbps)
		}
	}
	sort.Float64s(d)
	sort.Float64s(p)
	b.ReportMetric(d[len(d)/2], "direct-Gbit/s")
	b.ReportMetric(p[len(p)/2], "published-Gbit/s")
	b.ReportMetric(p[len(p)/2]/d[len(d)/2], "ratio")
}
