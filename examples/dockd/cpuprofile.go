//go:build pprof

// A CPU profile of the daemon, for benchmarks (bench/dockd-pull.sh PPROF=):
// built only with -tags pprof, so that dockd itself has no such switch.
// DOCKD_CPUPROFILE=FILE profiles from the start until SIGUSR2, then
// writes FILE.

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func init() {
	path := os.Getenv("DOCKD_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockd: DOCKD_CPUPROFILE: %v\n", err)
		os.Exit(1)
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR2)
	go func() {
		<-c
		signal.Stop(c)
		pprof.StopCPUProfile()
		f.Close()
	}()
}
