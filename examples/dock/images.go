package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/reference"
)

// cmdImport is docker import: a root filesystem tar (plain or gzip, "-"
// for stdin) becomes an image of one layer; it prints the image ID.
func cmdImport(ctx context.Context, c *cli, args []string) error {
	var changes []string
	var message string
	fs := newFlagSet("import", true)
	fs.Strings(&changes, "c,change", "Apply a Dockerfile instruction to the image: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, STOPSIGNAL")
	fs.String(&message, "m,message", "Set commit message for imported image")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("import", args, 1, 2); err != nil {
		return err
	}
	var opts []dock.ImportOption
	if len(changes) > 0 {
		ic, err := parseChanges(changes)
		if err != nil {
			return fs.errorf("%v", err)
		}
		opts = append(opts, dock.ImportConfig(ic))
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

// parseChanges applies docker import --change instructions: CMD and
// ENTRYPOINT in JSON or shell form, ENV and LABEL as KEY=VALUE (or
// "KEY VALUE"), WORKDIR, USER, STOPSIGNAL.
func parseChanges(changes []string) (ocispec.ImageConfig, error) {
	var ic ocispec.ImageConfig
	for _, ch := range changes {
		instr, rest, _ := strings.Cut(strings.TrimSpace(ch), " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "CMD", "ENTRYPOINT":
			var argv []string
			if strings.HasPrefix(rest, "[") {
				if err := json.Unmarshal([]byte(rest), &argv); err != nil {
					return ic, fmt.Errorf("%s: %q is not a JSON array of strings", instr, rest)
				}
			} else {
				argv = []string{"/bin/sh", "-c", rest}
			}
			if strings.EqualFold(instr, "CMD") {
				ic.Cmd = argv
			} else {
				ic.Entrypoint = argv
			}
		case "ENV", "LABEL":
			k, v, ok := strings.Cut(rest, "=")
			if !ok {
				k, v, ok = strings.Cut(rest, " ")
			}
			if !ok || k == "" {
				return ic, fmt.Errorf("%s needs KEY=VALUE: %q", instr, ch)
			}
			if strings.EqualFold(instr, "ENV") {
				ic.Env = append(ic.Env, k+"="+v)
			} else {
				if ic.Labels == nil {
					ic.Labels = map[string]string{}
				}
				ic.Labels[k] = v
			}
		case "WORKDIR":
			ic.WorkingDir = rest
		case "USER":
			ic.User = rest
		case "STOPSIGNAL":
			ic.StopSignal = rest
		default:
			return ic, fmt.Errorf("%s is not a valid change command", instr)
		}
	}
	return ic, nil
}

// cmdImages is docker images [REPOSITORY[:TAG]]: one row per tag, newest
// first; -a adds the intermediate images (a build's steps). With an
// argument, only the rows of the tags it matches (see imagesMatcher), and
// -q prints the ID of each image with such a tag. --digests
// adds docker's DIGEST column: the image's manifest digest on the rows of
// the repositories the image was pulled from or pushed to (a repo digest),
// "<none>" elsewhere (an imported or loaded image, a tag never pushed).
func cmdImages(ctx context.Context, c *cli, args []string) error {
	var all, quiet, noTrunc, digests bool
	fs := newFlagSet("images", true)
	fs.Bool(&all, "a,all", "Show all images (default hides intermediate images)")
	fs.Bool(&quiet, "q,quiet", "Only show image IDs")
	fs.Bool(&noTrunc, "no-trunc", "Don't truncate output")
	fs.Bool(&digests, "digests", "Show digests")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("images", args, 0, 1); err != nil {
		return err
	}
	match := func(string) bool { return true }
	if len(args) == 1 {
		if match, err = imagesMatcher(args[0]); err != nil {
			return err
		}
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	var opts []dock.ImagesOption
	if all {
		opts = append(opts, dock.ImagesAll())
	}
	imgs, err := e.Images(ctx, opts...)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 10, 1, 3, ' ', 0)
	if !quiet {
		if digests {
			fmt.Fprintln(tw, "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE")
		} else {
			fmt.Fprintln(tw, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
		}
	}
	now := time.Now()
	for _, img := range imgs {
		id := img.ID
		if !noTrunc {
			id = shortID(id)
		}
		tags := img.RepoTags
		if len(args) == 1 {
			tags = slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return !match(t) })
			if len(tags) == 0 {
				continue
			}
		}
		if quiet {
			fmt.Fprintln(tw, id) // once per image, as docker images -q
			continue
		}
		created := "N/A"
		if !img.Created.IsZero() {
			created = humanDuration(now.Sub(img.Created)) + " ago"
		}
		if len(tags) == 0 {
			tags = []string{"<none>:<none>"}
		}
		for _, t := range tags {
			repo, tag := splitTag(t)
			if !digests {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", repo, tag, id, created, humanSize(img.Size))
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", repo, tag, repoDigest(img, repo), id, created, humanSize(img.Size))
		}
	}
	return tw.Flush()
}

// imagesMatcher returns what docker images REPOSITORY[:TAG] keeps of an
// image's tags ("busybox:latest", "localhost:5000/app:1"): those of the
// repository, normalized as docker does (busybox is
// docker.io/library/busybox), and of TAG when it is given. An argument
// with a wildcard (*, ? or [) is a pattern, matched as docker's reference
// filter matches it: against "REPOSITORY:TAG" when it has a tag, else
// against the repository, both in their short form.
func imagesMatcher(arg string) (func(tag string) bool, error) {
	i := strings.LastIndexByte(arg, ':')
	withTag := i >= 0 && !strings.Contains(arg[i:], "/")
	if strings.ContainsAny(arg, "*?[") {
		if _, err := path.Match(arg, ""); err != nil {
			return nil, fmt.Errorf("images %q: %w", arg, err)
		}
		return func(tag string) bool {
			s := tag
			if !withTag {
				s, _ = splitTag(tag)
			}
			ok, _ := path.Match(arg, s)
			return ok
		}, nil
	}
	want, err := reference.ParseNoDefaultTag(arg)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	if want.Digest != "" {
		return nil, fmt.Errorf("images %q: a digest is not a repository or a tag", arg)
	}
	return func(tag string) bool {
		r, err := reference.Parse(tag)
		return err == nil && r.Name() == want.Name() && (want.Tag == "" || r.Tag == want.Tag)
	}, nil
}

// repoDigest is the DIGEST column of img's row for repo ("<none>" for an
// untagged row): its manifest digest when the image went through that
// repository of a registry (any, for an untagged row), else "<none>".
func repoDigest(img *dock.Image, repo string) string {
	for _, rd := range img.RepoDigests {
		name, d, _ := strings.Cut(rd, "@")
		if repo == "<none>" || name == repo {
			return d
		}
	}
	return "<none>"
}

// splitTag splits "localhost:5000/app:1" into "localhost:5000/app" and "1".
func splitTag(ref string) (repo, tag string) {
	i := strings.LastIndexByte(ref, ':')
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "<none>"
	}
	return ref[:i], ref[i+1:]
}

// cmdRmi is docker rmi: it prints what the library did, line by line.
func cmdRmi(ctx context.Context, c *cli, args []string) error {
	var force bool
	fs := newFlagSet("rmi", true)
	fs.Bool(&force, "f,force", "Force removal of the image")
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("rmi", args, 1, -1); err != nil {
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
	args, err := fs.Parse(args)
	if err != nil {
		return err
	}
	if err := needArgs("tag", args, 2, 2); err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	return e.Tag(ctx, args[0], args[1])
}
