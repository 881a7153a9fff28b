package distribution

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-dock/dock/internal/reference"
)

// Defaults of Options.
const (
	// DefaultMaxAttempts is the number of tries of an operation, as in
	// Docker (max-download-attempts).
	DefaultMaxAttempts = 5
	// DefaultMaxManifestSize bounds a manifest or index, as in containerd
	// and the distribution registry.
	DefaultMaxManifestSize = 4 << 20
	// DefaultChunkSize is the size above which a blob is pushed in PATCH
	// chunks, and the size of the chunks.
	DefaultChunkSize = 32 << 20
	// DefaultUserAgent is sent when Options.UserAgent is empty.
	DefaultUserAgent = "dock"
	// MaxRetryAfter is the longest Retry-After that is waited for; an
	// answer asking for more is returned as an *Error at once (a registry
	// rate limit of an hour is not worth blocking on).
	MaxRetryAfter = 30 * time.Second
)

// Options configure a Client. The zero value is valid: HTTPS to every
// registry but loopback ones, credentials from Docker's config.json, five
// attempts. New reads the slices and maps once; changing them afterwards
// has no effect.
type Options struct {
	// Transport sends the requests. Default: a clone of
	// http.DefaultTransport. When it is an *http.Transport, a clone of it
	// with certificate checks off is used for the hosts of Insecure and for
	// loopback hosts, as Docker does for insecure registries; any other
	// RoundTripper is used as it is for every host.
	Transport http.RoundTripper

	// Credentials returns the credentials for a registry host: "docker.io"
	// for Docker Hub, "host[:port]" otherwise (a mirror's host for a
	// mirror). A zero Credential means anonymous. It is called only when a
	// registry asks for authentication, at most once per host and Client
	// (the answer is kept), and may be called from several goroutines at
	// once. Nil means: read DockerConfig.
	Credentials func(ctx context.Context, host string) (Credential, error)

	// DockerConfig is the path of Docker's config.json, read when
	// Credentials is nil: "auths" entries, "credsStore" and "credHelpers"
	// (which run docker-credential-<name> from PATH). Default:
	// $DOCKER_CONFIG/config.json, else ~/.docker/config.json. A missing file
	// means anonymous.
	DockerConfig string

	// Insecure lists the registries that may be reached over plain HTTP and
	// whose certificates are not checked, as Docker's insecure-registries:
	// "host[:port]" (exact) or a CIDR such as "10.0.0.0/8" (matched against
	// IP-literal hosts). Loopback hosts (localhost, 127.0.0.0/8, ::1)
	// always are. For those hosts HTTPS is tried first and plain HTTP when
	// HTTPS gets no HTTP answer at all; the scheme found is kept for the
	// Client's life. Other hosts are only ever reached over HTTPS.
	Insecure []string

	// Mirrors maps a registry ("docker.io", "host[:port]") to the base URLs
	// ("https://mirror.example.com", "http://localhost:5001", no path) of
	// its mirrors. Pulls (Manifest, Blob, BlobSize) try them in order, one
	// attempt each, before the registry itself, which gets the full
	// MaxAttempts. Pushes and Tags never use mirrors.
	Mirrors map[string][]string

	// MaxAttempts is the number of tries of one operation after timeouts,
	// broken connections, 408, 429 (waiting for Retry-After up to
	// MaxRetryAfter) and 5xx answers, with exponential backoff and jitter
	// between them; it also bounds the requests a Blob stream makes to
	// resume. Default DefaultMaxAttempts; negative is refused.
	MaxAttempts int

	// UserAgent is the User-Agent header. Default DefaultUserAgent.
	UserAgent string

	// MaxManifestSize bounds the manifests fetched and pushed, in bytes.
	// Default DefaultMaxManifestSize; negative is refused.
	MaxManifestSize int64

	// ChunkSize is the size above which PushBlob uploads in PATCH chunks,
	// and their size (raised to a registry's OCI-Chunk-Min-Length). Default
	// DefaultChunkSize; negative is refused.
	ChunkSize int64

	// ForeignURLs lets Blob fetch a blob from the URLs of its descriptor
	// (Windows "foreign layers") when the registry does not have it. The
	// URLs are fetched without any credentials, over HTTPS (or HTTP for the
	// hosts above). Default false: desc.URLs are ignored.
	ForeignURLs bool
}

