package main

import (
	"context"
	"errors"
	"io"
	"os"
)

// cmdExport is docker export: a container's filesystem as a tar archive,
// on stdout (never a terminal) or in -o FILE.
func cmdExport(ctx context.Context, c *cli, args []string) error {
	var output string
	fs := newFlagSet("export", true)
	fs.String(&output, "o,output", "Write to a file, instead of STDOUT")
	args, err := fs.ParseArgs(args, 1, 1)
	if err != nil {
		return err
	}
	if output == "" {
		if f, ok := c.stdout.(*os.File); ok && isTerminal(f) {
			return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
		}
	}
	ct, done, err := c.openContainer(args[0])
	if err != nil {
		return err
	}
	defer done()
	rc, err := ct.Export(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	if output == "" {
		_, err := io.Copy(c.stdout, rc)
		return err
	}
	return writeFileAtomic(output, rc)
}

// writeFileAtomic writes r to name through a file beside it, renamed at
// the end: a failed copy leaves no half file under the name.
func writeFileAtomic(name string, r io.Reader) error {
	f, err := os.CreateTemp(dirOf(name), ".dock-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
