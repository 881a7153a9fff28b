package dock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/go-dock/dock/internal/distribution"
	"github.com/go-dock/dock/internal/reference"
	"github.com/go-dock/dock/internal/store"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultConcurrency is the number of layers Pull and Push move at once,
// as Docker's max-concurrent-downloads.
const DefaultConcurrency = 3

// maxIndexDepth bounds the image indexes Pull follows from a reference to
// an image manifest.
const maxIndexDepth = 4

// sourcesFile, in the state directory, maps blob digests to the registry
// repositories ("host/path") they were pulled from or pushed to, so that
// Push can ask a registry to mount a blob from another repository instead
// of uploading it again.
const sourcesFile = "registry-sources.json"

// maxSources bounds the repositories remembered per blob.
const maxSources = 8

// Phase is the stage of one layer (or config) in a Pull or a Push.
type Phase string

// The phases of a Progress, in the order a layer goes through them.
const (
	// PhaseWaiting: queued behind the other layers (WithConcurrency).
	PhaseWaiting Phase = "waiting"
	// PhaseDownloading: the blob is arriving. dock unpacks it as it
	// arrives, so Current counts bytes downloaded and, at the same pace,
	// decompressed and extracted.
	PhaseDownloading Phase = "downloading"
	// PhaseVerifying: the blob has arrived; its digest, size and diff ID
	// are checked and it is committed to the store.
	PhaseVerifying Phase = "verifying"
	// PhaseExtracting: the blob was in the store already and is unpacked
	// from there.
	PhaseExtracting Phase = "extracting"
	// PhaseUploading: Push is sending the blob; Current counts bytes sent.
	PhaseUploading Phase = "uploading"
	// PhaseDone: the layer is in the store (Pull) or the registry (Push).
	PhaseDone Phase = "done"
	// PhaseExists: nothing to do: the store (Pull) or the registry (Push)
	// had the layer already, or another pull of this process fetched it.
	PhaseExists Phase = "exists"
)

// Progress reports the state of one blob of a Pull or a Push.
type Progress struct {
	// ID is the short form of the blob's digest (12 hex digits), as Docker
	// shows layers.
	ID string
	// Digest is the blob's digest.
	Digest string
	// Phase is what is happening to the blob.
	Phase Phase
	// Current and Total are the bytes of the blob moved so far and its
	// size (compressed, as in the registry).
	Current, Total int64
}

// PullOption configures Pull. WithPlatform is one; so are the options of
// both Pull and Push (a TransferOption).
type PullOption interface{ applyPull(*pullOptions) error }

// PushOption configures Push: a TransferOption.
type PushOption interface{ applyPush(*pushOptions) error }

// TransferOption is an option of both Pull and Push.
type TransferOption func(*transferOptions) error

func (f TransferOption) applyPull(o *pullOptions) error { return f(&o.transferOptions) }
func (f TransferOption) applyPush(o *pushOptions) error { return f(&o.transferOptions) }

type pullOption func(*pullOptions) error

func (f pullOption) applyPull(o *pullOptions) error { return f(o) }

type transferOptions struct {
	cred        *distribution.Credential
	progress    func(Progress)
	concurrency int
}

type pullOptions struct {
	transferOptions
	platform    ocispec.Platform
	platformSet bool
}

type pushOptions struct {
	transferOptions
}

// WithCredentials authenticates the call to the registry of its reference
// with user and password (Basic, or for a bearer token from the registry's
// token server) instead of the credentials of Docker's config.json. They
// are sent to that registry only: never to its mirrors, nor after a
// redirect to another host.
func WithCredentials(user, password string) TransferOption {
	return func(o *transferOptions) error {
		if user == "" {
			return invalidf("WithCredentials: empty user")
		}
		o.cred = &distribution.Credential{Username: user, Password: password}
		return nil
	}
}

// WithProgress makes Pull or Push report the state of each layer to fn,
// several times per layer. The calls are serialised (fn need not be safe
// for concurrent use) and made from the call's goroutines, so fn must not
// block for long: the transfer waits for it. By default nothing is
// reported.
func WithProgress(fn func(Progress)) TransferOption {
	return func(o *transferOptions) error {
		if fn == nil {
			return invalidf("WithProgress: nil function")
		}
		var mu sync.Mutex
		o.progress = func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			fn(p)
		}
		return nil
	}
}

// WithConcurrency sets how many layers Pull or Push moves at once (n >= 1;
// default DefaultConcurrency).
func WithConcurrency(n int) TransferOption {
	return func(o *transferOptions) error {
		if n < 1 {
			return invalidf("WithConcurrency: %d, want at least 1", n)
		}
		o.concurrency = n
		return nil
	}
}

