package main

import (
	"context"
)

// cmdRename is docker rename.
func cmdRename(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("rename", true)
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("rename", args, 2, 2); err != nil {
		return err
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
	return ct.Rename(ctx, args[1])
}
