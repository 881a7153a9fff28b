package dock

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/build"
)

// BuildOption configures Build.
type BuildOption func(*buildOptions) error

// buildOptions are the builder's options, and the engine's own for the
// pulls of the build.
type buildOptions struct {
	build.Options
	pullOpts []PullOption
	events   func(BuildEvent) // never nil
}

// BuildFile names the Dockerfile, relative to the context directory (or
// absolute). The default is "Dockerfile" in the context.
func BuildFile(name string) BuildOption {
	return func(o *buildOptions) error {
		if name == "" {
			return fmt.Errorf("%w: empty Dockerfile name", ErrInvalid)
		}
		o.File = name
		return nil
	}
}

// BuildArg sets the build argument name to value (docker build
// --build-arg), for the ARG instructions that declare it.
func BuildArg(name, value string) BuildOption {
	return func(o *buildOptions) error {
		if name == "" || strings.ContainsAny(name, "= \t") {
			return fmt.Errorf("%w: build argument name %q", ErrInvalid, name)
		}
		if o.Args == nil {
			o.Args = map[string]string{}
		}
		o.Args[name] = value
		return nil
	}
}

// BuildTag tags the built image ref ("name" or "name:tag"); it may be given
// several times. The tags are set once the whole build succeeded. Without
// one, the image is left untagged.
func BuildTag(ref string) BuildOption {
	return func(o *buildOptions) error {
		o.Tags = append(o.Tags, ref)
		return nil
	}
}

// BuildTarget builds the stage named (or numbered) target and the stages
// before it, instead of the last stage.
func BuildTarget(target string) BuildOption {
	return func(o *buildOptions) error {
		o.Target = target
		return nil
	}
}

// BuildLabel adds a label to the built image (docker build --label). As
// in Docker's classic builder, each label is a LABEL step of its own at
// the end of the final stage, after the Dockerfile's, in the order of the
// keys: the progress shows it ("Step 6/6 : LABEL key=value") and the
// history records it. The value is taken as it is (no variable is
// expanded).
func BuildLabel(key, value string) BuildOption {
	return func(o *buildOptions) error {
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		o.Labels[key] = value
		return nil
	}
}

// BuildNoCache disables the lookups of the build cache: every step runs.
// The results are still recorded, for the next builds to use.
func BuildNoCache() BuildOption {
	return func(o *buildOptions) error {
		o.NoCache = true
		return nil
	}
}

// BuildSourceDateEpoch makes the build reproducible, as the
// SOURCE_DATE_EPOCH convention asks: every creation time of the image
// (config and history) is t, and the modification times of the files in
// new layers are clamped to t. Two builds of the same context from the same
// base images then give the same image ID.
func BuildSourceDateEpoch(t time.Time) BuildOption {
	return func(o *buildOptions) error {
		if t.IsZero() {
			return fmt.Errorf("%w: zero SOURCE_DATE_EPOCH", ErrInvalid)
		}
		o.Epoch = t.UTC().Truncate(time.Second)
		return nil
	}
}

// BuildProgress calls fn with a line for each step as it starts, as docker
// build prints them: "Step 1/5 : FROM busybox" (and " ---> Using cache"
// for a step from the cache). BuildEvents gives the lines between them.
func BuildProgress(fn func(step string)) BuildOption {
	return func(o *buildOptions) error {
		o.Progress = fn
		return nil
	}
}

// BuildNetwork sets the network of the RUN steps: "none" (the default: a
// network namespace with only loopback, so that a build that sets nothing
// changes nothing on the host's network), "host" (the host's), "bridge"
// (the default bridge, which docker build's RUN steps join: downloads
// work), or the name or ID of a network from CreateNetwork. Build fails
// with an error wrapping ErrNotFound when that network does not exist;
// "container:NAME" is not supported. A RUN --network flag overrides it
// for its step: none, host, or default (the build's).
func BuildNetwork(mode string) BuildOption {
	return func(o *buildOptions) error {
		switch {
		case mode == "":
			return fmt.Errorf("%w: empty build network", ErrInvalid)
		case strings.HasPrefix(mode, "container:"):
			return fmt.Errorf("%w: build network %q: a container's network namespace is not supported for builds", ErrUnsupported, mode)
		}
		o.Network = mode
		return nil
	}
}

// BuildOutput sends the output (stdout and stderr) of the RUN steps to w.
// By default it is dropped (the tail of a failing step's output is in its
// BuildError).
func BuildOutput(w io.Writer) BuildOption {
	return func(o *buildOptions) error {
		o.Output = w
		return nil
	}
}

