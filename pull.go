package dock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/go-dock/dock/internal/distribution"
	"github.com/go-dock/dock/internal/reference"
	"github.com/go-dock/dock/internal/store"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Pull fetches the image ref from its registry into the store and tags it
// ref, as "docker pull" does, and returns it. ref is a Docker reference:
// "busybox" is docker.io/library/busybox:latest; "host:5000/app:v1",
// "app@sha256:..." (by digest, left untagged) and "app:v1@sha256:..." (the
// digest decides, the tag is set) work too.
//
// Manifests may be OCI or Docker schema2; from an index (or manifest list)
// the image of the host's platform is picked, or WithPlatform's. Schema1
// images are refused (ErrUnsupported), as are indexes that do not lead to
// an image manifest within a few levels (ErrInvalid).
//
// Pull is eager: when it returns, every blob is in the store, verified, and
// every layer unpacked. Layers the store has already are not downloaded
// again. Up to WithConcurrency layers are downloaded at once, each streamed
// from the network through the decompressor into its layer directory,
// while its bytes are written to the blob file: no layer is held in
// memory, and a broken connection resumes where it stopped.
//
// Everything is verified before it becomes visible: the digests of
// manifests, config and blobs, the sizes, and each layer's uncompressed
// digest against the config's diff IDs. A registry that lies gives an error
// wrapping ErrInvalid; an unknown image or tag, ErrNotFound; an error
// answer of the registry, a *RegistryError. On error no image or tag is
// added; blobs and layers completed before the error stay, unreferenced,
// for the next pull to reuse, and Prune removes them after an hour. Several
// goroutines and processes may pull the same image at once: within one
// process, a layer is downloaded once; all pulls succeed.
//
// Credentials come from WithCredentials, else Docker's config.json (see
// RegistryConfig).
func (e *Engine) Pull(ctx context.Context, ref string, opts ...PullOption) (*Image, error) {
	o := pullOptions{transferOptions: transferOptions{concurrency: DefaultConcurrency}}
	for _, opt := range opts {
		if err := opt.applyPull(&o); err != nil {
			return nil, err
		}
	}
	r, err := reference.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", registryErr(err))
	}
	img, err := e.pull(ctx, r, &o)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", r.Familiar(), registryErr(err))
	}
	e.emitImage("pull", r.Familiar(), r.Familiar())
	out := newImage(img)
	out.RepoDigests = repoDigests(e.readSources(), out)
	return out, nil
}

func (e *Engine) pull(ctx context.Context, r reference.Ref, o *pullOptions) (*store.Image, error) {
	client, err := e.reg.clientFor(&o.transferOptions, r.Domain)
	if err != nil {
		return nil, err
	}
	m, err := client.Manifest(ctx, r)
	if err != nil {
		return nil, err
	}
	for depth := 0; distribution.IsIndex(m.Descriptor.MediaType); depth++ {
		if depth == maxIndexDepth {
			return nil, invalidf("indexes nested more than %d deep", maxIndexDepth)
		}
		d, err := distribution.SelectPlatform(m.Body, m.Descriptor.MediaType, o.platform)
		if err != nil {
			return nil, err
		}
		if d.Digest == m.Descriptor.Digest {
			return nil, invalidf("index %s lists itself", d.Digest)
		}
		sub := r
		sub.Digest = d.Digest
		if m, err = client.Manifest(ctx, sub); err != nil {
			return nil, err
		}
		if m.Descriptor.Size != d.Size || m.Descriptor.MediaType != d.MediaType {
			return nil, invalidf("manifest %s: the index says %s of %d bytes, the registry sent %s of %d",
				d.Digest, d.MediaType, d.Size, m.Descriptor.MediaType, m.Descriptor.Size)
		}
	}
	if !distribution.IsManifest(m.Descriptor.MediaType) {
		return nil, fmt.Errorf("%w: manifest media type %q", ErrUnsupported, m.Descriptor.MediaType)
	}
	man, err := parseManifest(m.Body)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", m.Descriptor.Digest, err)
	}
	cfg, err := e.pullConfig(ctx, client, r, man.Config)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", man.Config.Digest, err)
	}
	if o.platformSet && !distribution.MatchPlatform(o.platform, cfg.Platform) {
		return nil, fmt.Errorf("%w: image is %s/%s, not %s/%s", ErrNotFound,
			cfg.OS, cfg.Architecture, o.platform.OS, o.platform.Architecture)
	}
	if err := e.pullLayers(ctx, client, r, man.Layers, cfg.RootFS.DiffIDs, &o.transferOptions); err != nil {
		return nil, err
	}
	tag := ""
	if r.Tag != "" {
		t := r
		t.Digest = ""
		tag = t.String()
	}
	img, err := e.store.CommitImage(ctx, m.Body, &ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}, tag)
	if err != nil {
		return nil, err
	}
	blobs := []digest.Digest{man.Config.Digest}
	for _, l := range man.Layers {
		blobs = append(blobs, l.Digest)
	}
	e.recordSources(r, blobs)
	return img, nil
}

// parseManifest parses an image manifest and checks what Pull relies on:
// digests that are safe as paths, sizes, media types it can store.
func parseManifest(b []byte) (*ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, invalidf("%v", err)
	}
	if m.SchemaVersion != 2 {
		return nil, invalidf("schema version %d", m.SchemaVersion)
	}
	if mt := m.Config.MediaType; mt != ocispec.MediaTypeImageConfig && mt != "application/vnd.docker.container.image.v1+json" {
		return nil, fmt.Errorf("%w: config media type %q", ErrUnsupported, mt)
	}
	if _, err := reference.Digest(string(m.Config.Digest)); err != nil {
		return nil, registryErr(err)
	}
	if m.Config.Size < 0 || m.Config.Size > store.MaxMetadataSize {
		return nil, invalidf("config size %d", m.Config.Size)
	}
	for _, l := range m.Layers {
		if _, err := reference.Digest(string(l.Digest)); err != nil {
			return nil, registryErr(err)
		}
		if l.Size < 0 {
			return nil, invalidf("layer %s: size %d", l.Digest, l.Size)
		}
		if !store.IsLayerMediaType(l.MediaType) {
			return nil, fmt.Errorf("%w: layer %s: media type %q", ErrUnsupported, l.Digest, l.MediaType)
		}
	}
	return &m, nil
}

