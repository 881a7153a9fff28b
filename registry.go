package dock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	cred *distribution.Credential
	// hostCreds are WithRegistryCredentials', by registry host.
	hostCreds   map[string]distribution.Credential
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

// WithRegistryCredentials authenticates the calls to the registry server
// ("docker.io", "host[:port]"; a URL's scheme and path are dropped, as by
// Login) with user and password, and no other: a call to another registry
// goes without them (with config.json's, if it has some). Given once per
// registry, it serves the calls that reach several: Build's pulls
// (BuildPull), whose FROM lines may name images of several registries, as
// Docker's X-Registry-Config gives them. WithCredentials, bound to the
// call's own registry, comes first where both are given.
func WithRegistryCredentials(server, user, password string) TransferOption {
	return func(o *transferOptions) error {
		host, err := registryServer(server)
		if err != nil {
			return err
		}
		if user == "" {
			return invalidf("WithRegistryCredentials: empty user for %s", host)
		}
		if o.hostCreds == nil {
			o.hostCreds = map[string]distribution.Credential{}
		}
		o.hostCreds[host] = distribution.Credential{Username: user, Password: password}
		return nil
	}
}

// WithProgress makes Pull or Push report the state of each layer to fn:
// each change of Phase, and the bytes moved as Docker's daemon reports
// them (after 1% of the blob or 512 KiB, whichever is less, at most once
// per 100 ms per blob, and the last bytes always). The calls are
// serialised (fn need not be safe for concurrent use) and made from the
// call's goroutines, so fn must not block for long: the transfer waits
// for it. By default nothing is reported.
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
// ("linux/arm64/v8", "linux/amd64", or "linux" alone: see ParsePlatform),
// instead of the host's (default). Pull of a single-platform image checks
// that it matches (Platform.Matches).
func WithPlatform(platform string) PullOption {
	return pullOption(func(o *pullOptions) error {
		p, err := platformOption("WithPlatform", platform)
		if err != nil {
			return err
		}
		o.platform, o.platformSet = p, true
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
	var cred distribution.Credential
	switch c, ok := o.hostCreds[domain]; {
	case o.cred != nil:
		cred = *o.cred
	case ok:
		cred = c
	default:
		return r.client()
	}
	opts := r.opts
	opts.Credentials = func(ctx context.Context, host string) (distribution.Credential, error) {
		if host == domain {
			return cred, nil
		}
		return distribution.Credential{}, nil
	}
	return distribution.New(opts)
}

// sourcesFile, in the state directory, maps blob digests to the registry
// repositories ("host/path") they were pulled from or pushed to, so that
// Push can ask a registry to mount a blob from another repository instead
// of uploading it again.
const sourcesFile = "registry-sources.json"

// maxSources bounds the repositories remembered per blob.
const maxSources = 8

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
