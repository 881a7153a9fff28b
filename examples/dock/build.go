package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock"
)

// cmdBuild is docker build (the classic builder's output): a line per
// step, the RUN output, then the image ID and its tags.
func cmdBuild(ctx context.Context, c *cli, args []string) error {
	var tags, buildArgs, labels, secrets []string
	var file, target, progress string
	var noCache, quiet, pull bool
	var network string
	fs := newFlagSet("build", true)
	fs.Strings(&tags, "t,tag", "Name and optionally a tag in the \"name:tag\" format")
	fs.String(&file, "f,file", "Name of the Dockerfile (default: \"PATH/Dockerfile\")")
	fs.Strings(&buildArgs, "build-arg", "Set build-time variables")
	fs.String(&target, "target", "Set the target build stage to build")
	fs.Bool(&noCache, "no-cache", "Do not use cache when building the image")
	fs.Strings(&labels, "label", "Set metadata for an image")
	fs.Bool(&quiet, "q,quiet", "Suppress the build output and print image ID on success")
	fs.Bool(&pull, "pull", "Always attempt to pull a newer version of the image")
	fs.String(&network, "network", "Set the networking mode for the RUN instructions during build (default: the default bridge; none, host, or a network)")
	fs.Strings(&secrets, "secret", "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret|,env=VAR]\")")
	fs.String(&progress, "progress", "Set type of progress output (auto, plain, tty): tty redraws each step with the tail of its output; auto is tty on a terminal")
	args, err := fs.ParseArgs(args, 1, 1)
	if err != nil {
		return err
	}
	switch progress {
	case "", "auto", "plain", "tty":
	default:
		return fmt.Errorf("invalid --progress %q: auto, plain or tty", progress)
	}
	var opts []dock.BuildOption
	for _, t := range tags {
		opts = append(opts, dock.BuildTag(t))
	}
	if file != "" {
		if file == "-" {
			// docker build -f -: the Dockerfile on stdin, the context
			// as given.
			df, err := os.CreateTemp("", "dock-Dockerfile-")
			if err != nil {
				return err
			}
			defer os.Remove(df.Name())
			_, err = io.Copy(df, c.stdin)
			if cerr := df.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("read the Dockerfile from stdin: %w", err)
			}
			file = df.Name()
		}
		if !strings.HasPrefix(file, "/") {
			// docker build -f is relative to the working directory.
			if wd, err := os.Getwd(); err == nil {
				file = wd + "/" + file
			}
		}
		opts = append(opts, dock.BuildFile(file))
	}
	for _, a := range buildArgs {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			if v, ok = os.LookupEnv(k); !ok {
				continue // docker ignores an unset bare --build-arg
			}
		}
		opts = append(opts, dock.BuildArg(k, v))
	}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		opts = append(opts, dock.BuildLabel(k, v))
	}
	for _, v := range secrets {
		opt, err := secretFlag(v)
		if err != nil {
			return err
		}
		opts = append(opts, opt)
	}
	if target != "" {
		opts = append(opts, dock.BuildTarget(target))
	}
	if noCache {
		opts = append(opts, dock.BuildNoCache())
	}
	// As docker build: a base image missing from the store is pulled;
	// --pull pulls every one.
	policy := dock.PullMissing
	if pull {
		policy = dock.PullAlways
	}
	opts = append(opts, dock.BuildPull(policy))
	// As docker build (and dock run): the RUN steps are on the default
	// bridge unless --network says otherwise, so that they can download.
	if network == "" || network == "default" {
		network = "bridge"
	}
	opts = append(opts, dock.BuildNetwork(network))
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid SOURCE_DATE_EPOCH %q", s)
		}
		opts = append(opts, dock.BuildSourceDateEpoch(time.Unix(sec, 0)))
	}
	if progress == "" || progress == "auto" {
		progress = "plain"
		if f, ok := c.stdout.(*os.File); ok && isTerminal(f) {
			progress = "tty"
		}
	}
	var tty *ttyBuild
	switch {
	case quiet:
		opts = append(opts, dock.BuildOutput(io.Discard))
	case progress == "tty":
		tty = newTTYBuild(c.stdout, time.Now)
		opts = append(opts, dock.BuildProgress(tty.progress), dock.BuildOutput(tty))
	default:
		opts = append(opts,
			dock.BuildProgress(func(step string) { fmt.Fprintln(c.stdout, step) }),
			dock.BuildEvents(func(ev dock.BuildEvent) { fmt.Fprintln(c.stdout, ev) }),
			dock.BuildOutput(c.stdout))
	}

	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	img, err := e.Build(ctx, args[0], opts...)
	if tty != nil {
		tty.finish(err == nil)
	}
	if err != nil {
		return err
	}
	if quiet {
		fmt.Fprintln(c.stdout, img.ID)
		return nil
	}
	fmt.Fprintf(c.stdout, "Successfully built %s\n", shortID(img.ID))
	for _, t := range tags {
		fmt.Fprintf(c.stdout, "Successfully tagged %s\n", t)
	}
	return nil
}

// cmdCommit is docker commit: it prints the new image's ID.
func cmdCommit(ctx context.Context, c *cli, args []string) error {
	var message, author string
	var changes []string
	var pause bool
	fs := newFlagSet("commit", true)
	fs.String(&message, "m,message", "Commit message")
	fs.String(&author, "a,author", "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")")
	fs.Strings(&changes, "c,change", "Apply Dockerfile instruction to the created image")
	fs.Bool(&pause, "p,pause", "Pause container during commit (ignored: dock commits without pausing)")
	args, err := fs.ParseArgs(args, 1, 2)
	if err != nil {
		return err
	}
	ref := ""
	if len(args) == 2 {
		ref = args[1]
	}
	opts := []dock.CommitOption{dock.CommitMessage(message), dock.CommitAuthor(author)}
	for _, ch := range changes {
		opts = append(opts, dock.CommitChange(ch))
	}
	ctr, done, err := c.openContainer(args[0])
	if err != nil {
		return err
	}
	defer done()
	img, err := ctr.Commit(ctx, ref, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, img.ID)
	return nil
}

// secretFlag parses a --secret value as docker build takes it:
// "id=NAME,src=PATH" (or source=, type=file) reads a file, "id=NAME,env=VAR"
// (or type=env) an environment variable; with neither, the variable NAME
// if it is set.
func secretFlag(v string) (dock.BuildOption, error) {
	var id, src, env, typ string
	for _, f := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("invalid --secret %q: %q is not key=value", v, f)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "id":
			id = val
		case "src", "source":
			src = val
		case "env":
			env = val
		case "type":
			if val != "file" && val != "env" {
				return nil, fmt.Errorf("invalid --secret %q: type must be file or env", v)
			}
			typ = val
		default:
			return nil, fmt.Errorf("invalid --secret %q: unknown key %q", v, k)
		}
	}
	switch {
	case id == "":
		return nil, fmt.Errorf("invalid --secret %q: needs id=", v)
	case src != "" && env != "":
		return nil, fmt.Errorf("invalid --secret %q: src and env are exclusive", v)
	case src != "" && typ != "env":
		return dock.BuildSecret(id, src), nil
	case env != "":
		return dock.BuildSecretEnv(id, env), nil
	case typ == "env" && src != "":
		return dock.BuildSecretEnv(id, src), nil
	case typ == "file":
		return nil, fmt.Errorf("invalid --secret %q: type=file needs src=", v)
	default:
		return dock.BuildSecretEnv(id, id), nil
	}
}
