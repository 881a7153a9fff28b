package distribution

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{name: "zero", ok: true},
		{name: "insecure host, port, CIDR", opts: Options{Insecure: []string{"reg.local", "reg.local:5000", "10.0.0.0/8", "[fd00::1]:5000"}}, ok: true},
		{name: "insecure with scheme", opts: Options{Insecure: []string{"http://reg.local"}}},
		{name: "insecure empty", opts: Options{Insecure: []string{""}}},
		{name: "mirror", opts: Options{Mirrors: map[string][]string{"docker.io": {"https://mirror.gcr.io", "http://localhost:5001/"}}}, ok: true},
		{name: "mirror with path", opts: Options{Mirrors: map[string][]string{"docker.io": {"https://m/x"}}}},
		{name: "mirror without scheme", opts: Options{Mirrors: map[string][]string{"docker.io": {"mirror.gcr.io"}}}},
		{name: "mirror with user", opts: Options{Mirrors: map[string][]string{"docker.io": {"https://u:p@m"}}}},
		{name: "negative attempts", opts: Options{MaxAttempts: -1}},
		{name: "negative manifest size", opts: Options{MaxManifestSize: -1}},
		{name: "negative chunk", opts: Options{ChunkSize: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts)
			if !tt.ok {
				require.ErrorIs(t, err, ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, DefaultMaxAttempts, c.opts.MaxAttempts)
			assert.Equal(t, int64(DefaultMaxManifestSize), c.opts.MaxManifestSize)
			assert.Equal(t, DefaultUserAgent, c.opts.UserAgent)
		})
	}
}

func TestPlainHTTPAllowed(t *testing.T) {
	c, err := New(Options{Insecure: []string{"reg.local:5000", "10.1.0.0/16"}})
	require.NoError(t, err)
	for host, want := range map[string]bool{
		"localhost": true, "localhost:5000": true, "LOCALHOST:1": true, "127.0.0.1": true, "127.9.9.9:80": true,
		"[::1]:5000": true, "reg.local:5000": true, "REG.local:5000": true, "10.1.2.3:443": true,
		"reg.local": false, "reg.local:5001": false, "10.2.0.1": false, "docker.io": false,
		"registry-1.docker.io": false, "localhost.evil.com": false, "127.0.0.1.nip.io": false,
	} {
		assert.Equal(t, want, c.plainHTTPAllowed(host), "plainHTTPAllowed(%q)", host)
	}
}

func TestRegistryHost(t *testing.T) {
	for in, want := range map[string]string{"docker.io": "registry-1.docker.io", "index.docker.io": "registry-1.docker.io", "ghcr.io": "ghcr.io", "localhost:5000": "localhost:5000"} {
		assert.Equal(t, want, registryHost(in), "registryHost(%q)", in)
	}
	assert.Equal(t, "docker.io", credentialHost("registry-1.docker.io"))
	assert.Equal(t, "ghcr.io", credentialHost("ghcr.io"))
}

// Loopback registries are tried over HTTPS (certificates unchecked) and
// then plain HTTP; the scheme found is kept.
func TestSchemeProbe(t *testing.T) {
	body := ociManifest(t, true)
	for _, tlsServer := range []bool{true, false} {
		name := "http"
		if tlsServer {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			f := &fakeRegistry{t: t, manifests: map[string]fakeManifest{}, blobs: map[string][]byte{}, uploads: map[string][]byte{}}
			if tlsServer {
				f.srv = httptest.NewTLSServer(f)
			} else {
				f.srv = httptest.NewServer(f)
			}
			t.Cleanup(f.srv.Close)
			f.putManifest("a/b", "1", ocispec.MediaTypeImageManifest, body)
			c := testClient(t, Options{}, nil, nil)
			for range 2 {
				m, err := c.Manifest(context.Background(), f.ref(t, "a/b:1"))
				require.NoError(t, err)
				assert.Equal(t, body, m.Body)
			}
			assert.Equal(t, name, c.schemes[f.host()])
			probes := 0
			for _, l := range f.log {
				if l == "GET /v2/" {
					probes++
				}
			}
			assert.Equal(t, 1, probes)
		})
	}
	t.Run("nothing listens", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		host := srv.Listener.Addr().String()
		srv.Close()
		c := testClient(t, Options{}, nil, nil)
		_, err := c.registryBase(context.Background(), host)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "HTTPS or HTTP")
		assert.Empty(t, c.schemes)
	})
}

