package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-dock/dock/internal/archive"
	"github.com/go-dock/dock/internal/dockerfile"
)

// runMount is a RUN --mount planned before the cache lookup: what its
// cache key needs is computed, the files are prepared only when the step
// runs.
type runMount struct {
	spec *mountSpec
	ctx  *layerWriter // bind from the context: the selected files
	file bool         // bind: the source is a file
	mode os.FileMode  // bind from the context: mode of the source directory
}

// planMounts expands and checks the mounts of a RUN and returns them with
// their part of the step's cache key: the specs, the digest of the bound
// context files (names, modes and contents, through the stat cache), the
// image ID of a bound stage or image. Secrets count by id and options,
// never by content.
func (b *builder) planMounts(ctx context.Context, s *stageState, in *dockerfile.Instruction) ([]*runMount, string, error) {
	var plans []*runMount
	var key strings.Builder
	for _, m := range in.Mounts {
		spec, err := parseMountSpec(m, func(w string) (string, error) { return b.expand(s, w) }, s.cfg.Config.WorkingDir)
		if err != nil {
			return nil, "", err
		}
		p := &runMount{spec: spec}
		key.WriteString(spec.keyText())
		switch {
		case spec.typ == "secret":
			if _, ok := b.o.Secrets[spec.id]; !ok && spec.required {
				return nil, "", fmt.Errorf("%w: secret %q is required but was not given to the build (BuildSecret)", ErrNotFound, spec.id)
			}
		case spec.from != "" && (spec.typ == "bind" || spec.typ == "cache"):
			id, err := b.fromImageID(ctx, spec.from)
			if err != nil {
				return nil, "", err
			}
			if spec.typ == "bind" { // a cache is only seeded from it
				fmt.Fprintf(&key, " image %s", id)
			}
		case spec.typ == "bind":
			fi, err := b.ctxDir.Stat(spec.source) // never out of the context
			if err != nil {
				return nil, "", fmt.Errorf("--mount source %s: %w", spec.source, err)
			}
			l := &layerWriter{mtime: b.now(), entries: map[string]*layerEntry{}}
			c := &copier{b: b, root: b.ctxDir, ignore: b.ignore, l: l}
			dest := ""
			if p.file = !fi.IsDir(); p.file {
				dest = "file"
			}
			if err := c.source(spec.source, dest, false); err != nil {
				return nil, "", fmt.Errorf("--mount source %s: %w", spec.source, err)
			}
			sum, err := b.sourcesDigest(b.ctxDir, true, l)
			if err != nil {
				return nil, "", err
			}
			p.ctx, p.mode = l, fi.Mode().Perm()
			fmt.Fprintf(&key, " context %x", sum)
		}
		key.WriteByte(0)
		plans = append(plans, p)
	}
	return plans, key.String(), nil
}

// fromImageID resolves the from= of a mount, a stage before this one or an
// image of the store, to the image ID its cache key holds.
func (b *builder) fromImageID(ctx context.Context, from string) (string, error) {
	if st := b.df.Stage(from); st != nil {
		if st.Index >= len(b.stages)-1 {
			return "", fmt.Errorf("%w: --mount from=%s: a stage can only mount an earlier stage", ErrInvalid, from)
		}
		if img := b.stages[st.Index].img; img != nil {
			return img.ID.String(), nil
		}
		return "scratch", nil
	}
	img, err := b.image(ctx, from)
	if err != nil {
		return "", fmt.Errorf("--mount from=%s: %w", from, err)
	}
	return img.ID.String(), nil
}

// preparedMounts is what the container of a RUN needs for its mounts,
// and what to undo after it.
type preparedMounts struct {
	mounts  []Mount
	env     []string // secrets given as environment variables
	undo    []func() error
	targets []string // where the runtime may create mountpoints
}

func (p *preparedMounts) cleanup() error {
	var errs []error
	for i := len(p.undo) - 1; i >= 0; i-- {
		errs = append(errs, p.undo[i]())
	}
	p.undo = nil
	return errors.Join(errs...)
}

// tempDir makes a directory under Host.TmpDir that cleanup removes.
func (b *builder) tempDir(p *preparedMounts, pattern string) (string, error) {
	dir, err := os.MkdirTemp(b.h.TmpDir, pattern)
	if err != nil {
		return "", err
	}
	p.undo = append(p.undo, func() error { return os.RemoveAll(dir) })
	return dir, nil
}

