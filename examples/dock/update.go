package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-dock/dock"
)

// cmdUpdate is docker update: new resource limits for containers,
// running or not (see dock.Container.Update). It prints each container's
// name as it is done.
func cmdUpdate(ctx context.Context, c *cli, args []string) error {
	var r dock.Resources
	var memory, memSwap, memRes string
	var opts []dock.UpdateOption
	set := 0 // flags given
	fs := newFlagSet("update", true)
	count := func(fn func(string) error) func(string) error {
		return func(s string) error { set++; return fn(s) }
	}
	fs.Func("blkio-weight", "Block IO (relative weight), between 10 and 1000", count(func(s string) error {
		v, err := strconv.ParseUint(s, 10, 16)
		r.BlkioWeight = uint16(v)
		return err
	}))
	fs.Func("c,cpu-shares", "CPU shares (relative weight)", count(func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		r.CPUShares = v
		return err
	}))
	fs.Func("cpus", "Number of CPUs", count(func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return errors.New("want a positive number of CPUs")
		}
		r.CPUs = v
		return nil
	}))
	fs.Func("cpuset-cpus", "CPUs in which to allow execution (0-3, 0,1)", count(func(s string) error {
		r.CpusetCpus = s
		return nil
	}))
	fs.Func("cpuset-mems", "MEMs in which to allow execution (0-3, 0,1)", count(func(s string) error {
		r.CpusetMems = s
		return nil
	}))
	fs.Func("m,memory", "Memory limit", count(func(s string) error { memory = s; return nil }))
	fs.Func("memory-reservation", "Memory soft limit", count(func(s string) error { memRes = s; return nil }))
	fs.Func("memory-swap", "Swap limit equal to memory plus swap: -1 to enable unlimited swap", count(func(s string) error { memSwap = s; return nil }))
	fs.Func("pids-limit", "Tune container pids limit (set -1 for unlimited)", count(func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if v == 0 {
			v = -1 // docker's 0 is no limit; the library's 0 keeps the limit
		}
		r.PIDs = v
		return err
	}))
	fs.Func("restart", "Restart policy to apply when a container exits", count(func(s string) error {
		p, err := parseRestartPolicy(s)
		opts = append(opts, dock.UpdateRestartPolicy(p))
		return err
	}))
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	if set == 0 {
		return fs.errorf("you must provide one or more flags when using this command")
	}
	if memory != "" {
		if r.Memory, err = parseBytes(memory); err != nil {
			return fs.errorf("invalid argument %q for \"-m, --memory\" flag: %v", memory, err)
		}
	}
	if memRes != "" {
		if r.MemoryReservation, err = parseBytes(memRes); err != nil {
			return fs.errorf("invalid argument %q for \"--memory-reservation\" flag: %v", memRes, err)
		}
	}
	switch memSwap {
	case "":
	case "-1":
		r.MemorySwap = -1
	default:
		if r.MemorySwap, err = parseBytes(memSwap); err != nil {
			return fs.errorf("invalid argument %q for \"--memory-swap\" flag: %v", memSwap, err)
		}
	}
	var warnings []string
	err = c.forEach(ctx, args, func(ctx context.Context, e *dock.Engine, ct *dock.Container) error {
		w, err := ct.Update(ctx, r, opts...)
		warnings = append(warnings, w...)
		return err
	})
	// As docker: the warnings after the names.
	if len(warnings) > 0 {
		fmt.Fprintln(c.stdout, strings.Join(warnings, "\n"))
	}
	return err
}
