package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-dock/dock"
)

// cmdSave is docker save: one or more images to a tar archive, on stdout
// (never a terminal) or in -o FILE.
func cmdSave(ctx context.Context, c *cli, args []string) error {
	var output, format string
	fs := newFlagSet("save", true)
	fs.String(&output, "o,output", "Write to a file, instead of STDOUT")
	fs.String(&format, "format", "Archive format: docker (the default) or oci")
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	var opts []dock.SaveOption
	switch format {
	case "", "docker":
	case "oci":
		opts = append(opts, dock.SaveFormat(dock.OCIArchive))
	default:
		return fmt.Errorf("invalid --format %q: want docker or oci", format)
	}
	var w io.Writer = c.stdout
	if output == "" {
		if f, ok := c.stdout.(*os.File); ok && isTerminal(f) {
			return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
		}
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	if output == "" {
		return e.Save(ctx, w, args, opts...)
	}
	// Written beside the target and renamed, so that a failed save leaves
	// no half archive under the name.
	f, err := os.CreateTemp(dirOf(output), ".dock-save-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := e.Save(ctx, f, args, opts...); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), output)
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// cmdLoad is docker load: images from a tar archive (docker or OCI, plain
// or gzip) on stdin or in -i FILE.
func cmdLoad(ctx context.Context, c *cli, args []string) error {
	var input, platform string
	var quiet bool
	fs := newFlagSet("load", true)
	fs.String(&input, "i,input", "Read from tar archive file, instead of STDIN")
	fs.String(&platform, "platform", "Load only the given platform of a multi-platform archive (os/arch[/variant])")
	fs.Bool(&quiet, "q,quiet", "Suppress the load output")
	_, err := fs.ParseArgs(args, 0, 0)
	if err != nil {
		return err
	}
	var r io.Reader = c.stdin
	if input != "" {
		f, err := os.Open(input)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	var opts []dock.LoadOption
	if platform != "" {
		opts = append(opts, dock.LoadPlatform(platform))
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	imgs, err := e.Load(ctx, r, opts...)
	if err != nil {
		return err
	}
	if quiet {
		return nil
	}
	for _, img := range imgs {
		if len(img.RepoTags) == 0 {
			fmt.Fprintf(c.stdout, "Loaded image ID: %s\n", img.ID)
		}
		for _, t := range img.RepoTags {
			fmt.Fprintf(c.stdout, "Loaded image: %s\n", t)
		}
	}
	return nil
}
