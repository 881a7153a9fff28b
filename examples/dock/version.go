package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// cmdVersion prints the versions of the CLI and the library it is built
// with.
func cmdVersion(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("version", true)
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("version", args, 0, 0); err != nil {
		return err
	}
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	fmt.Fprintf(c.stdout, "dock (github.com/go-dock/dock, no daemon)\n")
	fmt.Fprintf(c.stdout, " Version:     %s\n", version)
	fmt.Fprintf(c.stdout, " Go version:  %s\n", runtime.Version())
	fmt.Fprintf(c.stdout, " OS/Arch:     %s/%s\n", runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(c.stdout, " Root:        %s\n", c.root)
	return nil
}
