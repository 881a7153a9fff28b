package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-dock/dock"
)

// statsInterval is the time between the two samples of a CPU percentage.
// Docker's daemon samples every second and --no-stream waits for its second
// sample; dock has no daemon, so the CLI samples twice, statsInterval
// apart, and divides the container's CPU time by the wall time between
// (docker's cpu_delta / system_delta * online_cpus gives the same figure).
const statsInterval = 500 * time.Millisecond

// cmdStats is docker stats: with --no-stream one table, else a table
// redrawn every second until interrupted.
func cmdStats(ctx context.Context, c *cli, args []string) error {
	var noStream, noTrunc, all bool
	fs := newFlagSet("stats", true)
	fs.Bool(&noStream, "no-stream", "Disable streaming stats and only pull the first result")
	fs.Bool(&noTrunc, "no-trunc", "Do not truncate output")
	fs.Bool(&all, "a,all", "Show all containers (default shows just running)")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	type target struct {
		ct   *dock.Container
		name string
	}
	var targets []target
	if len(args) > 0 {
		for _, name := range args {
			ct, err := e.Container(name)
			if err != nil {
				return err
			}
			in, err := ct.Inspect(ctx)
			if err != nil {
				return err
			}
			targets = append(targets, target{ct, in.Name})
		}
	} else {
		infos, err := e.Containers(ctx)
		if err != nil {
			return err
		}
		for _, in := range infos {
			if all || in.State.Status == dock.StatusRunning || in.State.Status == dock.StatusPaused {
				ct, err := e.Container(in.ID)
				if err != nil {
					continue // removed meanwhile
				}
				targets = append(targets, target{ct, in.Name})
			}
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hostMem := hostMemory()
	prev := make([]*dock.Stats, len(targets))
	for i, t := range targets {
		prev[i], _ = t.ct.Stats(ctx)
	}
	prevAt := time.Now()
	wait := statsInterval
	for {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
		var rows []statsRow
		now := time.Now()
		for i, t := range targets {
			s, err := t.ct.Stats(ctx)
			row := statsRow{id: t.ct.ID(), name: t.name}
			if err == nil && prev[i] != nil {
				row.stats = s
				row.cpu = cpuPercent(prev[i].CPU.Usage, s.CPU.Usage, now.Sub(prevAt))
			}
			prev[i] = s
			rows = append(rows, row)
		}
		prevAt = now
		if !noStream {
			fmt.Fprint(c.stdout, "\033[2J\033[H") // clear the screen, as docker does
		}
		printStats(c.stdout, rows, hostMem, noTrunc)
		if noStream {
			return nil
		}
		wait = time.Second
	}
}

type statsRow struct {
	id, name string
	stats    *dock.Stats // nil: not running
	cpu      float64
}

func cpuPercent(before, after, wall time.Duration) float64 {
	if after < before || wall <= 0 {
		return 0
	}
	return float64(after-before) / float64(wall) * 100
}

func printStats(w io.Writer, rows []statsRow, hostMem uint64, noTrunc bool) {
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tPIDS")
	for _, r := range rows {
		id := r.id
		if !noTrunc {
			id = shortID(id)
		}
		name := r.name
		if name == "" {
			name = "--"
		}
		if r.stats == nil {
			fmt.Fprintf(tw, "%s\t%s\t--\t-- / --\t--\t--\n", id, name)
			continue
		}
		limit := r.stats.Memory.Limit
		if limit == 0 || limit > hostMem && hostMem > 0 {
			limit = hostMem
		}
		memPct := 0.0
		if limit > 0 {
			memPct = float64(r.stats.Memory.Usage) / float64(limit) * 100
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f%%\t%s / %s\t%.2f%%\t%d\n", id, name, r.cpu,
			bytesSize(r.stats.Memory.Usage), bytesSize(limit), memPct, r.stats.PIDs.Current)
	}
	tw.Flush()
}