// prepareMounts makes the files of the planned mounts. The caller calls
// cleanup, on error too.
func (b *builder) prepareMounts(ctx context.Context, plans []*runMount, script *heredocScript, p *preparedMounts) error {
	for _, pm := range plans {
		m := pm.spec
		var err error
		switch m.typ {
		case "bind":
			err = b.prepareBind(ctx, pm, p)
		case "cache":
			err = b.prepareCache(ctx, m, p)
		case "tmpfs":
			mt := Mount{Type: "tmpfs", Target: m.target}
			if m.size > 0 {
				mt.Options = []string{fmt.Sprintf("size=%d", m.size)}
			}
			p.mounts = append(p.mounts, mt)
			p.targets = append(p.targets, m.target)
		case "secret":
			err = b.prepareSecret(m, p)
		}
		if err != nil {
			return fmt.Errorf("--mount type=%s,target=%s: %w", m.typ, m.target, err)
		}
	}
	if script != nil {
		dir, err := b.tempDir(p, "build-heredoc-")
		if err != nil {
			return err
		}
		f := filepath.Join(dir, "script")
		if err := os.WriteFile(f, []byte(script.content), 0o755); err != nil {
			return err
		}
		// /dev is a tmpfs of the container: this mountpoint never reaches
		// the layer.
		p.mounts = append(p.mounts, Mount{Type: "bind", Source: f, Target: heredocPipes + script.name, ReadOnly: true})
	}
	return nil
}

// prepareBind makes the source of a bind mount: a private copy, removed
// after the step, of the selected context files (.dockerignore applies,
// as to COPY) or of the stage or image named by from. A copy, not a bind
// of the context itself, for three reasons: the files are those that were
// hashed for the cache key (no later change or symlink swap leads out of
// the context), ignored files are absent as they are from BuildKit's
// context, and with rw the step's writes land in the copy and are
// discarded with it.
func (b *builder) prepareBind(ctx context.Context, pm *runMount, p *preparedMounts) error {
	m := pm.spec
	var src string
	if m.from == "" {
		dir, err := b.tempDir(p, "build-mount-")
		if err != nil {
			return err
		}
		if err := applyLayer(ctx, dir, pm.ctx.write, archive.Options{}); err != nil {
			return err
		}
		src = dir
		if pm.file {
			src = filepath.Join(dir, "file")
		} else if err := os.Chmod(dir, pm.mode); err != nil {
			return err
		}
	} else {
		dir, err := b.materialize(ctx, m.from)
		if err != nil {
			return err
		}
		p.undo = append(p.undo, func() error { return os.RemoveAll(dir) })
		if src, err = sourceIn(dir, m.source); err != nil {
			return err
		}
	}
	p.mounts = append(p.mounts, Mount{Type: "bind", Source: src, Target: m.target, ReadOnly: m.readonly})
	p.targets = append(p.targets, m.target)
	return nil
}

// sourceIn returns the host path of source inside dir, the files of a
// stage or an image: its symlinks are resolved inside dir, an absolute
// one from dir, as BuildKit resolves them in the stage.
func sourceIn(dir, source string) (string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	p, err := resolveInStage(root, source)
	if err != nil {
		return "", fmt.Errorf("source %s: %w", source, err)
	}
	fi, err := root.Stat(p)
	if err != nil {
		return "", fmt.Errorf("source %s: %w", source, err)
	}
	if p == "." && fi.IsDir() {
		// MkdirTemp made it 0700; the image's root is readable.
		if err := os.Chmod(dir, 0o755); err != nil {
			return "", err
		}
	}
	// No component of p is a symlink, and dir is a private copy nobody
	// else changes: the kernel resolves the joined path to the file
	// os.Root just found.
	return filepath.Join(dir, filepath.FromSlash(p)), nil
}

// prepareSecret writes a secret given to the build into a file of its
// own, owned and moded as the mount asks, under Host.TmpDir (0700,
// root only) and removed after the step; bound read-only, so nothing the
// step does reaches it or the layer. A secret with env= is also set in
// the step's environment. A secret not given to the build and not
// required is left out: the step runs without it.
func (b *builder) prepareSecret(m *mountSpec, p *preparedMounts) error {
	value, ok := b.o.Secrets[m.id]
	if !ok {
		return nil
	}
	if m.env != "" {
		p.env = append(p.env, m.env+"="+string(value))
	}
	if m.target == "" {
		return nil
	}
	dir, err := b.tempDir(p, "build-secret-")
	if err != nil {
		return err
	}
	f := filepath.Join(dir, "secret")
	if err := os.WriteFile(f, value, 0o600); err != nil {
		return err
	}
	if err := os.Chown(f, m.uid, m.gid); err != nil {
		return err
	}
	if err := os.Chmod(f, os.FileMode(m.mode&0o777)|modeBits(m.mode)); err != nil {
		return err
	}
	p.mounts = append(p.mounts, Mount{Type: "bind", Source: f, Target: m.target, ReadOnly: true})
	p.targets = append(p.targets, m.target)
	return nil
}

// modeBits converts the setuid, setgid and sticky bits of a Unix mode.
func modeBits(mode uint32) os.FileMode {
	var fm os.FileMode
	if mode&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if mode&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if mode&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}
