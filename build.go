package dock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/go-dock/dock/internal/envlist"
	"github.com/go-dock/dock/internal/signal"
	"github.com/go-dock/dock/internal/store"
	"github.com/go-dock/dock/internal/user"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// defaultPath is the PATH that a build stage gets when its base image sets
// none.
const defaultPath = envlist.DefaultPath

// BuildOption configures Build.
type BuildOption func(*buildOptions) error

type buildOptions struct {
	file     string
	args     map[string]string
	tags     []string
	target   string
	labels   map[string]string
	noCache  bool
	epoch    time.Time
	progress func(string)
	output   io.Writer
	pull     PullPolicy
	pullOpts []PullOption
	network  string            // of the RUN steps: "none" (default) or "host"
	secrets  map[string][]byte // by id; never printed, stored or hashed
}

// BuildFile names the Dockerfile, relative to the context directory (or
// absolute). The default is "Dockerfile" in the context.
func BuildFile(name string) BuildOption {
	return func(o *buildOptions) error {
		if name == "" {
			return fmt.Errorf("%w: empty Dockerfile name", ErrInvalid)
		}
		o.file = name
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
		if o.args == nil {
			o.args = map[string]string{}
		}
		o.args[name] = value
		return nil
	}
}

// BuildTag tags the built image ref ("name" or "name:tag"); it may be given
// several times. The tags are set once the whole build succeeded. Without
// one, the image is left untagged.
func BuildTag(ref string) BuildOption {
	return func(o *buildOptions) error {
		o.tags = append(o.tags, ref)
		return nil
	}
}

// BuildTarget builds the stage named (or numbered) target and the stages
// before it, instead of the last stage.
func BuildTarget(target string) BuildOption {
	return func(o *buildOptions) error {
		o.target = target
		return nil
	}
}

// BuildLabel adds a label to the built image (docker build --label).
func BuildLabel(key, value string) BuildOption {
	return func(o *buildOptions) error {
		if o.labels == nil {
			o.labels = map[string]string{}
		}
		o.labels[key] = value
		return nil
	}
}

// BuildNoCache disables the lookups of the build cache: every step runs.
// The results are still recorded, for the next builds to use.
func BuildNoCache() BuildOption {
	return func(o *buildOptions) error {
		o.noCache = true
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
		o.epoch = t.UTC().Truncate(time.Second)
		return nil
	}
}

// BuildProgress calls fn with a line for each step as it starts, as docker
// build prints them: "Step 1/5 : FROM busybox".
func BuildProgress(fn func(step string)) BuildOption {
	return func(o *buildOptions) error {
		o.progress = fn
		return nil
	}
}

// BuildNetwork sets the network of the RUN steps: "none" (the default: a
// network namespace with only loopback) or "host". A RUN --network flag
// overrides it for its step ("default" means the build's).
func BuildNetwork(mode string) BuildOption {
	return func(o *buildOptions) error {
		if mode != "none" && mode != "host" {
			return fmt.Errorf("%w: build network %q: none or host (bridge networks are not supported yet)", ErrUnsupported, mode)
		}
		o.network = mode
		return nil
	}
}