func TestCheckRedirect(t *testing.T) {
	c, err := New(Options{})
	require.NoError(t, err)
	mk := func(s string, auth bool) *http.Request {
		u, err := url.Parse(s)
		require.NoError(t, err)
		r := &http.Request{URL: u, Header: http.Header{}}
		if auth {
			r.Header.Set("Authorization", "Bearer x")
		}
		return r
	}
	tests := []struct {
		from, to string
		wantErr  bool
		keepAuth bool
	}{
		{from: "https://reg.io/v2/x", to: "https://reg.io/other", keepAuth: true},
		{from: "https://reg.io/v2/x", to: "https://reg.io:443/other", keepAuth: true},
		{from: "https://reg.io/v2/x", to: "https://s3.amazonaws.com/b"},
		{from: "https://reg.io/v2/x", to: "https://sub.reg.io/b"},
		{from: "https://reg.io/v2/x", to: "https://reg.io:8443/b"},
		{from: "http://127.0.0.1:5000/v2/x", to: "http://127.0.0.1:5001/b"},
		{from: "https://reg.io/v2/x", to: "http://reg.io/b", wantErr: true},
		{from: "https://reg.io/v2/x", to: "ftp://reg.io/b", wantErr: true},
		{from: "https://localhost:5000/v2/x", to: "http://localhost:5000/b", keepAuth: true},
	}
	for _, tt := range tests {
		req := mk(tt.to, true)
		err := c.checkRedirect(req, []*http.Request{mk(tt.from, true)})
		if tt.wantErr {
			assert.ErrorIs(t, err, ErrInvalid, "%s -> %s", tt.from, tt.to)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.keepAuth, req.Header.Get("Authorization") != "", "%s -> %s: Authorization kept", tt.from, tt.to)
	}
	via := make([]*http.Request, 10)
	for i := range via {
		via[i] = mk("https://reg.io/", false)
	}
	assert.ErrorIs(t, c.checkRedirect(mk("https://reg.io/", false), via), ErrInvalid)
}

func TestErrorIs(t *testing.T) {
	tests := []struct {
		status int
		codes  []string
		want   error
	}{
		{404, nil, ErrNotFound},
		{400, []string{"NAME_UNKNOWN"}, ErrNotFound},
		{401, []string{"MANIFEST_UNKNOWN"}, ErrUnauthorized},
		{403, nil, ErrDenied},
		{400, []string{"DENIED"}, ErrDenied},
		{405, nil, ErrUnsupported},
		{400, []string{"FOO", "DIGEST_INVALID"}, ErrInvalid},
		{500, nil, nil},
	}
	for _, tt := range tests {
		e := &Error{StatusCode: tt.status}
		for _, c := range tt.codes {
			e.Errors = append(e.Errors, ErrorDetail{Code: c})
		}
		for _, s := range []error{ErrNotFound, ErrUnauthorized, ErrDenied, ErrUnsupported, ErrInvalid} {
			assert.Equal(t, s == tt.want, errors.Is(e, s), "%d %v Is %v", tt.status, tt.codes, s)
		}
	}
}

func TestErrorText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("upstream \x1b[31mdown\x1b[0m\n" + strings.Repeat("x", 100<<10)))
	}))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/v2/a/blobs/x?X-Amz-Signature=secret")
	require.NoError(t, err)
	e := newError(resp)
	assert.Equal(t, 7*time.Second, e.RetryAfter)
	assert.NotContains(t, e.Error(), "secret")
	assert.NotContains(t, e.Error(), "\x1b")
	assert.Contains(t, e.Error(), "503 Service Unavailable: upstream [31mdown")
	assert.Less(t, len(e.Text), 600)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, " 0 ": 0, "-1": 0, "x": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		assert.Equal(t, want, parseRetryAfter(in, now), "parseRetryAfter(%q)", in)
	}
}

// An operation is tried MaxAttempts times, with growing waits.
func TestRetryAttempts(t *testing.T) {
	f := newFakeRegistry(t)
	f.hook = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if r.URL.Path == "/v2/" {
			return false
		}
		writeErr(w, http.StatusInternalServerError, "X")
		return true
	}
	var sleeps []time.Duration
	c := testClient(t, Options{MaxAttempts: 4}, &sleeps, nil)
	_, err := c.Manifest(context.Background(), f.ref(t, "a/b:1"))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 500, e.StatusCode)
	assert.Len(t, f.requests(), 4)
	require.Len(t, sleeps, 3)
	for i, d := range sleeps {
		max := 500 * time.Millisecond << i
		assert.True(t, d >= max/2 && d <= max, "wait %d = %v, want in [%v, %v]", i, d, max/2, max)
	}

	// A cancelled context stops the waits.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Manifest(ctx, f.ref(t, "a/b:1"))
	require.ErrorIs(t, err, context.Canceled)
}
