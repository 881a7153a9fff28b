package dock

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-dock/dock/internal/reference"
	"github.com/go-dock/dock/internal/store"
)

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

// BuildPull sets when Build pulls the images it names (PullNever by
// default), with opts for the pulls (credentials, progress, platform).
func BuildPull(policy PullPolicy, opts ...PullOption) BuildOption {
	return func(o *buildOptions) error {
		if policy < PullNever || policy > PullAlways {
			return fmt.Errorf("%w: pull policy %v", ErrInvalid, policy)
		}
		o.pull, o.pullOpts = policy, opts
		return nil
	}
}

// image returns the image ref names for the build, pulling it as the pull
// policy says; each image is pulled at most once per build.
func (b *builder) image(ctx context.Context, ref string) (*store.Image, error) {
	img, err := b.findImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	return b.hold(img.ID)
}

// findImage is image without the lease.
func (b *builder) findImage(ctx context.Context, ref string) (*store.Image, error) {
	if b.pulled == nil {
		b.pulled = map[string]*store.Image{}
	}
	if img, ok := b.pulled[ref]; ok {
		return img, nil
	}
	img, err := b.e.store.Resolve(ref)
	switch {
	case b.o.pull == PullNever,
		b.o.pull == PullMissing && !errors.Is(err, store.ErrNotFound):
		return img, translate(err)
	}
	if _, perr := reference.Parse(ref); perr != nil {
		return nil, translate(err) // an image ID, or not a name a registry knows
	}
	b.o.progress(" ---> Pulling " + ref)
	pulled, err := b.e.Pull(ctx, ref, b.o.pullOpts...)
	if err != nil {
		return nil, err
	}
	if img, err = b.e.store.Resolve(pulled.ID); err != nil {
		return nil, translate(err)
	}
	b.pulled[ref] = img
	return img, nil
}
