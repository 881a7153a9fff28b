package build

import (
	"context"
	"errors"

	"github.com/go-dock/dock/internal/reference"
	"github.com/go-dock/dock/internal/store"
)

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
	img, err := b.h.Store.Resolve(ref)
	switch {
	case b.o.Pull == PullNever,
		b.o.Pull == PullMissing && !errors.Is(err, store.ErrNotFound):
		return img, err
	}
	if _, perr := reference.Parse(ref); perr != nil {
		return nil, err // an image ID, or not a name a registry knows
	}
	b.o.Progress(" ---> Pulling " + ref)
	id, err := b.h.Pull(ctx, ref)
	if err != nil {
		return nil, err
	}
	if img, err = b.h.Store.Resolve(id); err != nil {
		return nil, err
	}
	b.pulled[ref] = img
	return img, nil
}
