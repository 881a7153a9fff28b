package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/distribution"
	"github.com/go-dock/dock/internal/reference"
)

// cmdPull is docker pull: per-layer progress (bars on a terminal, one line
// per step otherwise), then the digest and the status. With -a it pulls
// every tag of the repository, as the registry's tags API lists them.
func cmdPull(ctx context.Context, c *cli, args []string) error {
	var platform string
	var quiet, all bool
	fs := newFlagSet("pull", true)
	fs.String(&platform, "platform", "Set platform if server is multi-platform capable")
	fs.Bool(&quiet, "q,quiet", "Suppress verbose output")
	fs.Bool(&all, "a,all-tags", "Download all tagged images in the repository")
	args, err := fs.ParseArgs(args, 1, 1)
	if err != nil {
		return err
	}
	var opts []dock.PullOption
	if platform != "" {
		opts = append(opts, dock.WithPlatform(platform))
	}
	if all {
		return pullAllTags(ctx, c, args[0], quiet, opts)
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	ref, _, _ := splitRef(args[0])
	newer, err := pullOne(ctx, c, e, args[0], quiet, opts)
	if err != nil {
		return err
	}
	if !quiet {
		printPullStatus(c, newer, ref)
	}
	fmt.Fprintln(c.stdout, fullName(ref))
	return nil
}

// pullOne pulls ref, printing "TAG: Pulling from", the layers' progress
// and the digest unless quiet, and reports whether the image changed.
func pullOne(ctx context.Context, c *cli, e *dock.Engine, ref string, quiet bool, opts []dock.PullOption) (newer bool, err error) {
	return pullTo(ctx, c.stdout, e, ref, quiet, opts)
}

// pullTo is pullOne printing to w (run and create print on stderr).
func pullTo(ctx context.Context, w io.Writer, e *dock.Engine, ref string, quiet bool, opts []dock.PullOption) (newer bool, err error) {
	_, name, tag := splitRef(ref)
	before, _ := e.Image(ctx, ref)
	// "Pulling from" once the registry has answered with the image, as
	// docker prints it: not before a failure to reach it.
	header := sync.OnceFunc(func() {
		if tag != "" {
			fmt.Fprintf(w, "%s: Pulling from %s\n", tag, repoPath(name))
		}
	})
	if !quiet {
		p := newProgressPrinter(w, false)
		opts = append(slices.Clip(opts), dock.WithProgress(func(ev dock.Progress) {
			header()
			p.update(ev)
		}))
	}
	img, err := e.Pull(ctx, ref, opts...)
	if err != nil {
		return false, err
	}
	if !quiet {
		header()
		fmt.Fprintf(w, "Digest: %s\n", img.Digest)
	}
	return before == nil || before.Digest != img.Digest, nil
}

// printPullStatus prints docker pull's last status line for what.
func printPullStatus(c *cli, newer bool, what string) { writePullStatus(c.stdout, newer, what) }

func writePullStatus(w io.Writer, newer bool, what string) {
	if newer {
		fmt.Fprintf(w, "Status: Downloaded newer image for %s\n", what)
	} else {
		fmt.Fprintf(w, "Status: Image is up to date for %s\n", what)
	}
}

// pullAllTags is docker pull -a NAME: it lists the repository's tags with
// the registry's tags API (the library has no call for it, so this uses
// its registry client, with the same defaults and Docker's config.json for
// credentials) and pulls them one after the other.
func pullAllTags(ctx context.Context, c *cli, name string, quiet bool, opts []dock.PullOption) error {
	r, err := reference.ParseNoDefaultTag(name)
	if err != nil {
		return err
	}
	if r.Tag != "" || r.Digest != "" {
		return errors.New("tag can't be used with --all-tags/-a")
	}
	client, err := distribution.New(distribution.Options{})
	if err != nil {
		return err
	}
	tags, err := client.Tags(ctx, r)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return fmt.Errorf("repository %s has no tags", r.Name())
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	newer := false
	for _, tag := range tags {
		n, err := pullOne(ctx, c, e, name+":"+tag, quiet, opts)
		if err != nil {
			return err
		}
		newer = newer || n
	}
	if !quiet {
		printPullStatus(c, newer, name)
	}
	fmt.Fprintln(c.stdout, fullName(name))
	return nil
}

// cmdPush is docker push NAME[:TAG].
func cmdPush(ctx context.Context, c *cli, args []string) error {
	var quiet, allTags bool
	fs := newFlagSet("push", true)
	fs.Bool(&allTags, "a,all-tags", "Push all tags of an image to the repository")
	fs.Bool(&quiet, "q,quiet", "Suppress verbose output")
	args, err := fs.ParseArgs(args, 1, 1)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	ref, name, _ := splitRef(args[0])
	refs := []string{ref}
	if allTags {
		// As docker: -a takes a repository, not a tag.
		if r, err := reference.ParseNoDefaultTag(args[0]); err == nil && (r.Tag != "" || r.Digest != "") {
			return fs.errorf("tag can't be used with --all-tags/-a")
		}
		if refs, err = repositoryTags(ctx, e, name); err != nil {
			return err
		}
	} else if _, err := e.Image(ctx, ref); err != nil {
		return fmt.Errorf("tag does not exist: %s", ref)
	}
	if !quiet {
		fmt.Fprintf(c.stdout, "The push refers to repository [%s]\n", fullName(name))
	}
	for _, ref := range refs {
		var opts []dock.PushOption
		if !quiet {
			opts = append(opts, dock.WithProgress(newProgressPrinter(c.stdout, true).update))
		}
		// The digest to print is the pushed one: the first push of a
		// local image converts its layers, which gives it a new
		// manifest.
		img, err := e.Push(ctx, ref, opts...)
		if err != nil {
			return err
		}
		if quiet {
			fmt.Fprintln(c.stdout, fullName(ref))
			continue
		}
		_, _, tag := splitRef(ref)
		fmt.Fprintf(c.stdout, "%s: digest: %s size: %d\n", tag, img.Digest, img.ManifestSize)
	}
	return nil
}

// repositoryTags lists the tags of the repository name ("app",
// "localhost:5000/app") that images have, sorted, as references: push
// -a pushes each.
func repositoryTags(ctx context.Context, e *dock.Engine, name string) ([]string, error) {
	want, err := reference.ParseNoDefaultTag(name)
	if err != nil {
		return nil, err
	}
	imgs, err := e.Images(ctx, dock.ImagesAll())
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, img := range imgs {
		for _, t := range img.RepoTags {
			r, err := reference.Parse(t)
			if err == nil && r.Name() == want.Name() {
				refs = append(refs, r.Familiar())
			}
		}
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("an image does not exist locally with the tag: %s", name)
	}
	slices.Sort(refs)
	return refs, nil
}

// splitRef returns ref with the default tag when it has neither tag nor
// digest, its name, and its tag ("" for a digest).
func splitRef(ref string) (full, name, tag string) {
	name, _, hasDigest := strings.Cut(ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	if tag == "" && !hasDigest {
		tag = "latest"
		ref = name + ":latest"
	}
	return ref, name, tag
}

// repoPath is the repository path docker prints in "Pulling from":
// "library/busybox" for "busybox".
func repoPath(name string) string {
	first, rest, ok := strings.Cut(name, "/")
	switch {
	case !ok:
		return "library/" + name
	case strings.ContainsAny(first, ".:") || first == "localhost":
		return rest
	}
	return name
}

// fullName is the normalized name docker pull prints last:
// "docker.io/library/busybox:latest".
func fullName(ref string) string {
	first, _, ok := strings.Cut(ref, "/")
	switch {
	case !ok:
		return "docker.io/library/" + ref
	case strings.ContainsAny(first, ".:") || first == "localhost":
		return ref
	}
	return "docker.io/" + ref
}

// progressPrinter shows dock.Progress as docker does: on a terminal one
// line per layer, redrawn in place with a bar; otherwise one line per
// step of each layer. Its update is called serialised (WithProgress).
type progressPrinter struct {
	w     io.Writer
	tty   bool
	push  bool
	ids   []string
	lines map[string]string
	last  map[string]dock.Phase
	drawn int
}

func newProgressPrinter(w io.Writer, push bool) *progressPrinter {
	f, ok := w.(*os.File)
	return &progressPrinter{w: w, tty: ok && isTerminal(f), push: push, lines: map[string]string{}, last: map[string]dock.Phase{}}
}

func (p *progressPrinter) update(ev dock.Progress) {
	if _, ok := p.lines[ev.ID]; !ok {
		p.ids = append(p.ids, ev.ID)
	}
	prev, seen := p.last[ev.ID]
	p.last[ev.ID] = ev.Phase
	var steps []string // plain lines for this event
	switch ev.Phase {
	case dock.PhaseWaiting:
		if p.push {
			steps = []string{"Preparing", "Waiting"}
		} else {
			steps = []string{"Pulling fs layer", "Waiting"}
		}
	case dock.PhaseExists:
		if p.push {
			steps = []string{"Layer already exists"}
		} else {
			steps = []string{"Already exists"}
		}
	case dock.PhaseDownloading:
		steps = []string{"Downloading"}
	case dock.PhaseUploading:
		steps = []string{"Pushing"}
	case dock.PhaseVerifying:
		steps = []string{"Verifying Checksum", "Download complete", "Extracting"}
	case dock.PhaseExtracting:
		steps = []string{"Extracting"}
	case dock.PhaseDone:
		if p.push {
			steps = []string{"Pushed"}
		} else {
			steps = []string{"Pull complete"}
		}
	}
	if len(steps) == 0 {
		return
	}
	if !p.tty {
		if seen && prev == ev.Phase {
			return // a byte count: nothing to print without a bar
		}
		for _, s := range steps {
			fmt.Fprintf(p.w, "%s: %s\n", ev.ID, s)
		}
		p.lines[ev.ID] = steps[len(steps)-1]
		return
	}
	line := steps[len(steps)-1]
	if ev.Phase == dock.PhaseDownloading || ev.Phase == dock.PhaseUploading || ev.Phase == dock.PhaseExtracting {
		line = fmt.Sprintf("%-11s %s %8s/%s", steps[0], bar(ev.Current, ev.Total), humanSize(ev.Current), humanSize(ev.Total))
	}
	p.lines[ev.ID] = line
	p.redraw()
}

// bar is docker's progress bar: [=====>      ], 50 columns.
func bar(cur, total int64) string {
	const width = 50
	n := 0
	if total > 0 {
		n = int(min(cur, total) * width / total)
	}
	s := strings.Repeat("=", n)
	if n < width {
		s += ">" + strings.Repeat(" ", width-n-1)
	}
	return "[" + s + "]"
}

func (p *progressPrinter) redraw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn) // back to the first line
	}
	for _, id := range p.ids {
		fmt.Fprintf(&b, "\x1b[2K%s: %s\n", id, p.lines[id])
	}
	p.drawn = len(p.ids)
	io.WriteString(p.w, b.String())
}
