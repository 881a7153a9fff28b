package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/go-dock/dock"
)

// cmdVolume is docker volume: the subcommands of volumeCommands.
func cmdVolume(ctx context.Context, c *cli, args []string) error {
	return runGroup(ctx, c, "volume", args)
}

// volumeCommands are the subcommands of volume, in docker's order.
var volumeCommands = []*command{
	{"create", "[VOLUME]", "Create a volume", volumeCreate},
	{"ls", "[OPTIONS]", "List volumes", volumeLs},
	{"prune", "[OPTIONS]", "Remove unused local volumes", volumePrune},
	{"rm", "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes", volumeRm},
}

func volumeCreate(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("volume create", true)
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("volume create", args, 0, 1); err != nil {
		return err
	}
	name := "" // an anonymous volume, with a random name, as with docker
	if len(args) == 1 {
		name = args[0]
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	v, err := e.CreateVolume(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, v.Name)
	return nil
}

func volumeLs(ctx context.Context, c *cli, args []string) error {
	var quiet bool
	fs := newFlagSet("volume ls", true)
	fs.Bool(&quiet, "q,quiet", "Only display volume names")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("volume ls", args, 0, 0); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	vols, err := e.Volumes(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 10, 1, 3, ' ', 0)
	if !quiet {
		fmt.Fprintln(tw, "DRIVER\tVOLUME NAME")
	}
	for _, v := range vols {
		if quiet {
			fmt.Fprintln(tw, v.Name)
		} else {
			fmt.Fprintf(tw, "local\t%s\n", v.Name)
		}
	}
	return tw.Flush()
}

func volumeRm(ctx context.Context, c *cli, args []string) error {
	var force bool
	fs := newFlagSet("volume rm", true)
	fs.Bool(&force, "f,force", "Force the removal of one or more volumes")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("volume rm", args, 1, -1); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	return c.eachName(args, func(name string) error { return e.RemoveVolume(ctx, name, forceOption(force)...) })
}

// volumePrune is docker volume prune: it removes the anonymous volumes
// that no container uses, or with -a every unused volume, and prints
// their names.
func volumePrune(ctx context.Context, c *cli, args []string) error {
	var force, all bool
	fs := newFlagSet("volume prune", true)
	fs.Bool(&force, "f,force", "Do not prompt for confirmation (dock never prompts)")
	fs.Bool(&all, "a,all", "Remove all unused volumes, not just anonymous ones")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("volume prune", args, 0, 0); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	var opts []dock.PruneOption
	if all {
		opts = append(opts, dock.PruneAll())
	}
	removed, err := e.PruneVolumes(ctx, opts...)
	if len(removed) > 0 {
		fmt.Fprintln(c.stdout, "Deleted Volumes:")
		for _, name := range removed {
			fmt.Fprintln(c.stdout, name)
		}
	}
	return err
}
