package main

import (
	"context"
	"fmt"
)

// cmdWait is docker wait: it blocks until each container stops and prints
// its exit code.
func cmdWait(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("wait", true)
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	for _, name := range args {
		ct, err := e.Container(name)
		if err != nil {
			return err
		}
		st, err := ct.Wait(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, st.Code)
	}
	return nil
}