// Credential is what a registry is authenticated with. Username and
// Password are used for Basic authentication and for token requests;
// IdentityToken (a refresh token, Docker's "identitytoken") is exchanged
// for a bearer token by an OAuth2 POST; RegistryToken is sent as the
// bearer token itself.
type Credential struct {
	Username, Password string
	IdentityToken      string
	RegistryToken      string
}

func (c Credential) anonymous() bool {
	return c.Username == "" && c.Password == "" && c.IdentityToken == "" && c.RegistryToken == ""
}

// Client speaks the registry HTTP protocol (OCI distribution spec, Docker
// registry v2) on the client side: pull and push of manifests and blobs,
// with token and Basic authentication, retries, mirrors and verification of
// everything fetched. A Client is safe for concurrent use by several
// goroutines; it keeps tokens, credentials and the schemes of insecure hosts
// for its life and starts no goroutine of its own.
type Client struct {
	opts     Options
	client   *http.Client
	insecure map[string]bool
	nets     []netip.Prefix
	mirrors  map[string][]*url.URL

	// Seams for the tests.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time

	mu         sync.Mutex
	schemes    map[string]string     // insecure host -> "https" or "http"
	challenges map[string]challenge  // host -> last challenge seen
	tokens     map[string]token      // host + " " + scopes -> token
	creds      map[string]Credential // host -> credential found
}

// New returns a Client for opts, or an error wrapping ErrInvalid when an
// option is malformed.
func New(opts Options) (*Client, error) {
	if opts.MaxAttempts < 0 || opts.MaxManifestSize < 0 || opts.ChunkSize < 0 {
		return nil, invalidf("negative MaxAttempts, MaxManifestSize or ChunkSize")
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxManifestSize == 0 {
		opts.MaxManifestSize = DefaultMaxManifestSize
	}
	if opts.ChunkSize == 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	c := &Client{
		opts:       opts,
		insecure:   map[string]bool{},
		mirrors:    map[string][]*url.URL{},
		sleep:      sleepCtx,
		now:        time.Now,
		schemes:    map[string]string{},
		challenges: map[string]challenge{},
		tokens:     map[string]token{},
		creds:      map[string]Credential{},
	}
	for _, h := range opts.Insecure {
		if p, err := netip.ParsePrefix(h); err == nil {
			c.nets = append(c.nets, p.Masked())
			continue
		}
		if h == "" || strings.ContainsAny(h, "/?#@ ") || (&url.URL{Host: h}).Hostname() == "" {
			return nil, invalidf("Insecure: %q is not host[:port] or a CIDR", h)
		}
		c.insecure[strings.ToLower(h)] = true
	}
	for reg, list := range opts.Mirrors {
		key := mirrorKey(reg)
		for _, s := range list {
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
				u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
				return nil, invalidf("Mirrors[%q]: %q is not an http(s)://host[:port] URL", reg, s)
			}
			c.mirrors[key] = append(c.mirrors[key], &url.URL{Scheme: u.Scheme, Host: u.Host})
		}
	}

	rt := opts.Transport
	if rt == nil {
		rt = http.DefaultTransport.(*http.Transport).Clone()
		c.opts.Transport = rt
	}
	if t, ok := rt.(*http.Transport); ok {
		it := t.Clone()
		if it.TLSClientConfig == nil {
			it.TLSClientConfig = &tls.Config{}
		}
		it.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // Docker's insecure-registries, loopback or named by the caller.
		rt = &hostRouter{secure: t, insecure: it, isInsecure: c.plainHTTPAllowed}
	}
	c.client = &http.Client{Transport: rt, CheckRedirect: c.checkRedirect}
	return c, nil
}

// hostRouter sends requests for insecure hosts through a transport that
// does not check certificates, and the others through the caller's.
type hostRouter struct {
	secure, insecure http.RoundTripper
	isInsecure       func(host string) bool
}

func (h *hostRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	if h.isInsecure(req.URL.Host) {
		return h.insecure.RoundTrip(req)
	}
	return h.secure.RoundTrip(req)
}

// errRedirect marks redirects refused by policy.
var errRedirect = fmt.Errorf("%w: redirect refused", ErrInvalid)

// checkRedirect follows at most 10 redirects, refuses a downgrade from
// HTTPS to HTTP (unless the target may be reached over HTTP) and never sends
// the Authorization header to a host other than the first request's.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("%w: more than 10 redirects", errRedirect)
	}
	first := via[0].URL
	if req.URL.Scheme != "https" && (req.URL.Scheme != "http" || (first.Scheme == "https" && !c.plainHTTPAllowed(req.URL.Host))) {
		return fmt.Errorf("%w: to %s", errRedirect, redact(req.URL))
	}
	if canonicalHost(req.URL) != canonicalHost(first) {
		req.Header.Del("Authorization")
	}
	return nil
}

