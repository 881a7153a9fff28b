package dock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/go-dock/dock/internal/distribution"
	"github.com/go-dock/dock/internal/reference"
	"github.com/go-dock/dock/internal/store"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Push sends the image ref names in the store to the registry and
// repository of ref, as "docker push" does: "host:5000/app:v1" pushes the
// image tagged so to that repository with that tag; "app@sha256:..."
// pushes by digest, untagged. Retag an image (Tag) to push it elsewhere.
//
// Blobs the registry has are skipped (HEAD first). A blob that this engine
// pulled from, or pushed to, another repository of the same registry is
// mounted from there (no upload). Then the manifest is put, exactly as
// stored, so a pulled image keeps its digest. An image with uncompressed
// layers (built, committed, imported, or loaded from a Docker archive: the
// store keeps the layers it makes uncompressed) is first converted, once,
// to gzip layers: its ID stays, its manifest digest is the new manifest's
// (see the store's Distributable); pushed by digest, it is pushed by the
// new one. Up to WithConcurrency blobs are
// uploaded at once. Credentials come from WithCredentials, else Docker's
// config.json.
//
// Push returns the image as pushed: its Digest is the manifest digest the
// registry now has (after a conversion, not the one the image had before
// the call), the digest to pull it by. An unknown image gives an error
// wrapping ErrNotFound; an error answer of the registry, a *RegistryError
// (StatusCode 401 or 403 for missing rights).
func (e *Engine) Push(ctx context.Context, ref string, opts ...PushOption) (*Image, error) {
	o := pushOptions{transferOptions: transferOptions{concurrency: DefaultConcurrency}}
	for _, opt := range opts {
		if err := opt.applyPush(&o); err != nil {
			return nil, err
		}
	}
	r, err := reference.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("push: %w", registryErr(err))
	}
	img, err := e.push(ctx, r, ref, &o)
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", r.Familiar(), registryErr(err))
	}
	e.emitImage("push", r.Familiar(), r.Familiar())
	out := newImage(img)
	out.RepoDigests = repoDigests(e.readSources(), out)
	return out, nil
}

// push sends the image ref names and returns it as pushed (converted to
// gzip layers where it had plain ones).
func (e *Engine) push(ctx context.Context, r reference.Ref, ref string, o *pushOptions) (*store.Image, error) {
	img, err := e.store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	if img, err = e.store.Distributable(ctx, img); err != nil {
		return nil, err
	}
	if r.Digest != "" {
		r.Digest = img.Digest
	}
	body, err := e.store.ReadBlob(img.Digest)
	if err != nil {
		return nil, err
	}
	mt := img.Manifest.MediaType
	if mt == "" {
		mt = ocispec.MediaTypeImageManifest
	}
	client, err := e.reg.clientFor(&o.transferOptions, r.Domain)
	if err != nil {
		return nil, err
	}
	blobs := append(slices.Clone(img.Manifest.Layers), img.Manifest.Config)
	ctx2, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, o.concurrency)
	errs := make([]error, len(blobs))
	var wg sync.WaitGroup
	for i, b := range blobs {
		lp := &layerPull{e: e, desc: b, o: &o.transferOptions}
		lp.report(PhaseWaiting, 0)
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx2.Done():
				errs[i] = ctx2.Err()
				return
			}
			defer func() { <-sem }()
			if err := e.pushBlob(ctx2, client, r, lp); err != nil {
				errs[i] = fmt.Errorf("blob %s: %w", b.Digest, err)
				cancel()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	d, err := client.PushManifest(ctx, r, mt, body)
	if err != nil {
		return nil, err
	}
	if d != img.Digest {
		return nil, invalidf("registry stored the manifest as %s, not %s", d, img.Digest)
	}
	var ds []digest.Digest
	for _, b := range blobs {
		ds = append(ds, b.Digest)
	}
	e.recordSources(r, ds)
	return img, nil
}

// pushBlob uploads one blob unless the registry has it, mounting it from
// another repository of the registry when one is known to have it.
func (e *Engine) pushBlob(ctx context.Context, client *distribution.Client, r reference.Ref, lp *layerPull) error {
	ok, err := client.BlobExists(ctx, r, lp.desc.Digest)
	if err != nil {
		return err
	}
	if ok {
		lp.report(PhaseExists, lp.desc.Size)
		return nil
	}
	open := func() (io.ReadCloser, error) {
		rc, err := e.store.OpenBlob(lp.desc.Digest)
		if err != nil {
			return nil, err
		}
		lp.report(PhaseUploading, 0)
		return newProgressReader(rc, rc, lp, PhaseUploading), nil
	}
	if err := client.PushBlob(ctx, r, lp.desc, open, e.mountSource(r, lp.desc.Digest)); err != nil {
		return err
	}
	lp.report(PhaseDone, lp.desc.Size)
	return nil
}
