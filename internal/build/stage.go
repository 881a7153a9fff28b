package build

import (
	"context"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/go-dock/dock/internal/envlist"
	"github.com/go-dock/dock/internal/store"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

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
	if s.img != nil {
		b.o.Image(s.img.ID.String())
	}
	if !fromStage && !slices.ContainsFunc(s.cfg.Config.Env, func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }) {
		// As BuildKit and buildah: a stage whose base sets no PATH
		// gets the default one, in its steps and in the image.
		s.cfg.Config.Env = append(s.cfg.Config.Env, "PATH="+envlist.DefaultPath)
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
	if final {
		if err := b.labelSteps(s); err != nil {
			return b.errorAt(from, err)
		}
	}
	if s.pending {
		key := b.stepKey(s, "#commit", nil)
		before := s.img
		if err := b.cacheStepQuiet(s, key, func() error { return b.commit(ctx, s, nil, "") }, true); err != nil {
			return b.errorAt(from, err)
		}
		b.reportImage(s, before)
	}
	return nil
}

// labelSteps applies the labels of the options (docker build --label) as
// Docker's classic builder does: a LABEL step each, in the order of their
// keys, at the end of the final stage, in the progress ("Step 6/6 : LABEL
// k=v") and the history as a Dockerfile's LABEL; the values are taken as
// they are (no variable is expanded).
func (b *builder) labelSteps(s *stageState) error {
	for _, k := range slices.Sorted(maps.Keys(b.o.Labels)) {
		v := b.o.Labels[k]
		step := "LABEL " + k + "=" + v
		b.progress(step)
		// Keyed apart from a Dockerfile's LABEL of the same text, whose
		// variables are expanded.
		key := b.stepKey(s, fmt.Sprintf("--label %q=%q", k, v), nil)
		err := b.cacheStep(s, key, func() error {
			if s.cfg.Config.Labels == nil {
				s.cfg.Config.Labels = map[string]string{}
			}
			s.cfg.Config.Labels[k] = v
			b.configStep(s, nopCreatedBy(s, step))
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// doStep runs one instruction of stage s through the cache, and reports
// the image it left, if any.
func (b *builder) doStep(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	before := s.img
	var err error
	switch in.Cmd {
	case "copy", "add":
		err = b.copy(ctx, s, in) // keyed by its sources too
	case "run":
		err = b.run(ctx, s, in) // keyed by its mounts and here-documents too
	default:
		err = b.instructionStep(s, in, func() error { return b.instruction(ctx, s, in) })
	}
	if err == nil {
		b.reportImage(s, before)
	}
	return err
}

// reportImage reports the image of stage s when it is not before's: a
// step that changed the configuration only leaves the stage's image as
// it was.
func (b *builder) reportImage(s *stageState, before *store.Image) {
	if s.img != nil && (before == nil || s.img.ID != before.ID) {
		b.o.Image(s.img.ID.String())
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
	if v, ok := s.lookupEnv(name); ok {
		return v, true
	}
	v, ok := s.args[name]
	return v, ok
}

// lookupEnv looks name up in the stage's ENV.
func (s *stageState) lookupEnv(name string) (string, bool) {
	for _, kv := range slices.Backward(s.cfg.Config.Env) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

func (b *builder) expand(s *stageState, word string) (string, error) {
	return dockerfile.Expand(word, s.lookup, b.df.Escape)
}

func (b *builder) now() time.Time {
	if !b.o.Epoch.IsZero() {
		return b.o.Epoch
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
	img, err := b.h.Commit(ctx, s.img, write, cfg, b.lease)
	if err != nil {
		return err
	}
	s.img, s.cfg, s.pending = img, img.Config.Clone(), false
	return nil
}

// configStep records a step that changes the configuration only, as
// createdBy (see history.go).
func (b *builder) configStep(s *stageState, createdBy string) {
	created := b.now()
	s.cfg.History = append(s.cfg.History, ocispec.History{Created: &created, CreatedBy: createdBy, EmptyLayer: true})
	s.pending = true
}
