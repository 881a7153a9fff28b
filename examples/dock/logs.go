package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/timestamp"
)

// cmdLogs is docker logs.
func cmdLogs(ctx context.Context, c *cli, args []string) error {
	var opt dock.LogOptions
	tail := "all"
	var since, until string
	fs := newFlagSet("logs", true)
	fs.Bool(&opt.Follow, "f,follow", "Follow log output")
	fs.String(&tail, "n,tail", "Number of lines to show from the end of the logs (default \"all\")")
	fs.Bool(&opt.Timestamps, "t,timestamps", "Show timestamps")
	fs.String(&since, "since", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	fs.String(&until, "until", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	args, err := fs.ParseArgs(args, 1, 1)
	if err != nil {
		return err
	}
	if tail != "all" {
		n, err := strconv.Atoi(tail)
		if err != nil || n < 0 {
			return fs.errorf("invalid argument %q for \"-n, --tail\" flag: want a number or \"all\"", tail)
		}
		opt.Tail = n
		if n == 0 {
			opt.Tail = dock.TailNone // the library's 0 is everything
		}
	}
	now := time.Now()
	for _, f := range []struct {
		name, value string
		t           *time.Time
	}{{"since", since, &opt.Since}, {"until", until, &opt.Until}} {
		if f.value == "" {
			continue
		}
		t, err := timestamp.Parse(f.value, now)
		if err != nil {
			// docker's words, and its exit code 1: not a flag error.
			return fmt.Errorf("invalid value for %q: %v", f.name, err)
		}
		*f.t = t
	}
	ct, done, err := c.openContainer(args[0])
	if err != nil {
		return err
	}
	defer done()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = ct.Logs(ctx, termSafe(c.stdout), termSafe(c.stderr), opt)
	if ctx.Err() != nil {
		return nil // ^C ends -f
	}
	return err
}

// termSafe returns w, or when w is a terminal a writer that escapes the
// control characters that would drive it (see termSafeWriter).
func termSafe(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		return &termSafeWriter{w: w}
	}
	return w
}
