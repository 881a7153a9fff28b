// Command many starts N detached "sleep" containers at once, reports the
// time it took and the memory each costs (the monitor's RSS and the
// container's cgroup usage), then removes them. Build it as the CLI is
// built (static: the monitors are this binary re-executed):
//
//	scripts/build-cli.sh /tmp/many ./bench/many && /tmp/many -root /tmp/dock-many -n 500 -image busybox
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-dock/dock"
)

func main() {
	root := flag.String("root", "/tmp/dock-many", "state directory")
	n := flag.Int("n", 500, "containers")
	par := flag.Int("p", 8, "starts in flight at once")
	image := flag.String("image", "busybox", "image with a sleep command")
	network := flag.String("network", "", "a user-defined network to start them on, by name (made if missing); they are named NETWORK-0, NETWORK-1... and each resolves a few others by name. Run it in a network namespace of its own: unshare -nm --propagation private")
	flag.Parse()
	ctx := context.Background()
	e, err := dock.Open(*root)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	if *network != "" {
		if realNetns() {
			log.Fatal("-network changes the host's network: run this in a namespace of its own (unshare -nm --propagation private sh -c 'mount -t tmpfs tmpfs /run; ip link set lo up; ...')")
		}
		if _, err := e.Network(ctx, *network); err != nil {
			if _, err := e.CreateNetwork(ctx, *network, dock.NetworkSubnet("10.200.0.0/16")); err != nil {
				log.Fatal(err)
			}
		}
		defer e.RemoveNetwork(ctx, *network)
	}

	containers := make([]*dock.Container, *n)
	sem := make(chan struct{}, *par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	t0 := time.Now()
	for i := range containers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cfg := dock.Config{Image: *image, Cmd: []string{"sleep", "600"}}
			if *network != "" {
				cfg.Network, cfg.Name = *network, fmt.Sprintf("%s-%d", *network, i)
			}
			c, err := e.Create(ctx, cfg)
			if err == nil {
				err = c.StartDetached(ctx)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			containers[i] = c
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	fmt.Printf("started %d containers in %.2f s (%d failed), %d in flight at once\n", *n-len(errs), elapsed.Seconds(), len(errs), *par)
	for _, err := range errs[:min(len(errs), 3)] {
		fmt.Println("  error:", err)
	}

	if *network != "" {
		resolveOthers(ctx, containers, *network)
	}

	var monitorRSS, cgroupMem []float64
	for _, c := range containers {
		if c == nil {
			continue
		}
		st, err := c.State(ctx)
		if err != nil || st.Status != dock.StatusRunning {
			continue
		}
		if kb, ok := rssKB(parentOf(st.Pid)); ok {
			monitorRSS = append(monitorRSS, kb)
		}
		if s, err := c.Stats(ctx); err == nil {
			cgroupMem = append(cgroupMem, float64(s.Memory.Usage)/1024)
		}
	}
	fmt.Printf("monitor RSS per container: median %.0f KiB, max %.0f KiB (%d monitors)\n", median(monitorRSS), maxOf(monitorRSS), len(monitorRSS))
	fmt.Printf("container cgroup memory (sleep + page cache): median %.0f KiB\n", median(cgroupMem))

	t1 := time.Now()
	for _, c := range containers {
		if c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.Remove(ctx, dock.RemoveForce()); err != nil {
				log.Print(err)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("removed them in %.2f s\n", time.Since(t1).Seconds())
}

func parentOf(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func rssKB(pid int) (float64, bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb, err == nil
		}
	}
	return 0, false
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	return v[len(v)/2]
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// resolveOthers has 20 of the containers look up 10 others each by name,
// and reports how many lookups failed and how long it took.
func resolveOthers(ctx context.Context, containers []*dock.Container, network string) {
	t0 := time.Now()
	failed, asked := 0, 0
	for i := 0; i < len(containers); i += max(1, len(containers)/20) {
		c := containers[i]
		if c == nil {
			continue
		}
		script := ""
		for k := 1; k <= 10; k++ {
			script += fmt.Sprintf("nslookup %s-%d >/dev/null 2>&1 || echo fail; ", network, (i+k*17)%len(containers))
		}
		var out strings.Builder
		p := c.Exec(dock.ExecConfig{Cmd: []string{"sh", "-c", script}})
		p.Stdout = &out
		if err := p.Start(ctx); err == nil {
			p.Wait(ctx)
		}
		asked += 10
		failed += strings.Count(out.String(), "fail")
	}
	fmt.Printf("name lookups: %d of %d failed, in %.2f s\n", failed, asked, time.Since(t0).Seconds())
}

// realNetns reports whether this process may be in the machine's own
// network namespace: PID 1's, when that can be read, or else one with a
// default route (a namespace made by unshare has none).
func realNetns() bool {
	self, err1 := os.Readlink("/proc/self/ns/net")
	init, err2 := os.Readlink("/proc/1/ns/net")
	if err1 == nil && err2 == nil {
		return self == init
	}
	routes, err := os.ReadFile("/proc/thread-self/net/route")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(routes), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "00000000" {
			return true
		}
	}
	return false
}
