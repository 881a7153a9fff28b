package main

import (
	"context"
)

// cmdRename is docker rename.
func cmdRename(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("rename", true)
	args, err := fs.ParseArgs(args, 2, 2)
	if err != nil {
		return err
	}
	ct, done, err := c.openContainer(args[0])
	if err != nil {
		return err
	}
	defer done()
	return ct.Rename(ctx, args[1])
}