// BuildSecret gives the build the secret id, read from the file source
// (docker build --secret id=ID,src=PATH), for the RUN steps that mount it
// with --mount=type=secret,id=ID. The file is read when Build starts; an
// unreadable one fails the build. A secret's content never reaches the
// image, its history, the build cache or the progress: it is only in the
// files and environment of the steps that mount it (see BuildSecretEnv).
func BuildSecret(id, source string) BuildOption {
	return func(o *buildOptions) error {
		data, err := os.ReadFile(source)
		if err != nil {
			return fmt.Errorf("%w: secret %q: %w", ErrInvalid, id, err)
		}
		return o.addSecret(id, data)
	}
}

// BuildSecretEnv gives the build the secret id with the value of the
// calling process's environment variable name (docker build --secret
// id=ID,env=NAME); an unset variable fails the build. See BuildSecret.
func BuildSecretEnv(id, name string) BuildOption {
	return func(o *buildOptions) error {
		v, ok := os.LookupEnv(name)
		if !ok {
			return fmt.Errorf("%w: secret %q: environment variable %s is not set", ErrInvalid, id, name)
		}
		return o.addSecret(id, []byte(v))
	}
}

func (o *buildOptions) addSecret(id string, data []byte) error {
	if id == "" || strings.ContainsAny(id, "\x00") {
		return fmt.Errorf("%w: secret id %q", ErrInvalid, id)
	}
	if o.Secrets == nil {
		o.Secrets = map[string][]byte{}
	}
	o.Secrets[id] = data
	return nil
}

// PullPolicy says when Build pulls the images it names: the bases of FROM,
// and the images of COPY --from and RUN --mount from=.
type PullPolicy int

const (
	// PullNever uses the images of the store only: a missing one is an
	// error wrapping ErrNotFound. The default: Build goes to a registry
	// only when asked to.
	PullNever PullPolicy = iota
	// PullMissing pulls an image that is not in the store, as docker
	// build does by default.
	PullMissing
	// PullAlways pulls each image at its first use in the build, so that
	// a tag that moved in its registry is followed (docker build --pull).
	PullAlways
)

func (p PullPolicy) String() string {
	switch p {
	case PullNever:
		return "never"
	case PullMissing:
		return "missing"
	case PullAlways:
		return "always"
	}
	return fmt.Sprintf("PullPolicy(%d)", int(p))
}

// pullPolicies are the builder's names of the policies.
var pullPolicies = map[PullPolicy]build.PullPolicy{
	PullNever:   build.PullNever,
	PullMissing: build.PullMissing,
	PullAlways:  build.PullAlways,
}

// BuildPull sets when Build pulls the images it names (PullNever by
// default), with opts for the pulls (credentials, progress, platform).
func BuildPull(policy PullPolicy, opts ...PullOption) BuildOption {
	return func(o *buildOptions) error {
		if policy < PullNever || policy > PullAlways {
			return fmt.Errorf("%w: pull policy %v", ErrInvalid, policy)
		}
		o.Pull, o.pullOpts = pullPolicies[policy], opts
		return nil
	}
}

