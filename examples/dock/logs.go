package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/go-dock/dock"
)

// cmdLogs is docker logs.
func cmdLogs(ctx context.Context, c *cli, args []string) error {
	var opt dock.LogOptions
	tail := "all"
	fs := newFlagSet("logs", true)
	fs.Bool(&opt.Follow, "f,follow", "Follow log output")
	fs.String(&tail, "n,tail", "Number of lines to show from the end of the logs (default \"all\")")
	fs.Bool(&opt.Timestamps, "t,timestamps", "Show timestamps")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("logs", args, 1, 1); err != nil {
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
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	ct, err := e.Container(args[0])
	if err != nil {
		return err
	}
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
