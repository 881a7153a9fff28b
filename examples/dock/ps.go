package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-dock/dock"
)

// cmdPs is docker ps: running containers, or with -a all of them, newest
// first.
func cmdPs(ctx context.Context, c *cli, args []string) error {
	var all, quiet, noTrunc bool
	fs := newFlagSet("ps", true)
	fs.Bool(&all, "a,all", "Show all containers (default shows just running)")
	fs.Bool(&quiet, "q,quiet", "Only display container IDs")
	fs.Bool(&noTrunc, "no-trunc", "Don't truncate output")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("ps", args, 0, 0); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	infos, err := e.Containers(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(c.stdout, 10, 1, 3, ' ', 0)
	if !quiet {
		fmt.Fprintln(tw, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES")
	}
	images := map[string]*dock.Image{}
	for _, in := range infos {
		running := in.State.Status == dock.StatusRunning || in.State.Status == dock.StatusPaused
		if !all && !running {
			continue
		}
		id := in.ID
		if !noTrunc {
			id = shortID(id)
		}
		if quiet {
			fmt.Fprintln(tw, id)
			continue
		}
		command := strings.Join(in.Args, " ")
		if !noTrunc {
			command = ellipsis(command, 20)
		}
		var ports string
		if attached(in) {
			ports = psPorts(containerPorts(in, exposedPorts(ctx, e, in, images)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s ago\t%s\t%s\t%s\n", id, in.Image, strconv.Quote(command),
			humanDuration(now.Sub(in.Created)), statusText(in.State, now), ports, in.Name)
	}
	return tw.Flush()
}

// statusText is docker ps's STATUS column.
func statusText(st dock.State, now time.Time) string {
	switch st.Status {
	case dock.StatusRunning:
		return "Up " + humanDuration(now.Sub(st.StartedAt))
	case dock.StatusPaused:
		return "Up " + humanDuration(now.Sub(st.StartedAt)) + " (Paused)"
	case dock.StatusExited:
		return fmt.Sprintf("Exited (%d) %s ago", st.Exit.Code, humanDuration(now.Sub(st.FinishedAt)))
	case dock.StatusCreated:
		return "Created"
	}
	return string(st.Status)
}

// ellipsis truncates s to n runes, the last being "…", as docker ps does.
func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
