package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

// imageCommands are the subcommands of image, in docker's order: most
// of them a top-level command under another name.
var imageCommands = []*command{
	{"build", "[OPTIONS] PATH", "Build an image from a Dockerfile", cmdBuild},
	{"history", "[OPTIONS] IMAGE", "Show the history of an image", cmdHistory},
	{"import", "[OPTIONS] FILE|- [REPOSITORY[:TAG]]", "Import the contents from a tarball to create a filesystem image", cmdImport},
	{"inspect", "[OPTIONS] IMAGE [IMAGE...]", "Display detailed information on one or more images", func(ctx context.Context, c *cli, args []string) error {
		return inspectCommand(ctx, c, "image inspect", "image", args)
	}},
	{"load", "[OPTIONS]", "Load an image from a tar archive or STDIN", cmdLoad},
	{"ls", "[OPTIONS] [REPOSITORY[:TAG]]", "List images", cmdImages},
	{"prune", "[OPTIONS]", "Remove unused images", imagePrune},
	{"pull", "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry", cmdPull},
	{"push", "[OPTIONS] NAME[:TAG]", "Upload an image to a registry", cmdPush},
	{"rm", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", cmdRmi},
	{"save", "[OPTIONS] IMAGE [IMAGE...]", "Save one or more images to a tar archive (streamed to STDOUT by default)", cmdSave},
	{"tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", cmdTag},
}

// cmdImport is docker import: a root filesystem tar (plain or gzip, "-"
// for stdin) becomes an image of one layer; it prints the image ID.
func cmdImport(ctx context.Context, c *cli, args []string) error {
	var changes []string
	var message string
	fs := newFlagSet("import", true)
	fs.Strings(&changes, "c,change", "Apply Dockerfile instruction to the created image")
	fs.String(&message, "m,message", "Set commit message for imported image")
	args, err := fs.ParseArgs(args, 1, 2)
	if err != nil {
		return err
	}
	var opts []dock.ImportOption
	for _, ch := range changes {
		opts = append(opts, dock.ImportChange(ch)) // parsed as commit -c's
	}
	if message != "" {
		opts = append(opts, dock.ImportMessage(message))
	}
	var r io.Reader = c.stdin
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	ref := ""
	if len(args) == 2 {
		ref = args[1]
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	img, err := e.Import(ctx, r, ref, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, img.ID)
	return nil
}

// cmdImages is docker images [REPOSITORY[:TAG]]: a row per tag, newest
// first; -a adds the intermediate images (a build's steps). The argument
// is a reference filter, as docker's CLI sends it (see
// dockerapi.ImageListOptions for --filter); -q prints the ID of each row,
// once per tag as docker does. --digests adds docker's DIGEST column: the
// image's manifest digest on the rows of the repositories the image was
// pulled from or pushed to (a repo digest), "<none>" elsewhere (an
// imported or loaded image, a tag never pushed).
func cmdImages(ctx context.Context, c *cli, args []string) error {
	var all, quiet, noTrunc, digests bool
	var format string
	var opts dockerapi.ImageListOptions
	fs := newFlagSet("images", true)
	fs.Bool(&all, "a,all", "Show all images (default hides intermediate images)")
	fs.Bool(&digests, "digests", "Show digests")
	fs.Func("f,filter", "Filter output based on conditions provided", opts.Filters.Set)
	fs.String(&format, "format", "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
	fs.Bool(&noTrunc, "no-trunc", "Don't truncate output")
	fs.Bool(&quiet, "q,quiet", "Only show image IDs")
	args, err := fs.ParseArgs(args, 0, 1)
	if err != nil {
		return err
	}
	if len(args) == 1 {
		opts.Filters.Add("reference", args[0])
	}
	switch {
	case (format == "" || format == "table") && quiet:
		format = "{{.ID}}"
	case (format == "" || format == "table") && digests:
		format = imagesTableDigests
	}
	lf, err := parseListFormat(format, imagesTable)
	if err != nil {
		return err
	}
	// A format that shows .Digest shows the digests, as --digests.
	digests = digests || lf.uses("Digest")
	opts.All = all
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	imgs, err := dockerapi.ListImages(ctx, e, opts)
	if err != nil {
		return err
	}
	now := time.Now()
	var rows []any
	for _, img := range imgs {
		for _, r := range imageRows(img, digests) {
			r.trunc, r.now = !noTrunc, now
			rows = append(rows, r)
		}
	}
	return lf.write(c.stdout, imagesHeader{}, rows)
}

// cmdRmi is docker rmi: it prints what the library did, line by line.
func cmdRmi(ctx context.Context, c *cli, args []string) error {
	var force bool
	fs := newFlagSet("rmi", true)
	fs.Bool(&force, "f,force", "Force removal of the image")
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	failed := false
	for _, ref := range args {
		lines, err := e.RemoveImage(ctx, ref, forceOption(force)...)
		for _, l := range lines {
			fmt.Fprintln(c.stdout, l)
		}
		if err != nil {
			fmt.Fprintf(c.stderr, "dock: %v\n", err)
			failed = true
		}
	}
	if failed {
		return exitCode(1)
	}
	return nil
}

// cmdTag is docker tag.
func cmdTag(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("tag", true)
	args, err := fs.ParseArgs(args, 2, 2)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	return e.Tag(ctx, args[0], args[1])
}
