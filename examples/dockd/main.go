// Command dockd serves Docker's Engine API over a dock engine: the docker
// CLI, docker-compose, docker-py, the Go client and testcontainers drive
// dock through it unchanged (package dockerapi does the serving).
//
//	dockd [-H unix:///run/dock.sock] [-H tcp://ADDR --tlsverify ...] [--root DIR] [--group docker]
//
// Containers belong to their monitors, not to dockd: they keep running
// when dockd stops, and the next dockd sees them (Docker's live-restore,
// here by design). The socket is root-equivalent: see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(mainExit(os.Args[1:], os.Stderr))
}

// mainExit runs the daemon until SIGTERM or SIGINT and returns the exit
// code: 0 after a clean shutdown, 2 for bad flags, 1 for anything else.
func mainExit(args []string, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "dockd: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// The first signal starts the graceful shutdown; a second one gets
	// the default action, so that a stuck shutdown can be cut short.
	go func() { <-ctx.Done(); stop() }()
	if err := run(ctx, cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "dockd: %v\n", err)
		return 1
	}
	return 0
}
