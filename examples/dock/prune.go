package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
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

// pruneCommand is one of the prunes of a kind of object (container,
// image, network, volume prune): its flags, the library's prune, and the
// report, docker's titled list then (but for network prune) the total.
type pruneCommand struct {
	path string // "volume prune"
	// filterUsage is the help of --filter; "": no --filter.
	filterUsage string
	// flags adds the command's flags beside -f and --filter; nil: none.
	flags func(fs *flagSet)
	// options maps the --filter values and the flags to the library's
	// options; nil: none.
	options func(f dockerapi.Filters) ([]dock.PruneOption, error)
	// prune is the library's prune: a method expression of *dock.Engine.
	prune func(e *dock.Engine, ctx context.Context, opts ...dock.PruneOption) (*dock.PruneReport, error)
	// title and lines make the report's list: its title ("Deleted
	// Volumes:"), and its lines from the report's Deleted (nil: as
	// they are).
	title string
	lines func(deleted []string) []string
	// noTotal leaves out "Total reclaimed space", as docker network
	// prune does.
	noTotal bool
}

// run parses args, prunes and prints the report. What was removed is
// printed even when the prune fails partway, its error after it.
func (p *pruneCommand) run(ctx context.Context, c *cli, args []string) error {
	var filters dockerapi.Filters
	if err := parsePrune(p.path, args, func(fs *flagSet) {
		if p.filterUsage != "" {
			fs.Func("filter", p.filterUsage, filters.Set)
		}
		if p.flags != nil {
			p.flags(fs)
		}
	}); err != nil {
		return err
	}
	var opts []dock.PruneOption
	if p.options != nil {
		var err error
		if opts, err = p.options(filters); err != nil {
			return err
		}
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	rep, err := p.prune(e, ctx, opts...)
	if rep != nil {
		lines := rep.Deleted
		if p.lines != nil {
			lines = p.lines(lines)
		}
		printDeleted(c.stdout, deletedList{p.title, lines})
	}
	if err != nil || p.noTotal {
		return err
	}
	printReclaimed(c.stdout, rep.SpaceReclaimed)
	return nil
}

// containerPrune is docker container prune: it removes the containers
// that do not run (those --filter until=, label=, label!= keep) and
// prints their IDs and the space their layers took, as docker does.
func containerPrune(ctx context.Context, c *cli, args []string) error {
	p := &pruneCommand{
		path:        "container prune",
		filterUsage: "Provide filter values (e.g. \"until=<timestamp>\")",
		options: func(f dockerapi.Filters) ([]dock.PruneOption, error) {
			return dockerapi.ContainerPruneOptions(f, time.Now())
		},
		prune: (*dock.Engine).PruneContainers,
		title: "Deleted Containers:",
	}
	return p.run(ctx, c, args)
}

// imagePrune is docker image prune: it removes the dangling images, or
// with -a every image no container uses, but those --filter until=,
// label=, label!= keep, with their intermediate images, then the data no
// image reaches, and prints what went as docker does.
func imagePrune(ctx context.Context, c *cli, args []string) error {
	var all bool
	p := &pruneCommand{
		path:        "image prune",
		filterUsage: "Provide filter values (e.g. \"until=<timestamp>\")",
		flags: func(fs *flagSet) {
			fs.Bool(&all, "a,all", "Remove all unused images, not just dangling ones")
		},
		options: func(f dockerapi.Filters) ([]dock.PruneOption, error) {
			// As docker's: -a is dangling=false beside the filters, and a
			// --filter dangling= that says otherwise is refused.
			f.Add("dangling", strconv.FormatBool(!all))
			return dockerapi.ImagePruneOptions(f, time.Now())
		},
		prune: (*dock.Engine).Prune,
		title: "Deleted Images:",
		lines: pruneLines,
	}
	return p.run(ctx, c, args)
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
// container uses (those --filter until=, label=, label!= keep) and prints
// their names; docker prints no total.
func networkPrune(ctx context.Context, c *cli, args []string) error {
	p := &pruneCommand{
		path:        "network prune",
		filterUsage: "Provide filter values (e.g. \"until=<timestamp>\")",
		options: func(f dockerapi.Filters) ([]dock.PruneOption, error) {
			// The keys of container prune, as Docker's daemon takes them.
			return dockerapi.ContainerPruneOptions(f, time.Now())
		},
		prune:   pruneNetworks,
		title:   "Deleted Networks:",
		noTotal: true,
	}
	return p.run(ctx, c, args)
}

// pruneNetworks is Engine.PruneNetworks in the shape of the other
// prunes: the names removed as the report's Deleted.
func pruneNetworks(e *dock.Engine, ctx context.Context, opts ...dock.PruneOption) (*dock.PruneReport, error) {
	removed, err := e.PruneNetworks(ctx, opts...)
	return &dock.PruneReport{Deleted: removed}, err
}

// volumePrune is docker volume prune: it removes the anonymous volumes
// that no container uses, or with -a (--filter all=true) every unused
// volume, those --filter label=, label!= keep aside, and prints their
// names and the space their files took, as docker does.
func volumePrune(ctx context.Context, c *cli, args []string) error {
	var all bool
	p := &pruneCommand{
		path:        "volume prune",
		filterUsage: "Provide filter values (e.g. \"label=<label>\")",
		flags: func(fs *flagSet) {
			fs.Bool(&all, "a,all", "Remove all unused volumes, not just anonymous ones")
		},
		options: func(f dockerapi.Filters) ([]dock.PruneOption, error) {
			if all {
				// As docker's: -a is the filter all=true.
				if f.Contains("all") {
					return nil, errors.New("conflicting options: cannot specify both --all and --filter all=1")
				}
				f.Add("all", "true")
			}
			return dockerapi.VolumePruneOptions(f)
		},
		prune: (*dock.Engine).PruneVolumes,
		title: "Deleted Volumes:",
	}
	return p.run(ctx, c, args)
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