// BuildOutput sends the output (stdout and stderr) of the RUN steps to w.
// By default it is dropped (the tail of a failing step's output is in its
// BuildError).
func BuildOutput(w io.Writer) BuildOption {
	return func(o *buildOptions) error {
		o.output = w
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
	if o.secrets == nil {
		o.secrets = map[string][]byte{}
	}
	o.secrets[id] = data
	return nil
}

// BuildError is the error of a build that failed at a step of the
// Dockerfile, or on its syntax.
type BuildError struct {
	// File is the Dockerfile's path as given (or "Dockerfile").
	File string
	// Line is the line of the instruction, from 1; 0 when the error is
	// about the whole file.
	Line int
	// Instruction is the upper-case instruction ("RUN"), or "".
	Instruction string
	// Trigger is, for a failed ONBUILD trigger of the stage's base
	// image, the trigger's text ("RUN make"); Line is then the FROM's.
	Trigger string
	// ExitCode is the exit code of a failed RUN, else 0.
	ExitCode int
	// Output is the tail (up to 4 KiB) of the output of a failed RUN.
	Output string
	// Err is the cause: a *dockerfile.SyntaxError, an *ExitError for a
	// failed RUN, or another error.
	Err error
}

func (e *BuildError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	switch {
	case strings.ContainsAny(e.Trigger, "\r\n"): // from an image's config
		fmt.Fprintf(&b, ": ONBUILD trigger %q", e.Trigger)
	case e.Trigger != "":
		b.WriteString(": ONBUILD trigger " + e.Trigger)
	case e.Instruction != "":
		b.WriteString(": " + e.Instruction)
	}
	b.WriteString(": ")
	var se *dockerfile.SyntaxError
	switch {
	case errors.As(e.Err, &se):
		b.WriteString(se.Msg)
	case e.ExitCode != 0:
		fmt.Fprintf(&b, "command returned a non-zero code: %d", e.ExitCode)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *BuildError) Unwrap() error { return e.Err }

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
// BuildNetwork or RUN --network says host; the stage's environment, user,
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
// racyMargin in buildcache.go for when that would be unsafe). BuildNoCache
// runs every step.
//
// A step that fails gives a *BuildError with the Dockerfile's line; a
// syntax error a *BuildError wrapping the parser's *dockerfile.SyntaxError.
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
// build_lease.go).
func (e *Engine) Build(ctx context.Context, contextDir string, opts ...BuildOption) (*Image, error) {
	o := buildOptions{file: "Dockerfile", output: io.Discard, progress: func(string) {}}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
	}
	b, err := e.newBuilder(contextDir, &o)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer b.close()
	if b.lease, err = e.store.NewLease(); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer b.lease.Release() // after the tags: the untagged result is held until then
	img, err := b.build(ctx)
	if serr := b.files.save(e); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	for _, tag := range o.tags {
		if err := e.store.Tag(img.ID.String(), tag); err != nil {
			return nil, fmt.Errorf("build: tag %s: %w", tag, translate(err))
		}
	}
	if img, err = e.store.Resolve(img.ID.String()); err != nil {
		return nil, fmt.Errorf("build: %w", translate(err))
	}
	return newImage(img), nil
}

// builder holds the state of one Build.
type builder struct {
	e       *Engine
	o       *buildOptions
	df      *dockerfile.Dockerfile
	file    string   // as the errors name it
	ctxDir  *os.Root // the build context
	ignore  *dockerfile.Ignore
	meta    map[string]string // ARGs before FROM, with the build args
	stages  []*stageState
	files   *fileHashCache // stat cache of the context's files
	started time.Time
	step    int
	steps   int
	pulled  map[string]*store.Image // by reference, for a pull policy
	lease   *store.Lease            // the images the build uses (build_lease.go)
}

// stageState is a stage being built: its image so far and its pending
// configuration.
type stageState struct {
	img     *store.Image // nil: scratch, no layer yet
	cfg     store.Config
	pending bool              // cfg differs from img's
	args    map[string]string // ARGs declared in the stage
	chain   string            // cache key of the last step
	cmdSet  bool              // a CMD of this stage was seen
}

func (e *Engine) newBuilder(contextDir string, o *buildOptions) (*builder, error) {
	root, err := os.OpenRoot(contextDir)
	if err != nil {
		return nil, fmt.Errorf("open context: %w", err)
	}
	b := &builder{e: e, o: o, ctxDir: root, file: o.file, started: time.Now(), files: e.newFileHashCache(contextDir)}
	var data []byte
	if filepath.IsAbs(o.file) {
		data, err = os.ReadFile(o.file)
	} else {
		data, err = root.ReadFile(o.file)
	}
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	df, err := dockerfile.Parse(bytes.NewReader(data))
	if err != nil {
		root.Close()
		be := &BuildError{File: o.file, Err: err}
		var se *dockerfile.SyntaxError
		if errors.As(err, &se) {
			be.Line, be.Instruction = se.Line, se.Instruction
		}
		return nil, be
	}
	b.df = df
	if ig, err := root.ReadFile(".dockerignore"); err == nil {
		if b.ignore, err = dockerfile.ParseIgnore(bytes.NewReader(ig)); err != nil {
			root.Close()
			return nil, fmt.Errorf(".dockerignore: %w", err)
		}
	}
	return b, nil
}

func (b *builder) close() { b.ctxDir.Close() }

func (b *builder) errorAt(in *dockerfile.Instruction, err error) error {
	var be *BuildError
	if errors.As(err, &be) {
		return err
	}
	return &BuildError{File: b.file, Line: in.Line, Instruction: strings.ToUpper(in.Cmd), Err: err}
}

func (b *builder) build(ctx context.Context) (*store.Image, error) {
	b.meta = map[string]string{}
	for _, in := range b.df.MetaArgs {
		for _, kv := range in.Pairs {
			if v, ok := b.o.args[kv.Key]; ok {
				b.meta[kv.Key] = v
				continue
			}
			if kv.HasValue {
				v, err := dockerfile.Expand(kv.Value, b.lookupMeta, b.df.Escape)
				if err != nil {
					return nil, b.errorAt(&in, err)
				}
				b.meta[kv.Key] = v
			} else {
				b.meta[kv.Key] = ""
			}
		}
	}
	last := len(b.df.Stages) - 1
	if b.o.target != "" {
		st := b.df.Stage(b.o.target)
		if st == nil {
			return nil, fmt.Errorf("%w: target stage %q not found", ErrNotFound, b.o.target)
		}
		last = st.Index
	}
	for _, st := range b.df.Stages[:last+1] {
		b.steps += 1 + len(st.Instructions)
	}
	for i := range b.df.Stages[:last+1] {
		if err := b.buildStage(ctx, &b.df.Stages[i], i == last); err != nil {
			return nil, err
		}
	}
	return b.stages[last].img, nil
}

func (b *builder) lookupMeta(name string) (string, bool) {
	v, ok := b.meta[name]
	return v, ok
}

func (b *builder) progress(in string) {
	b.step++
	b.o.progress(fmt.Sprintf("Step %d/%d : %s", b.step, b.steps, redactURLs(in)))
}

func (b *builder) buildStage(ctx context.Context, st *dockerfile.Stage, final bool) error {
	from := &dockerfile.Instruction{Cmd: "from", Line: st.Line}
	b.progress("FROM " + st.From + stageSuffix(st))
	ref, err := dockerfile.Expand(st.From, b.lookupMeta, b.df.Escape)
	if err != nil {
		return b.errorAt(from, err)
	}
	s := &stageState{args: map[string]string{}, chain: "FROM " + ref}
	fromStage := false
	switch prev := b.df.Stage(ref); {
	case strings.EqualFold(ref, "scratch"):
		s.cfg = store.Config{Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}}
		s.pending = true
	case prev != nil && prev.Index < st.Index:
		p := b.stages[prev.Index]
		s.img, s.cfg = p.img, p.cfg.Clone()
		s.pending = p.img == nil
		fromStage = true
	default:
		img, err := b.image(ctx, ref)
		if err != nil {
			return b.errorAt(from, fmt.Errorf("base image %s: %w", ref, err))
		}
		s.img, s.cfg = img, img.Config.Clone()
	}
	if !fromStage && !slices.ContainsFunc(s.cfg.Config.Env, func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }) {
		// As BuildKit and buildah: a stage whose base sets no PATH
		// gets the default one, in its steps and in the image.
		s.cfg.Config.Env = append(s.cfg.Config.Env, "PATH="+defaultPath)
		s.pending = true
	}
	b.stages = append(b.stages, s)
	if err := b.runTriggers(ctx, s, st, ref); err != nil {
		return err
	}
	for i := range st.Instructions {
		in := &st.Instructions[i]
		b.progress(in.Original)
		if err := b.doStep(ctx, s, in); err != nil {
			return b.errorAt(in, err)
		}
	}
	if final && len(b.o.labels) > 0 {
		if s.cfg.Config.Labels == nil {
			s.cfg.Config.Labels = map[string]string{}
		}
		maps.Copy(s.cfg.Config.Labels, b.o.labels)
		s.pending = true
	}
	if s.pending {
		text := "#commit"
		if final {
			for _, k := range slices.Sorted(maps.Keys(b.o.labels)) {
				text += fmt.Sprintf(" label %q=%q", k, b.o.labels[k])
			}
		}
		key := b.stepKey(s, text, nil)
		if err := b.cacheStep(s, key, func() error { return b.commit(ctx, s, nil, "") }); err != nil {
			return b.errorAt(from, err)
		}
	}
	return nil
}

