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
	flag.Parse()
	ctx := context.Background()
	e, err := dock.Open(*root)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

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
			c, err := e.Create(ctx, dock.Config{Image: *image, Cmd: []string{"sleep", "600"}})
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