// WithPlatform makes Pull pick, from a multi-platform image (an OCI index
// or a Docker manifest list), the image for platform "os/arch[/variant]"
// ("linux/arm64/v8", "linux/amd64"), instead of the host's (default). Pull
// of a single-platform image checks that its OS and architecture match.
func WithPlatform(platform string) PullOption {
	return pullOption(func(o *pullOptions) error {
		parts := strings.Split(platform, "/")
		if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
			return invalidf("WithPlatform: %q, want os/arch[/variant]", platform)
		}
		o.platform = ocispec.Platform{OS: parts[0], Architecture: parts[1]}
		if len(parts) == 3 {
			o.platform.Variant = parts[2]
		}
		o.platformSet = true
		return nil
	})
}

// RegistryError is an error answer from a registry or its token server.
// Pull and Push return it (wrapped: test with errors.As) for HTTP errors;
// errors.Is also matches it against ErrNotFound (404, unknown manifest,
// blob or repository), ErrUnsupported (405, UNSUPPORTED) or ErrInvalid,
// where the status or code says so. 401 (unauthorized) and 403 (denied)
// match no sentinel: test StatusCode.
type RegistryError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code and Message are those of the first entry of the error body
	// ("MANIFEST_UNKNOWN", "manifest unknown"), when it is the
	// distribution spec's JSON; else Code is "" and Message the start of
	// the body.
	Code, Message string

	err  error // the whole error, with its context
	kind error // a sentinel of this package, or nil
}

func (e *RegistryError) Error() string { return e.err.Error() }

// Unwrap returns the sentinel the error matches, if any. The registry
// client's own error is not exposed.
func (e *RegistryError) Unwrap() error { return e.kind }

// registryErr translates the errors of the registry client and the store
// into this package's: *RegistryError for HTTP answers, the sentinels for
// the rest.
func registryErr(err error) error {
	if err == nil {
		return nil
	}
	var re *RegistryError
	if errors.As(err, &re) {
		return err
	}
	kind := registryKind(err)
	var de *distribution.Error
	if errors.As(err, &de) {
		re := &RegistryError{StatusCode: de.StatusCode, Message: de.Text, err: err, kind: kind}
		if len(de.Errors) > 0 {
			re.Code, re.Message = de.Errors[0].Code, de.Errors[0].Message
		}
		return re
	}
	if kind != nil && !errors.Is(err, kind) {
		return &storeError{err: err, kind: kind}
	}
	return translate(err)
}

func registryKind(err error) error {
	switch {
	case errors.Is(err, distribution.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, distribution.ErrUnsupported):
		return ErrUnsupported
	case errors.Is(err, distribution.ErrInvalid), errors.Is(err, store.ErrInvalid),
		errors.Is(err, reference.ErrInvalid):
		return ErrInvalid
	}
	return nil
}

// registry is the engine's way to registries: the client options, and a
// Client for the calls without credentials of their own, made once so that
// its connections and tokens are reused.
type registry struct {
	opts   distribution.Options
	client func() (*distribution.Client, error)
}

func newRegistry(c RegistryConfig) (*registry, error) {
	opts := distribution.Options{
		Insecure:     c.Insecure,
		Mirrors:      c.Mirrors,
		DockerConfig: c.DockerConfig,
		Transport:    c.Transport,
	}
	if _, err := distribution.New(opts); err != nil { // validates
		return nil, registryErr(fmt.Errorf("registry config: %w", err))
	}
	return &registry{
		opts:   opts,
		client: sync.OnceValues(func() (*distribution.Client, error) { return distribution.New(opts) }),
	}, nil
}

