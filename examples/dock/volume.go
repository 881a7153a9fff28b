package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"text/tabwriter"
)

// cmdVolume is docker volume create, ls and rm.
func cmdVolume(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return &usageError{cmd: "volume", msg: "\"dock volume\" requires a subcommand: create, ls or rm."}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create":
		return volumeCreate(ctx, c, args)
	case "ls", "list":
		return volumeLs(ctx, c, args)
	case "rm", "remove":
		return volumeRm(ctx, c, args)
	case "--help", "-h", "help":
		return &helpRequest{newFlagSet("volume", true)}
	}
	return &usageError{cmd: "volume", msg: fmt.Sprintf("unknown command %q for \"dock volume\"", sub)}
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
	name := ""
	if len(args) == 1 {
		name = args[0]
	} else {
		// An anonymous volume gets a random name, as with docker.
		var b [32]byte
		rand.Read(b[:])
		name = hex.EncodeToString(b[:])
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
	failed := false
	for _, name := range args {
		if err := e.RemoveVolume(ctx, name, force); err != nil {
			fmt.Fprintf(c.stderr, "dock: %v\n", err)
			failed = true
			continue
		}
		fmt.Fprintln(c.stdout, name)
	}
	if failed {
		return exitCode(1)
	}
	return nil
}