// Build builds an image from the Dockerfile in contextDir (or BuildFile's),
// as "docker build" does, and returns it.
//
// The stages run in order, up to the last or BuildTarget's. FROM takes an
// image of the store (pulled only as BuildPull says; by default never), an
// earlier stage, or scratch; a stage whose base sets no PATH gets the
// default one.
// ENV, ARG, LABEL, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL, CMD,
// ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD and MAINTAINER set the image
// configuration (SHELL, HEALTHCHECK and ONBUILD the fields of Docker's
// config that OCI's lacks, as docker writes them; see Image); WORKDIR adds
// a layer when it creates its directory. A base image's SHELL is the
// stage's shell. A base image's (or base stage's) ONBUILD triggers run
// right after FROM, in order, as steps of the stage (a COPY of one copies
// from this build's context), and the image does not inherit them; a
// trigger that fails gives a *BuildError at the FROM line that names it.
// RUN runs in a container of the stage's image (network none unless
// BuildNetwork or RUN --network says otherwise; the stage's environment, user,
// working directory and shell) and commits its changes as a layer.
// COPY and ADD copy files of the context (or, with --from, of a stage or an
// image) into a layer, without running anything: sources are resolved
// inside the context (a path or symlink leading out of it is refused); in
// a stage or an image (--from, and RUN --mount from=), symlinks resolve
// inside it as BuildKit resolves them (an absolute one from its root, ".."
// stopping there); the symlinks of the destination (and of WORKDIR) are
// followed inside the image and stay links; .dockerignore applies,
// --chown (numeric or names of the image's /etc/passwd) and --chmod are
// honoured, and ADD extracts local tar archives.
//
// COPY and ADD take here-documents ("COPY <<EOF /file"; several go into a
// directory under their delimiters' names; an unquoted delimiter expands
// ARG and ENV as BuildKit does; mode 0644). ADD downloads http and https
// URLs into tmp/ (not extracted; mode 0600; mtime from Last-Modified;
// --checksum verified; the environment's proxy; ctx cancels): every build
// downloads, and the step is keyed by the content. Credentials in URLs are
// redacted in errors, progress and history.
//
// RUN takes here-documents as BuildKit runs them ("RUN <<EOF" alone runs
// the body with the stage's shell, or executes it when it starts with
// "#!"; "cmd <<EOF" feeds it to cmd through the shell) and --mount:
// type=bind (from the context, resolved inside it, .dockerignore applied,
// or from= a stage or image; read-only unless rw, whose writes are
// discarded: the step sees a private copy), type=cache (a directory kept
// in <root>/cache/build-mounts across builds and engines; id, sharing
// shared|private|locked with file locks across processes, mode, uid, gid,
// from and source to seed it), type=tmpfs (size) and type=secret (from
// BuildSecret or BuildSecretEnv; at /run/secrets/<id> or target, mode 0400
// by default, env= to set it as a variable of the step, required=true).
// Mount contents and the mountpoints a step needed never reach the layer,
// and a secret's content is never in the image, history, cache key or
// progress. A RUN with mounts is keyed by its mount options, the contents
// of bound context files, and the image ID of a bound stage or image (not
// by secrets). Not supported: type=ssh, ADD of git repositories.
//
// Steps are cached, as by docker's classic builder: a step whose parent
// image, instruction, ARG values in scope and, for COPY and ADD, selected
// sources (names, modes, owners, link targets and contents, not times) are
// those of a step of an earlier build reuses its image, and the progress
// says " ---> Using cache". The cache is in <root>/cache/build; the files
// of the context are hashed in parallel, and a file whose size, times and
// inode did not change since the last build is not read again (see
// RacyMargin in internal/build/cache.go for when that would be unsafe). BuildNoCache
// runs every step.
//
// The history of the image (see History) has an entry per step, as
// Docker's classic builder writes it: "/bin/sh -c #(nop)  LABEL l=1" for
// a step that runs nothing (behind the stage's SHELL; ARG included), a
// RUN's command behind the build arguments it saw ("|1 V=x /bin/sh -c
// make"; build arguments are not secrets, as in Docker: see BuildSecret),
// COPY and ADD naming their sources by content ("/bin/sh -c #(nop) COPY
// file:<sha256> in /dst ").
//
// A step that fails gives a *BuildError with the Dockerfile's line; a
// syntax error a *BuildError wrapping a *SyntaxError.
// Whatever happens, no container is left behind, and the tags are set only
// when the whole build succeeded. The images of intermediate steps are
// kept, untagged, for the cache (those of a failed build's successful
// steps included), as docker keeps them: each step's image records the
// previous step's image (the first step's: the base image) as its parent
// (Image.Parent), so Images hides them unless ImagesAll, RemoveImage of
// the result removes those no other image shares, and Prune removes the
// chain of an untagged result (a cache entry whose image is gone is a
// miss). While the build runs, the images it uses and makes are held
// against prunes and removals in any engine on the root (see
// internal/build/lease.go).
func (e *Engine) Build(ctx context.Context, contextDir string, opts ...BuildOption) (*Image, error) {
	o := buildOptions{Options: build.Options{File: "Dockerfile", Output: io.Discard, Progress: func(string) {}}, events: func(BuildEvent) {}}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
	}
	o.Image = func(id string) { o.events(BuildEvent{Kind: BuildImage, ID: id}) }
	if err := e.resolveBuildNetwork(ctx, &o); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	img, err := build.Build(ctx, e.buildHost(o.pullOpts, o.events), contextDir, &o.Options)
	if err != nil {
		return nil, fmt.Errorf("build: %w", buildError(err))
	}
	for _, tag := range o.Tags {
		e.emitImage("tag", img.ID.String(), familiarRef(tag))
	}
	return newImage(img), nil
}

// resolveBuildNetwork checks BuildNetwork's network before any step runs,
// and names it by its name, so that the cache keys of the RUN steps are
// the same whichever of its names or IDs a build gave.
func (e *Engine) resolveBuildNetwork(ctx context.Context, o *buildOptions) error {
	switch o.Network {
	case "", "none", "host":
		return nil
	}
	n, err := e.Network(ctx, o.Network)
	if err != nil {
		return fmt.Errorf("build network: %w", err)
	}
	o.Network = n.Name
	return nil
}