// canonicalHost is u's lower-case host with its port, the default one of
// the scheme when none is written.
func canonicalHost(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	h := strings.ToLower(u.Hostname())
	if strings.Contains(h, ":") {
		return "[" + h + "]:" + port
	}
	return h + ":" + port
}

// plainHTTPAllowed reports whether host ("host[:port]") is loopback or
// insecure by the options.
func (c *Client) plainHTTPAllowed(host string) bool {
	host = strings.ToLower(host)
	if c.insecure[host] {
		return true
	}
	name := (&url.URL{Host: host}).Hostname()
	if name == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(name)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return true
	}
	for _, p := range c.nets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// registryHost is the host that serves domain's API.
func registryHost(domain string) string {
	switch strings.ToLower(domain) {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return "registry-1.docker.io"
	}
	return domain
}

// credentialHost is the name Credentials and config.json know a host by.
func credentialHost(host string) string {
	if registryHost(host) == "registry-1.docker.io" {
		return "docker.io"
	}
	return host
}

func mirrorKey(domain string) string {
	return strings.ToLower(credentialHost(domain))
}

// registryBase returns the scheme and host of the registry of domain. For
// insecure hosts it probes GET /v2/ over HTTPS and then HTTP, once per
// Client, and keeps a challenge the probe gets.
func (c *Client) registryBase(ctx context.Context, domain string) (*url.URL, error) {
	host := registryHost(domain)
	if !c.plainHTTPAllowed(host) {
		return &url.URL{Scheme: "https", Host: host}, nil
	}
	c.mu.Lock()
	scheme := c.schemes[host]
	c.mu.Unlock()
	if scheme != "" {
		return &url.URL{Scheme: scheme, Host: host}, nil
	}
	var errs []error
	for _, scheme := range []string{"https", "http"} {
		u := &url.URL{Scheme: scheme, Host: host, Path: "/v2/"}
		resp, err := c.send(ctx, &request{method: http.MethodGet, url: u}, "")
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			errs = append(errs, err)
			continue
		}
		if resp.StatusCode == http.StatusUnauthorized {
			if ch, ok := pickChallenge(resp.Header.Values("WWW-Authenticate")); ok {
				c.setChallenge(canonicalHost(u), ch)
			}
		}
		discard(resp)
		c.mu.Lock()
		c.schemes[host] = scheme
		c.mu.Unlock()
		return &url.URL{Scheme: scheme, Host: host}, nil
	}
	return nil, fmt.Errorf("reach registry %s over HTTPS or HTTP: %w", host, errors.Join(errs...))
}

// repoURL is base + /v2/<repo>/<parts...>. repo and parts are validated by
// the callers (reference grammar, reference.Digest).
func repoURL(base *url.URL, repo string, parts ...string) *url.URL {
	return &url.URL{Scheme: base.Scheme, Host: base.Host, Path: "/v2/" + repo + "/" + strings.Join(parts, "/")}
}

// validateRef checks a Ref built by hand as Parse would: the repository
// grammar, and the digest.
func validateRef(ref reference.Ref) error {
	if ref.Domain == "" || ref.Path == "" {
		return invalidf("reference %q: no registry or repository", ref.String())
	}
	r, err := reference.ParseNoDefaultTag(ref.String())
	if err != nil || r != ref {
		return invalidf("reference %q is not in normalized form", ref.String())
	}
	return nil
}

// retry runs op up to attempts times (c's MaxAttempts when 0) while it
// fails with an error worth retrying, waiting between tries.
func (c *Client) retry(ctx context.Context, attempts int, op func() error) error {
	if attempts <= 0 {
		attempts = c.opts.MaxAttempts
	}
	for i := 1; ; i++ {
		err := op()
		if err == nil || i >= attempts || !retryable(ctx, err) {
			return err
		}
		d := backoff(i)
		var e *Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			if e.RetryAfter > MaxRetryAfter {
				return err
			}
			d = e.RetryAfter
		}
		if serr := c.sleep(ctx, d); serr != nil {
			return fmt.Errorf("%w (after %v)", serr, err)
		}
	}
}

// backoff is the wait after the i-th failed try: 0.5 s doubling up to 8 s,
// with jitter over its upper half.
func backoff(i int) time.Duration {
	d := 500 * time.Millisecond << min(i-1, 4)
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
