package dock

import (
	"context"
	"io"

	"github.com/go-dock/dock/internal/build"
	"github.com/go-dock/dock/internal/store"
)

// buildHost is the engine's side of the builder's seam for one Build,
// whose pulls take pullOpts and whose RUN containers are reported to
// events.
func (e *Engine) buildHost(pullOpts []PullOption, events func(BuildEvent)) *build.Host {
	return &build.Host{
		Store:         e.store,
		TmpDir:        e.path("tmp"),
		CacheDir:      e.path("cache", "build"),
		MountCacheDir: e.path("cache", "build-mounts"),
		WriteFile:     e.writeFileAtomic,
		Commit: func(ctx context.Context, parent *store.Image, write func(io.Writer) error, cfg store.Config, lease *store.Lease) (*store.Image, error) {
			return e.commitTar(ctx, parent, write, cfg, "", lease)
		},
		Pull: func(ctx context.Context, ref string) (string, error) {
			img, err := e.Pull(ctx, ref, pullOpts...)
			if err != nil {
				return "", err
			}
			return img.ID, nil
		},
		Run: func(ctx context.Context, spec build.RunSpec, commit func(upper string) error) error {
			return e.runBuildStep(ctx, spec, commit, events)
		},
	}
}

// runBuildStep runs a RUN step's container, as build.Host.Run says, and
// reports its creation and removal to events.
func (e *Engine) runBuildStep(ctx context.Context, spec build.RunSpec, commit func(upper string) error, events func(BuildEvent)) error {
	var mounts []Mount
	for _, m := range spec.Mounts {
		opts := m.Options
		if m.Type == "tmpfs" {
			// BuildKit's RUN --mount=type=tmpfs is only nosuid: scripts
			// run from it, unlike from docker run's --tmpfs.
			opts = append([]string{"exec", "dev"}, opts...)
		}
		mounts = append(mounts, Mount{Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly, Options: opts})
	}
	// The image's VOLUMEs get no volume in a RUN step, as with BuildKit:
	// what the step writes there stays in the layer.
	c, err := e.create(ctx, Config{
		Image:      spec.Image,
		Entrypoint: []string{""},
		Cmd:        spec.Cmd,
		Env:        spec.Env,
		User:       spec.User,
		WorkingDir: spec.WorkingDir,
		Network:    spec.Network,
		Mounts:     mounts,
	}, false)
	if err != nil {
		return err
	}
	events(BuildEvent{Kind: BuildContainerCreated, ID: c.id})
	defer func() {
		if c.Remove(context.WithoutCancel(ctx), RemoveForce()) == nil {
			events(BuildEvent{Kind: BuildContainerRemoved, ID: c.id})
		}
	}()
	c.Stdout, c.Stderr = spec.Output, spec.Output
	if err := c.Start(ctx); err != nil {
		return err
	}
	st, err := c.Wait(ctx)
	if err != nil {
		return err
	}
	if st.Code != 0 {
		return &build.ExitError{Code: st.Code, Err: &ExitError{Status: st}}
	}
	return commit(c.dir("upper"))
}
