package dock

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/go-dock/dock/internal/envlist"
	"github.com/go-dock/dock/internal/layerdiff"
	"github.com/go-dock/dock/internal/pipe"
	"github.com/go-dock/dock/internal/store"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// CommitOption configures Commit.
type CommitOption func(*commitOptions) error

type commitOptions struct {
	changes *ocispec.ImageConfig
	change  []string
	message string
	author  string
	created time.Time
}

// CommitConfig sets the runtime configuration of the new image (what
// "docker commit --change" sets), replacing the one Commit derives from the
// image and the container. The image's Healthcheck, Shell and OnBuild,
// which ocispec.ImageConfig lacks, stay; CommitChange changes them.
func CommitConfig(cfg ocispec.ImageConfig) CommitOption {
	return func(o *commitOptions) error {
		o.changes = &cfg
		return nil
	}
}

// CommitChange applies a Dockerfile instruction to the new image's
// configuration, as "docker commit --change" does: one of CMD, ENTRYPOINT,
// ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD (appends a trigger), STOPSIGNAL,
// USER, VOLUME and WORKDIR, the instructions docker accepts there (not
// SHELL). It may be given several times; changes apply in order, after
// CommitConfig.
func CommitChange(instruction string) CommitOption {
	return func(o *commitOptions) error {
		o.change = append(o.change, instruction)
		return nil
	}
}

// CommitMessage sets the comment of the new image's history entry
// ("docker commit -m"). By default it is empty.
func CommitMessage(msg string) CommitOption {
	return func(o *commitOptions) error {
		o.message = msg
		return nil
	}
}

// CommitAuthor sets the author of the new image ("docker commit -a").
// By default it is empty.
func CommitAuthor(author string) CommitOption {
	return func(o *commitOptions) error {
		o.author = author
		return nil
	}
}

// CommitCreated sets the creation time of the new image; by default it is
// now. A fixed time makes the image ID reproducible.
func CommitCreated(t time.Time) CommitOption {
	return func(o *commitOptions) error {
		o.created = t
		return nil
	}
}

// Commit makes a new image of the container's image plus one layer holding
// the changes in the container's writable layer (files added, changed and
// deleted: a deletion is stored as a whiteout), as "docker commit" does,
// and tags it ref ("name" or "name:tag"; "" leaves it untagged).
//
// The container is not stopped or paused: files written while Commit reads
// the layer may or may not be in the image. The new image's configuration
// is the image's, with the container's Cmd, Entrypoint, Env, WorkingDir and
// User applied, unless CommitConfig replaces it; Docker's extensions
// (Healthcheck, Shell, OnBuild) are kept, and fields of the image's config
// that neither OCI nor these define are dropped. Its history has one more
// entry, and its Parent is the container's image. On error nothing is
// added to the store.
func (c *Container) Commit(ctx context.Context, ref string, opts ...CommitOption) (*Image, error) {
	var o commitOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("commit: %w", err)
		}
	}
	rec, err := c.record()
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	parent, err := c.e.store.Resolve(rec.ImageID)
	if err != nil {
		return nil, fmt.Errorf("commit: image of container %s: %w", c.id[:12], translate(err))
	}
	cfg := parent.Config.Clone()
	if o.changes != nil {
		cfg.Config.ImageConfig = *o.changes // Docker's extensions stay the image's
	} else {
		applyContainerConfig(&cfg.Config.ImageConfig, &rec.Config)
	}
	if err := applyChanges(&cfg, o.change); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	created := o.created.UTC()
	if o.created.IsZero() {
		created = time.Now().UTC()
	}
	cfg.Created = &created
	if o.author != "" {
		cfg.Author = o.author
	}
	cfg.History = append(cfg.History, ocispec.History{
		Created: &created, Author: o.author, Comment: o.message,
	})
	upper := c.dir("upper")
	img, err := c.e.commitTar(ctx, parent, func(w io.Writer) error {
		return layerdiff.Write(ctx, w, upper, layerdiff.Options{})
	}, cfg, ref, nil)
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	imageRef := ""
	if ref != "" {
		imageRef = familiarRef(ref)
		c.e.emitImage("tag", img.ID.String(), imageRef)
	}
	c.emit(rec, "commit", "comment", o.message, "imageID", img.ID.String(), "imageRef", imageRef)
	return newImage(img), nil
}

// applyContainerConfig sets in ic what the container's configuration
// overrides of its image.
func applyContainerConfig(ic *ocispec.ImageConfig, cc *Config) {
	if cc.Entrypoint != nil {
		ic.Entrypoint, ic.Cmd = cc.Entrypoint, nil
		if len(cc.Entrypoint) == 1 && cc.Entrypoint[0] == "" {
			ic.Entrypoint = nil
		}
	}
	if cc.Cmd != nil {
		ic.Cmd = cc.Cmd
	}
	if len(cc.Env) > 0 {
		ic.Env = envlist.Merge(ic.Env, cc.Env)
	}
	if cc.WorkingDir != "" {
		ic.WorkingDir = cc.WorkingDir
	}
	if cc.User != "" {
		ic.User = cc.User
	}
}

// commitTar stores a new image of parent's layers (nil: none) plus the
// layer tar that write writes (nil write: no new layer), with config cfg,
// tagged ref, recording parent as its parent. lease (may be nil) holds the
// new image.
func (e *Engine) commitTar(ctx context.Context, parent *store.Image, write func(io.Writer) error, cfg store.Config, ref string, lease *store.Lease) (*store.Image, error) {
	if write == nil {
		img, err := e.store.Commit(ctx, parent, nil, cfg, ref, lease)
		return img, translate(err)
	}
	pr, pw := pipe.New(4 << 20) // write runs while the store reads
	done := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err)
		done <- err
	}()
	img, err := e.store.Commit(ctx, parent, pr, cfg, ref, lease)
	pr.CloseWithError(fmt.Errorf("layer not read to the end"))
	werr := <-done
	if err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		if werr != nil && err != werr {
			err = fmt.Errorf("%w (writing the layer: %w)", err, werr)
		}
		return nil, translate(err)
	}
	return img, nil
}