// clientFor returns the Client of a call to domain.
func (r *registry) clientFor(o *transferOptions, domain string) (*distribution.Client, error) {
	if o.cred == nil {
		return r.client()
	}
	opts := r.opts
	cred := *o.cred
	opts.Credentials = func(ctx context.Context, host string) (distribution.Credential, error) {
		if host == domain {
			return cred, nil
		}
		return distribution.Credential{}, nil
	}
	return distribution.New(opts)
}

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
	if o.platformSet && !samePlatform(o.platform, cfg.Platform) {
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

// samePlatform compares the OS and architecture of what was asked for and
// what an image says, with the usual aliases.
func samePlatform(want, have ocispec.Platform) bool {
	norm := func(a string) string {
		switch a {
		case "x86_64", "x86-64":
			return "amd64"
		case "aarch64":
			return "arm64"
		}
		return a
	}
	return want.OS == have.OS && norm(want.Architecture) == norm(have.Architecture)
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
	pr := &progressReader{r: rc, lp: lp, phase: PhaseDownloading}
	if _, err := st.PutLayerStream(ctx, lp.desc, lp.diffID, lp.parent, pr); err != nil {
		return err
	}
	lp.report(PhaseDone, lp.desc.Size)
	return nil
}

// progressStep is how many bytes pass between two reports of a transfer.
const progressStep = 512 << 10

// progressReader reports the bytes read through it, and the end of the
// stream as PhaseVerifying (a download) or nothing (an upload).
type progressReader struct {
	r      io.Reader
	lp     *layerPull
	phase  Phase
	n, at  int64
	closer io.Closer
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n-p.at >= progressStep || (err == io.EOF && p.n != p.at) {
		p.at = p.n
		p.lp.report(p.phase, p.n)
	}
	if err == io.EOF && p.phase == PhaseDownloading {
		p.lp.report(PhaseVerifying, p.n)
	}
	return n, err
}

func (p *progressReader) Close() error {
	if p.closer == nil {
		return nil
	}
	return p.closer.Close()
}

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
// config.json. An unknown image gives an error wrapping ErrNotFound; an
// error answer of the registry, a *RegistryError (StatusCode 401 or 403
// for missing rights).
func (e *Engine) Push(ctx context.Context, ref string, opts ...PushOption) error {
	o := pushOptions{transferOptions: transferOptions{concurrency: DefaultConcurrency}}
	for _, opt := range opts {
		if err := opt.applyPush(&o); err != nil {
			return err
		}
	}
	r, err := reference.Parse(ref)
	if err != nil {
		return fmt.Errorf("push: %w", registryErr(err))
	}
	if err := e.push(ctx, r, ref, &o); err != nil {
		return fmt.Errorf("push %s: %w", r.Familiar(), registryErr(err))
	}
	return nil
}

func (e *Engine) push(ctx context.Context, r reference.Ref, ref string, o *pushOptions) error {
	img, err := e.store.Resolve(ref)
	if err != nil {
		return err
	}
	if img, err = e.store.Distributable(ctx, img); err != nil {
		return err
	}
	if r.Digest != "" {
		r.Digest = img.Digest
	}
	body, err := e.store.ReadBlob(img.Digest)
	if err != nil {
		return err
	}
	mt := img.Manifest.MediaType
	if mt == "" {
		mt = ocispec.MediaTypeImageManifest
	}
	client, err := e.reg.clientFor(&o.transferOptions, r.Domain)
	if err != nil {
		return err
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
			return err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d, err := client.PushManifest(ctx, r, mt, body)
	if err != nil {
		return err
	}
	if d != img.Digest {
		return invalidf("registry stored the manifest as %s, not %s", d, img.Digest)
	}
	var ds []digest.Digest
	for _, b := range blobs {
		ds = append(ds, b.Digest)
	}
	e.recordSources(r, ds)
	return nil
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
		return &progressReader{r: rc, closer: rc, lp: lp, phase: PhaseUploading}, nil
	}
	if err := client.PushBlob(ctx, r, lp.desc, open, e.mountSource(r, lp.desc.Digest)); err != nil {
		return err
	}
	lp.report(PhaseDone, lp.desc.Size)
	return nil
}

// readSources reads the sources file; a missing or broken one is empty.
func (e *Engine) readSources() map[digest.Digest][]string {
	m := map[digest.Digest][]string{}
	b, err := os.ReadFile(e.path(sourcesFile))
	if err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

// mountSource returns a repository of dst's registry, other than dst's,
// that blob d was pulled from or pushed to, or "".
func (e *Engine) mountSource(dst reference.Ref, d digest.Digest) string {
	for _, s := range e.readSources()[d] {
		domain, path, _ := strings.Cut(s, "/")
		if domain == dst.Domain && path != dst.Path {
			return path
		}
	}
	return ""
}

// recordSources remembers that the blobs ds are in r's repository. It is
// best effort: a failure only costs a later push an upload. Blobs gone
// from the store are forgotten.
func (e *Engine) recordSources(r reference.Ref, ds []digest.Digest) {
	repo := r.Domain + "/" + r.Path
	err := e.locked(func() error {
		m := e.readSources()
		for _, d := range ds {
			srcs := slices.DeleteFunc(m[d], func(s string) bool { return s == repo })
			m[d] = append([]string{repo}, srcs[:min(len(srcs), maxSources-1)]...)
		}
		for d := range m {
			if !e.store.HasBlob(d) {
				delete(m, d)
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return e.writeFileAtomic(e.path(sourcesFile), b, 0o644)
	})
	if err != nil {
		e.log.Warn("record blob sources", "repository", repo, "err", err)
	}
}
