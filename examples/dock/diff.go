package main

import (
	"context"
	"fmt"
)

// cmdDiff is docker diff: the files a container added (A), changed (C)
// and deleted (D), sorted by path.
func cmdDiff(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("diff", true)
	args, err := fs.ParseArgs(args, 1, 1)
	if err != nil {
		return err
	}
	ct, done, err := c.openContainer(args[0])
	if err != nil {
		return err
	}
	defer done()
	changes, err := ct.Changes(ctx)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		fmt.Fprintf(c.stdout, "%s %s\n", ch.Kind, ch.Path)
	}
	return nil
}