// doStep runs one instruction of stage s through the cache.
func (b *builder) doStep(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch in.Cmd {
	case "copy", "add":
		return b.copy(ctx, s, in) // keyed by its sources too
	case "run":
		return b.run(ctx, s, in) // keyed by its mounts and here-documents too
	default:
		return b.instructionStep(s, in, func() error { return b.instruction(ctx, s, in) })
	}
}

func stageSuffix(st *dockerfile.Stage) string {
	if st.Name != "" {
		return " AS " + st.Name
	}
	return ""
}

// lookup is the variable lookup of a stage: ENV first, then ARG.
func (s *stageState) lookup(name string) (string, bool) {
	for _, kv := range slices.Backward(s.cfg.Config.Env) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	v, ok := s.args[name]
	return v, ok
}

func (b *builder) expand(s *stageState, word string) (string, error) {
	return dockerfile.Expand(word, s.lookup, b.df.Escape)
}

func (b *builder) now() time.Time {
	if !b.o.epoch.IsZero() {
		return b.o.epoch
	}
	return time.Now().UTC()
}

// commit stores the stage's image: with a new layer when write is set,
// else its configuration only (history: createdBy, if not empty, as an
// empty layer).
func (b *builder) commit(ctx context.Context, s *stageState, write func(io.Writer) error, createdBy string) error {
	created := b.now()
	cfg := s.cfg.Clone()
	cfg.Created = &created
	if write != nil {
		cfg.History = append(cfg.History, ocispec.History{Created: &created, CreatedBy: createdBy})
	}
	img, err := b.e.commitTar(ctx, s.img, write, cfg, "", b.lease)
	if err != nil {
		return err
	}
	s.img, s.cfg, s.pending = img, img.Config.Clone(), false
	return nil
}

