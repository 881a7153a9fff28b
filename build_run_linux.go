package dock

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/go-dock/dock/internal/layerdiff"
)

// outputTail is the size of the output kept for a failed RUN's BuildError.
const outputTail = 4 << 10

// run runs a RUN instruction in a container of the stage's image and
// commits the container's changes as a layer, through the cache: its key
// holds, besides the instruction, its mounts (see planMounts) and the
// bodies of its here-documents.
func (b *builder) run(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	for _, f := range in.Flags {
		switch {
		case f.Name == "mount": // parsed into in.Mounts
		case f.Name == "network" && f.Value == "none":
		default:
			return fmt.Errorf("RUN --%s: %w", f.Name, ErrUnsupported)
		}
	}
	if s.img == nil {
		return fmt.Errorf("%w: RUN in a stage without layers (FROM scratch has no shell)", ErrInvalid)
	}
	argv, script, err := b.runArgs(s, in)
	if err != nil {
		return err
	}
	plans, mountKey, err := b.planMounts(s, in)
	if err != nil {
		return err
	}
	var extra []byte
	if len(in.Mounts) > 0 || len(in.Heredocs) > 0 { // plain RUNs keep their keys
		sum := sha256.Sum256([]byte(mountKey + heredocKey(in)))
		extra = sum[:]
	}
	return b.cacheStep(s, b.stepKey(s, in.Original, extra), func() error {
		return b.runStep(ctx, s, in, argv, plans, script)
	})
}

// runStep runs the container of a RUN and commits its layer; the mounts'
// files, locks and mountpoints are gone when it returns, whatever
// happened.
func (b *builder) runStep(ctx context.Context, s *stageState, in *dockerfile.Instruction, argv []string, plans []*runMount, script *heredocScript) (retErr error) {
	var pm preparedMounts
	defer func() {
		if err := pm.cleanup(); err != nil && retErr == nil {
			retErr = err
		}
	}()
	if err := b.prepareMounts(ctx, plans, script, &pm); err != nil {
		return err
	}
	env := slices.Clone(s.cfg.Config.Env)
	for _, k := range slices.Sorted(maps.Keys(s.args)) {
		if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, k+"=") }) {
			env = append(env, k+"="+s.args[k])
		}
	}
	env = mergeEnv(env, pm.env)
	// The image's VOLUMEs get no volume in a RUN step, as with BuildKit:
	// what the step writes there stays in the layer.
	c, err := b.e.create(ctx, Config{
		Image:      s.img.ID.String(),
		Entrypoint: []string{""},
		Cmd:        argv,
		Env:        env,
		User:       s.cfg.Config.User,
		WorkingDir: s.cfg.Config.WorkingDir,
		Network:    "none",
		Mounts:     pm.mounts,
	}, false)
	if err != nil {
		return err
	}
	defer c.Remove(context.WithoutCancel(ctx), true)
	out := &tailWriter{w: b.o.output}
	c.Stdout, c.Stderr = out, out
	if err := c.Start(ctx); err != nil {
		return err
	}
	st, err := c.Wait(ctx)
	if err != nil {
		return err
	}
	if st.Code != 0 {
		return &BuildError{
			File: b.file, Line: in.Line, Instruction: "RUN",
			ExitCode: st.Code, Output: out.tail(), Err: &ExitError{Status: st},
		}
	}
	upper := c.dir("upper")
	if len(pm.targets) > 0 {
		lfs, err := b.layers(ctx, s.img)
		if err != nil {
			return err
		}
		if err := removeMountpoints(upper, lfs, pm.targets); err != nil {
			return err
		}
	}
	return b.commit(ctx, s, func(w io.Writer) error {
		return layerdiff.Write(ctx, w, upper, layerdiff.Options{SourceDateEpoch: b.o.epoch})
	}, in.Original)
}

// tailWriter serialises the writes of a container's stdout and stderr
// copiers and keeps the tail of the output.
type tailWriter struct {
	mu   sync.Mutex
	w    io.Writer
	last []byte
}

func (l *tailWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = append(l.last, p...)
	if len(l.last) > outputTail {
		l.last = slices.Clone(l.last[len(l.last)-outputTail:])
	}
	l.w.Write(p) // a failing progress writer does not fail the build
	return len(p), nil
}

func (l *tailWriter) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.last)
}
