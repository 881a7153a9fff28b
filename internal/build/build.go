// Package build is the engine's Dockerfile builder: it runs the stages
// and steps of a Dockerfile over the engine's image store, with the build
// cache, and gives the result. The root package's Engine.Build is its
// only caller and documents the behaviour; the builder reaches the rest
// of the engine only through Host, the seam that the engine fills in.
package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/go-dock/dock/internal/store"
)

// Build builds an image from the Dockerfile of contextDir as o says, on
// host h, and tags it with o.Tags once the whole build succeeded. A build
// that fails at a step or on the Dockerfile's syntax returns an *Error;
// any error wraps this package's sentinels, the store's or the host's.
// The images that the build uses and makes are held in a store lease
// until Build returns (see lease.go).
func Build(ctx context.Context, h *Host, contextDir string, o *Options) (*store.Image, error) {
	b, err := newBuilder(h, contextDir, o)
	if err != nil {
		return nil, err
	}
	defer b.close()
	if b.lease, err = h.Store.NewLease(); err != nil {
		return nil, err
	}
	defer b.lease.Release() // after the tags: the untagged result is held until then
	img, err := b.build(ctx)
	if serr := b.files.save(h.WriteFile); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	for _, tag := range o.Tags {
		if err := h.Store.Tag(img.ID.String(), tag); err != nil {
			return nil, fmt.Errorf("tag %s: %w", tag, err)
		}
	}
	return h.Store.Resolve(img.ID.String())
}

// builder holds the state of one Build.
type builder struct {
	h       *Host
	o       *Options
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
	lease   *store.Lease            // the images the build uses (lease.go)
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
	// argUnset are the ARGs of args without a value (no default, no
	// build argument, no global ARG), which a RUN's history leaves out.
	argUnset map[string]bool
}

func newBuilder(h *Host, contextDir string, o *Options) (*builder, error) {
	root, err := os.OpenRoot(contextDir)
	if err != nil {
		return nil, fmt.Errorf("open context: %w", err)
	}
	b := &builder{h: h, o: o, ctxDir: root, file: o.File, started: time.Now(), files: newFileHashCache(h.CacheDir, contextDir)}
	var data []byte
	if filepath.IsAbs(o.File) {
		data, err = os.ReadFile(o.File)
	} else {
		data, err = root.ReadFile(o.File)
	}
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	df, err := dockerfile.Parse(bytes.NewReader(data))
	if err != nil {
		root.Close()
		be := &Error{File: o.File, Err: err}
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
	var be *Error
	if errors.As(err, &be) {
		return err
	}
	return &Error{File: b.file, Line: in.Line, Instruction: strings.ToUpper(in.Cmd), Err: err}
}

func (b *builder) build(ctx context.Context) (*store.Image, error) {
	b.meta = map[string]string{}
	for _, in := range b.df.MetaArgs {
		for _, kv := range in.Pairs {
			if v, ok := b.o.Args[kv.Key]; ok {
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
	if b.o.Target != "" {
		st := b.df.Stage(b.o.Target)
		if st == nil {
			return nil, fmt.Errorf("%w: target stage %q not found", ErrNotFound, b.o.Target)
		}
		last = st.Index
	}
	for _, st := range b.df.Stages[:last+1] {
		b.steps += 1 + len(st.Instructions)
	}
	b.steps += len(b.o.Labels) // a LABEL step each (labelSteps)
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
	b.o.Progress(fmt.Sprintf("Step %d/%d : %s", b.step, b.steps, redactURLs(in)))
}