// configStep records an instruction that changes the configuration only.
func (b *builder) configStep(s *stageState, in *dockerfile.Instruction) {
	created := b.now()
	s.cfg.History = append(s.cfg.History, ocispec.History{Created: &created, CreatedBy: in.Original, EmptyLayer: true})
	s.pending = true
}

func (b *builder) instruction(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	c := &s.cfg.Config
	switch in.Cmd {
	case "env":
		// Every value sees the variables as they were before the line,
		// as in docker: ENV A=2 B=$A sets B to the former A.
		env := make([]string, 0, len(in.Pairs))
		for _, kv := range in.Pairs {
			v, err := b.expand(s, kv.Value)
			if err != nil {
				return err
			}
			env = append(env, kv.Key+"="+v)
		}
		c.Env = mergeEnv(c.Env, env)
	case "label":
		for _, kv := range in.Pairs {
			k, err := b.expand(s, kv.Key)
			if err != nil {
				return err
			}
			v, err := b.expand(s, kv.Value)
			if err != nil {
				return err
			}
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels[k] = v
		}
	case "arg":
		for _, kv := range in.Pairs {
			switch v, ok := b.o.args[kv.Key]; {
			case ok:
				s.args[kv.Key] = v
			case kv.HasValue:
				v, err := b.expand(s, kv.Value)
				if err != nil {
					return err
				}
				s.args[kv.Key] = v
			default:
				s.args[kv.Key] = b.meta[kv.Key]
			}
		}
		return nil // no history entry, as BuildKit
	case "workdir":
		p, err := b.expand(s, strings.Join(in.Args, " "))
		if err != nil {
			return err
		}
		if !path.IsAbs(p) {
			p = path.Join("/", c.WorkingDir, p)
		}
		c.WorkingDir = path.Clean(p)
		return b.workdir(ctx, s, in)
	case "user":
		u, err := b.expand(s, strings.Join(in.Args, " "))
		if err != nil {
			return err
		}
		if err := user.CheckSpec(u); err != nil {
			return translate(err)
		}
		c.User = u
	case "stopsignal":
		sig, err := b.expand(s, strings.Join(in.Args, " "))
		if err != nil {
			return err
		}
		if _, ok := signal.Parse(sig); !ok {
			return fmt.Errorf("%w: unknown signal %q", ErrInvalid, sig)
		}
		c.StopSignal = sig
	case "maintainer":
		s.cfg.Author = strings.Join(in.Args, " ")
	case "expose":
		for _, a := range in.Args {
			words, err := dockerfile.ExpandWords(a, s.lookup, b.df.Escape)
			if err != nil {
				return err
			}
			for _, p := range words {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				if c.ExposedPorts == nil {
					c.ExposedPorts = map[string]struct{}{}
				}
				c.ExposedPorts[p] = struct{}{}
			}
		}
	case "volume":
		for _, a := range in.Args {
			v, err := b.expand(s, a)
			if err != nil {
				return err
			}
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			c.Volumes[v] = struct{}{}
		}
	case "cmd":
		c.Cmd = b.command(s, in)
		s.cmdSet = true
	case "entrypoint":
		c.Entrypoint = b.command(s, in)
		// As in Docker, a new ENTRYPOINT resets the CMD of the base image
		// unless the stage set one before it (one after it sets it anyway).
		if !s.cmdSet {
			c.Cmd = nil
		}
	case "shell":
		if len(in.Args) == 0 {
			return fmt.Errorf("%w: SHELL needs a command", ErrInvalid)
		}
		c.Shell = slices.Clone(in.Args)
	case "healthcheck":
		if in.Health == nil { // the parser sets it
			return fmt.Errorf("%w: HEALTHCHECK without a test", ErrInvalid)
		}
		c.Healthcheck = healthcheckConfig(in.Health)
	case "onbuild":
		// The trigger's text as written, as docker keeps it; a build
		// FROM the image parses and runs it (runTriggers).
		c.OnBuild = append(c.OnBuild, in.Args[0])
	default: // RUN, COPY and ADD are steps of their own (buildStage)
		return fmt.Errorf("%w: instruction %s not supported", ErrUnsupported, strings.ToUpper(in.Cmd))
	}
	b.configStep(s, in)
	return nil
}

func (s *stageState) shellCmd() []string {
	if sh := s.cfg.Config.Shell; len(sh) > 0 {
		return slices.Clone(sh)
	}
	return []string{"/bin/sh", "-c"}
}

// command returns the argv of a CMD, ENTRYPOINT or RUN: the JSON form as
// is, the shell form through the stage's shell.
func (b *builder) command(s *stageState, in *dockerfile.Instruction) []string {
	if in.ShellForm {
		return append(s.shellCmd(), strings.Join(in.Args, " "))
	}
	return slices.Clone(in.Args)
}

// healthcheckConfig is the image config's form of a parsed HEALTHCHECK:
// the durations the parser gives in nanoseconds are time.Durations, which
// JSON encodes as nanoseconds, as docker writes them.
func healthcheckConfig(h *dockerfile.Healthcheck) *store.Healthcheck {
	return &store.Healthcheck{
		Test:          slices.Clone(h.Test),
		Interval:      time.Duration(h.Interval),
		Timeout:       time.Duration(h.Timeout),
		StartPeriod:   time.Duration(h.StartPeriod),
		StartInterval: time.Duration(h.StartInterval),
		Retries:       h.Retries,
	}
}
