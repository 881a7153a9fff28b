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

	"github.com/docker/go-units"

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
	var format string
	fs := newFlagSet("stats", true)
	fs.String(&format, "format", "Pretty-print stats using a Go template (fields: .Container .Name .ID .CPUPerc .MemUsage .MemPerc .NetIO .BlockIO .PIDs)")
	fs.Bool(&noStream, "no-stream", "Disable streaming stats and only pull the first result")
	fs.Bool(&noTrunc, "no-trunc", "Do not truncate output")
	fs.Bool(&all, "a,all", "Show all containers (default shows just running)")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	var lf *listFormat
	if format != "" {
		if lf, err = parseListFormat(format, statsTable); err != nil {
			return err
		}
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
		if lf != nil {
			if err := writeStatsFormat(c.stdout, lf, rows, hostMem, noTrunc); err != nil {
				return err
			}
		} else {
			printStats(c.stdout, rows, hostMem, noTrunc)
		}
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

// statsTable is docker stats' table as a format, for "table" alone.
const statsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// statsFields is a row of docker stats --format: docker's field names.
type statsFields struct {
	BlockIO, CPUPerc, Container, ID, MemPerc, MemUsage, Name, NetIO, PIDs string
}

var statsHeader = listHeader{"BlockIO": "BLOCK I/O", "CPUPerc": "CPU %", "Container": "CONTAINER",
	"ID": "CONTAINER ID", "MemPerc": "MEM %", "MemUsage": "MEM USAGE / LIMIT", "Name": "NAME",
	"NetIO": "NET I/O", "PIDs": "PIDS"}

func writeStatsFormat(w io.Writer, lf *listFormat, rows []statsRow, hostMem uint64, noTrunc bool) error {
	var out []any
	for _, r := range rows {
		id := r.id
		if !noTrunc {
			id = shortID(id)
		}
		f := statsFields{Container: id, ID: id, Name: r.name, CPUPerc: "--", MemUsage: "-- / --",
			MemPerc: "--", PIDs: "--", NetIO: "--", BlockIO: "--"}
		if r.stats != nil {
			limit, pct := memLimit(r.stats, hostMem)
			f.CPUPerc = fmt.Sprintf("%.2f%%", r.cpu)
			f.MemUsage = bytesSize(r.stats.Memory.Usage) + " / " + bytesSize(limit)
			f.MemPerc = fmt.Sprintf("%.2f%%", pct)
			f.PIDs = fmt.Sprint(r.stats.PIDs.Current)
			f.NetIO, f.BlockIO = ioColumns(r.stats)
		}
		out = append(out, f)
	}
	return lf.write(w, statsHeader, out)
}

// memLimit is the memory limit docker stats shows (the host's memory
// when the cgroup has none above it) and the usage's share of it.
func memLimit(s *dock.Stats, hostMem uint64) (uint64, float64) {
	limit := s.Memory.Limit
	if limit == 0 || limit > hostMem && hostMem > 0 {
		limit = hostMem
	}
	if limit == 0 {
		return 0, 0
	}
	return limit, float64(s.Memory.Usage) / float64(limit) * 100
}

func printStats(w io.Writer, rows []statsRow, hostMem uint64, noTrunc bool) {
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tNET I/O\tBLOCK I/O\tPIDS")
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
			fmt.Fprintf(tw, "%s\t%s\t--\t-- / --\t--\t--\t--\t--\n", id, name)
			continue
		}
		limit, memPct := memLimit(r.stats, hostMem)
		netIO, blockIO := ioColumns(r.stats)
		fmt.Fprintf(tw, "%s\t%s\t%.2f%%\t%s / %s\t%.2f%%\t%s\t%s\t%d\n", id, name, r.cpu,
			bytesSize(r.stats.Memory.Usage), bytesSize(limit), memPct, netIO, blockIO, r.stats.PIDs.Current)
	}
	tw.Flush()
}

// ioColumns are docker stats' NET I/O (received / sent) and BLOCK I/O
// (read / written), in decimal units with three significant digits:
// "1.2kB / 648B".
func ioColumns(s *dock.Stats) (netIO, blockIO string) {
	rx, tx := s.RxTx()
	read, written := s.BlockIO.ReadWrite()
	return ioPair(rx, tx), ioPair(read, written)
}

func ioPair(a, b uint64) string {
	return units.HumanSizeWithPrecision(float64(a), 3) + " / " + units.HumanSizeWithPrecision(float64(b), 3)
}