// pullConfig fetches the config blob unless the store has it, and parses
// it.
func (e *Engine) pullConfig(ctx context.Context, client *distribution.Client, r reference.Ref, desc ocispec.Descriptor) (*ocispec.Image, error) {
	if !e.store.HasBlob(desc.Digest) {
		rc, err := client.Blob(ctx, r, desc)
		if err != nil {
			return nil, err
		}
		_, err = e.store.PutBlob(ctx, rc, desc.Digest, desc.Size)
		rc.Close()
		if err != nil {
			return nil, err
		}
	}
	b, err := e.store.ReadBlob(desc.Digest)
	if err != nil {
		return nil, err
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, invalidf("%v", err)
	}
	for _, d := range cfg.RootFS.DiffIDs {
		if _, err := reference.Digest(string(d)); err != nil {
			return nil, registryErr(err)
		}
	}
	return &cfg, nil
}

// pullLayers brings every layer of the image into the store, up to
// o.concurrency at once. The first failure cancels the others.
func (e *Engine) pullLayers(ctx context.Context, client *distribution.Client, r reference.Ref, layers []ocispec.Descriptor, diffIDs []digest.Digest, o *transferOptions) error {
	if len(diffIDs) != len(layers) {
		return invalidf("config has %d diff IDs for %d layers", len(diffIDs), len(layers))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, o.concurrency)
	errs := make([]error, len(layers))
	var wg sync.WaitGroup
	var parent digest.Digest
	for i, l := range layers {
		chain := store.ChainID(parent, diffIDs[i])
		lp := layerPull{e: e, client: client, ref: r, desc: l, diffID: diffIDs[i], parent: parent, chain: chain, o: o}
		parent = chain
		if e.store.HasLayer(l.Digest, chain) {
			lp.report(PhaseExists, l.Size)
			continue
		}
		lp.report(PhaseWaiting, 0)
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			if err := lp.run(ctx); err != nil {
				errs[i] = fmt.Errorf("layer %s: %w", l.Digest, err)
				cancel()
			}
		})
	}
	wg.Wait()
	for _, err := range errs { // the cause, rather than the cancellations it caused
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// layerPull is the pull of one layer.
type layerPull struct {
	e      *Engine
	client *distribution.Client
	ref    reference.Ref
	desc   ocispec.Descriptor
	diffID digest.Digest
	parent digest.Digest
	chain  digest.Digest
	o      *transferOptions
}

func (lp *layerPull) report(ph Phase, cur int64) {
	if lp.o.progress != nil {
		lp.o.progress(Progress{ID: shortDigest(lp.desc.Digest), Digest: lp.desc.Digest.String(), Phase: ph, Current: cur, Total: lp.desc.Size})
	}
}

func shortDigest(d digest.Digest) string {
	h := d.Encoded()
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}

// flights are the layer pulls in progress in this process, by state
// directory, chain ID and blob: a second pull of a layer waits for the
// first instead of downloading it too.
var flights = struct {
	mu sync.Mutex
	m  map[string]*flight
}{m: map[string]*flight{}}

type flight struct {
	done chan struct{}
	err  error
}

// run pulls the layer, or waits for a pull of it already in progress in
// this process (and tries itself if that one failed).
func (lp *layerPull) run(ctx context.Context) error {
	key := lp.e.root + "\x00" + string(lp.chain) + "\x00" + string(lp.desc.Digest)
	for {
		flights.mu.Lock()
		f, busy := flights.m[key]
		if !busy {
			f = &flight{done: make(chan struct{})}
			flights.m[key] = f
		}
		flights.mu.Unlock()
		if busy {
			select {
			case <-f.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if f.err == nil && lp.e.store.HasLayer(lp.desc.Digest, lp.chain) {
				lp.report(PhaseExists, lp.desc.Size)
				return nil
			}
			continue
		}
		f.err = lp.fetch(ctx)
		flights.mu.Lock()
		delete(flights.m, key)
		flights.mu.Unlock()
		close(f.done)
		return f.err
	}
}

// fetch brings the layer into the store: unpacked from the stored blob
// when the store has it, else streamed from the registry.
func (lp *layerPull) fetch(ctx context.Context) error {
	st := lp.e.store
	if st.HasLayer(lp.desc.Digest, lp.chain) {
		lp.report(PhaseExists, lp.desc.Size)
		return nil
	}
	if st.HasBlob(lp.desc.Digest) {
		lp.report(PhaseExtracting, 0)
		if _, err := st.UnpackLayer(ctx, lp.desc, lp.diffID, lp.parent); err != nil {
			return err
		}
		lp.report(PhaseDone, lp.desc.Size)
		return nil
	}
	rc, err := lp.client.Blob(ctx, lp.ref, lp.desc)
	if err != nil {
		return err
	}
	defer rc.Close()
	lp.report(PhaseDownloading, 0)
	pr := newProgressReader(rc, nil, lp, PhaseDownloading)
	if _, err := st.PutLayerStream(ctx, lp.desc, lp.diffID, lp.parent, pr); err != nil {
		return err
	}
	lp.report(PhaseDone, lp.desc.Size)
	return nil
}
