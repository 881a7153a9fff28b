package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

// The prune commands of the groups (container, image, network, volume,
// system prune): each removes what nothing uses and prints what went, in
// docker's words. None asks for confirmation: -f is accepted.

// parsePrune reads a prune command's arguments: none, and its flags: -f,
// which changes nothing, and those that flags adds.
func parsePrune(path string, args []string, flags func(fs *flagSet)) error {
	var force bool
	fs := newFlagSet(path, true)
	fs.Bool(&force, "f,force", "Do not prompt for confirmation (dock never prompts)")
	if flags != nil {
		flags(fs)
	}
	_, err := fs.ParseArgs(args, 0, 0)
	return err
}

// deletedList is one list of a prune's report: its title ("Deleted
// Images:") and what went.
type deletedList struct {
	title string
	items []string
}

// printDeleted writes each list that is not empty as docker does: the
// title, an item a line, a blank line.
func printDeleted(w io.Writer, lists ...deletedList) {
	for _, l := range lists {
		if len(l.items) == 0 {
			continue
		}
		fmt.Fprintln(w, l.title)
		for _, it := range l.items {
			fmt.Fprintln(w, it)
		}
		fmt.Fprintln(w)
	}
}

// printReclaimed ends a prune's report with docker's last line, the
// size with docker's units.HumanSize ("1.234kB": 4 significant digits).
func printReclaimed(w io.Writer, bytes int64) {
	fmt.Fprintln(w, "Total reclaimed space:", humanSize4(bytes))
}

// pruneAll is the options of -a, --all.
func pruneAll(all bool) []dock.PruneOption {
	if all {
		return []dock.PruneOption{dock.PruneAll()}
	}
	return nil
}

// containerPrune is docker container prune: it removes the containers
// that do not run (those --filter until=, label=, label!= keep) and
// prints their IDs and the space their layers took, as docker does.
func containerPrune(ctx context.Context, c *cli, args []string) error {
	var filters dockerapi.Filters
	if err := parsePrune("container prune", args, func(fs *flagSet) {
		fs.Func("filter", "Provide filter values (e.g. \"until=<timestamp>\")", filters.Set)
	}); err != nil {
		return err
	}
	opts, err := dockerapi.ContainerPruneOptions(filters, time.Now())
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	rep, err := e.PruneContainers(ctx, opts...)
	if rep != nil {
		printDeleted(c.stdout, deletedList{"Deleted Containers:", rep.Deleted})
	}
	if err != nil {
		return err
	}
	printReclaimed(c.stdout, rep.SpaceReclaimed)
	return nil
}

// imagePrune is docker image prune: it removes the dangling images, or
// with -a every image no container uses, with their intermediate images,
// then the data no image reaches, and prints what went as docker does.
func imagePrune(ctx context.Context, c *cli, args []string) error {
	var all bool
	if err := parsePrune("image prune", args, func(fs *flagSet) {
		fs.Bool(&all, "a,all", "Remove all unused images, not just dangling ones")
	}); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	rep, err := e.Prune(ctx, pruneAll(all)...)
	if rep != nil {
		printDeleted(c.stdout, deletedList{"Deleted Images:", pruneLines(rep.Deleted)})
	}
	if err != nil {
		return err
	}
	printReclaimed(c.stdout, rep.SpaceReclaimed)
	return nil
}

// pruneLines are the lines of RemoveImage as docker image prune prints
// them ("untagged: app:v1", "deleted: sha256:...").
func pruneLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "Untagged: "); ok {
			l = "untagged: " + rest
		} else if rest, ok := strings.CutPrefix(l, "Deleted: "); ok {
			l = "deleted: " + rest
		}
		out = append(out, l)
	}
	return out
}

// networkPrune is docker network prune: it removes the networks no
// container uses and prints their names.
func networkPrune(ctx context.Context, c *cli, args []string) error {
	if err := parsePrune("network prune", args, nil); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	removed, err := e.PruneNetworks(ctx)
	printDeleted(c.stdout, deletedList{"Deleted Networks:", removed})
	return err
}

// volumePrune is docker volume prune: it removes the anonymous volumes
// that no container uses, or with -a every unused volume, and prints
// their names and the space their files took, as docker does.
func volumePrune(ctx context.Context, c *cli, args []string) error {
	var all bool
	if err := parsePrune("volume prune", args, func(fs *flagSet) {
		fs.Bool(&all, "a,all", "Remove all unused volumes, not just anonymous ones")
	}); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	rep, err := e.PruneVolumes(ctx, pruneAll(all)...)
	if rep != nil {
		printDeleted(c.stdout, deletedList{"Deleted Volumes:", rep.Deleted})
	}
	if err != nil {
		return err
	}
	printReclaimed(c.stdout, rep.SpaceReclaimed)
	return nil
}

// systemPrune is docker system prune: the stopped containers, the unused
// networks, with --volumes the unused anonymous volumes, the dangling
// images (with -a every unused one) and the build cache; it prints what
// went, as docker does.
func systemPrune(ctx context.Context, c *cli, args []string) error {
	var all, volumes bool
	if err := parsePrune("system prune", args, func(fs *flagSet) {
		fs.Bool(&all, "a,all", "Remove all unused images not just dangling ones")
		fs.Bool(&volumes, "volumes", "Prune anonymous volumes")
	}); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	opts := pruneAll(all)
	if volumes {
		opts = append(opts, dock.PruneWithVolumes())
	}
	rep, err := e.PruneSystem(ctx, opts...)
	if rep != nil {
		printDeleted(c.stdout,
			deletedList{"Deleted Containers:", rep.Containers},
			deletedList{"Deleted Networks:", rep.Networks},
			deletedList{"Deleted Volumes:", rep.Volumes},
			deletedList{"Deleted Images:", pruneLines(rep.Images)},
			deletedList{"Deleted build cache objects:", rep.BuildCache})
	}
	if err != nil {
		return err
	}
	printReclaimed(c.stdout, rep.SpaceReclaimed)
	return nil
}
