package main

import (
	"context"
	"strings"
	"text/tabwriter"
)

// cmdTop is docker top: the container's processes, as the host's ps
// shows them (ps's options after the container; -ef by default), in
// docker's columns.
func cmdTop(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("top", false)
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	ct, done, err := c.openContainer(args[0])
	if err != nil {
		return err
	}
	defer done()
	r, err := ct.Top(ctx, args[1:]...)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.stdout, 20, 1, 3, ' ', 0)
	w.Write([]byte(strings.Join(r.Titles, "\t") + "\n"))
	for _, p := range r.Processes {
		w.Write([]byte(strings.Join(p, "\t") + "\n"))
	}
	return w.Flush()
}
