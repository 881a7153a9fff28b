package distribution

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseChallenges(t *testing.T) {
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		in      []string
		want    []challenge
		wantErr bool
	}{
		{in: []string{`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"`},
			want: []challenge{{scheme: "bearer", params: p("realm", "https://auth.docker.io/token", "service", "registry.docker.io", "scope", "repository:library/busybox:pull")}}},
		{in: []string{`Basic realm="Registry Realm"`}, want: []challenge{{scheme: "basic", params: p("realm", "Registry Realm")}}},
		{in: []string{`BASIC Realm=reg`}, want: []challenge{{scheme: "basic", params: p("realm", "reg")}}},
		{in: []string{`Bearer realm="a\"b\\c", service = "s" , scope="x y"`},
			want: []challenge{{scheme: "bearer", params: p("realm", `a"b\c`, "service", "s", "scope", "x y")}}},
		{in: []string{`Bearer realm="r",service="s", Basic realm="b"`},
			want: []challenge{{scheme: "bearer", params: p("realm", "r", "service", "s")}, {scheme: "basic", params: p("realm", "b")}}},
		{in: []string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`},
			want: []challenge{{scheme: "newauth", params: p("realm", "apps", "type", "1", "title", `Login to "apps"`)}, {scheme: "basic", params: p("realm", "simple")}}},
		{in: []string{`Bearer realm=https://unquoted.example/token,service=reg`},
			want: []challenge{{scheme: "bearer", params: p("realm", "https://unquoted.example/token", "service", "reg")}}},
		{in: []string{`Negotiate abc+/def==, Basic`, `Bearer realm="x"`},
			want: []challenge{{scheme: "negotiate", params: p(), token68: "abc+/def=="}, {scheme: "basic", params: p()}, {scheme: "bearer", params: p("realm", "x")}}},
		{in: []string{`Bearer realm="first", realm="second"`}, want: []challenge{{scheme: "bearer", params: p("realm", "first")}}},
		{in: []string{``, ` , ,`}, want: nil},
		{in: []string{`Bearer realm="unterminated`}, wantErr: true},
		{in: []string{`Bearer realm="x" junk`}, wantErr: true},
		{in: []string{`Bearer realm="x",`}, want: []challenge{{scheme: "bearer", params: p("realm", "x")}}},
		{in: []string{`="x"`}, wantErr: true},
		{in: []string{`Bearer="x"`}, wantErr: true},
		{in: []string{`Basic realm="ok", Bearer realm="x" "y"`}, want: []challenge{{scheme: "basic", params: p("realm", "ok")}}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseChallenges(tt.in)
		if tt.wantErr {
			assert.ErrorIs(t, err, ErrInvalid, "parseChallenges(%q)", tt.in)
		} else {
			assert.NoError(t, err, "parseChallenges(%q)", tt.in)
		}
		if tt.want != nil || !tt.wantErr {
			assert.Equal(t, tt.want, got, "parseChallenges(%q)", tt.in)
		}
	}
}

func TestPickChallenge(t *testing.T) {
	ch, ok := pickChallenge([]string{`Basic realm="b"`, `Bearer service="no realm"`, `Bearer realm="r"`})
	require.True(t, ok)
	assert.Equal(t, "bearer", ch.scheme)
	ch, ok = pickChallenge([]string{`Basic realm="b"`, `Bearer service="no realm"`})
	require.True(t, ok)
	assert.Equal(t, "basic", ch.scheme)
	_, ok = pickChallenge([]string{`Negotiate x`})
	assert.False(t, ok)
}

// The bearer flow end to end: 401, a token from the realm with the
// service and scope, the request again; the token is cached per host and
// scope set until it expires.
func TestBearerFlow(t *testing.T) {
	f := newFakeRegistry(t)
	ts := newTokenServer(t, "my-registry")
	ts.expiresIn = 300
	bearerAuth(f, ts, "my-registry", nil)
	body := ociManifest(t, true)
	f.putManifest("a/b", "1", ocispec.MediaTypeImageManifest, body)
	c := testClient(t, Options{Credentials: func(_ context.Context, host string) (Credential, error) {
		assert.Equal(t, f.host(), host)
		return Credential{Username: "user", Password: "pass"}, nil
	}}, nil, nil)
	now := time.Now()
	c.now = func() time.Time { return now }
	ref := f.ref(t, "a/b:1")

	_, err := c.Manifest(context.Background(), ref)
	require.NoError(t, err)
	require.Equal(t, 1, ts.count())
	r := ts.requests[0]
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, "my-registry", r.Form.Get("service"))
	assert.Equal(t, []string{"repository:a/b:pull"}, r.Form["scope"])
	assert.Equal(t, "user", r.Form.Get("account"))
	user, pass, ok := r.BasicAuth()
	assert.True(t, ok)
	assert.Equal(t, "user", user)
	assert.Equal(t, "pass", pass)

	_, err = c.Manifest(context.Background(), ref)
	require.NoError(t, err)
	assert.Equal(t, 1, ts.count(), "token requests after a second request")

	// Another repository is another scope set: a new token, fetched before
	// the request (the host's challenge is known).
	f.putManifest("c/d", "1", ocispec.MediaTypeImageManifest, body)
	n401 := countStatus(f, http.StatusUnauthorized)
	_, err = c.Manifest(context.Background(), f.ref(t, "c/d:1"))
	require.NoError(t, err)
	assert.Equal(t, 2, ts.count())
	assert.Equal(t, n401, countStatus(f, http.StatusUnauthorized), "a 401 where the challenge was known")

	// Past its life (less a tenth), the token is renewed.
	now = now.Add(271 * time.Second)
	_, err = c.Manifest(context.Background(), ref)
	require.NoError(t, err)
	assert.Equal(t, 3, ts.count(), "token requests after expiry")
}

// countStatus counts the requests of f that went without a valid token
// (the 401s of bearerAuth).
func countStatus(f *fakeRegistry, _ int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range f.headers {
		if !strings.HasPrefix(h.Get("Authorization"), "Bearer tok") {
			n++
		}
	}
	return n
}

// A token the registry still refuses is one 401 too many: an error, not a
// loop.
func TestNo401Loop(t *testing.T) {
	f := newFakeRegistry(t)
	ts := newTokenServer(t, "reg")
	bearerAuth(f, ts, "reg", func(string) bool { return false })
	c := testClient(t, Options{}, nil, nil)
	_, err := c.Manifest(context.Background(), f.ref(t, "a/b:1"))
	require.ErrorIs(t, err, ErrUnauthorized)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "UNAUTHORIZED", e.Errors[0].Code)
	// The probe's 401 gave the challenge: one token, one request with it.
	assert.Equal(t, 1, ts.count())
	assert.Len(t, f.requests(), 1)

	// Without a known challenge: 401, token, 401, stop.
	c = testClient(t, Options{}, nil, nil)
	c.mu.Lock()
	c.schemes[f.host()] = "http"
	c.mu.Unlock()
	_, err = c.Manifest(context.Background(), f.ref(t, "a/b:1"))
	require.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 2, ts.count())
	assert.Len(t, f.requests(), 3)
}

func TestTokenServerErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		status  int
		body    string
		realm   string
		wantErr error
	}{
		{name: "401 from the token server", status: 401, body: `{"details":"incorrect username or password"}`, wantErr: ErrUnauthorized},
		{name: "no token", status: 200, body: `{"expires_in":60}`, wantErr: ErrInvalid},
		{name: "not JSON", status: 200, body: `<html>`, wantErr: ErrInvalid},
		{name: "realm not https", realm: "http://example.com/token", wantErr: ErrInvalid},
		{name: "realm not a URL", realm: "::", wantErr: ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(tokenSrv.Close)
			realm := tokenSrv.URL
			if tt.realm != "" {
				realm = tt.realm
			}
			f := newFakeRegistry(t)
			f.auth = func(w http.ResponseWriter, _ *http.Request) bool {
				w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
				w.WriteHeader(http.StatusUnauthorized)
				return false
			}
			c := testClient(t, Options{}, nil, nil)
			_, err := c.Manifest(context.Background(), f.ref(t, "a/b:1"))
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestBasicAuth(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cred    Credential
		wantErr error
	}{
		{name: "credentials", cred: Credential{Username: "user", Password: "pa:ss"}},
		{name: "none", wantErr: ErrUnauthorized},
		{name: "wrong", cred: Credential{Username: "user", Password: "bad"}, wantErr: ErrUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRegistry(t)
			f.auth = func(w http.ResponseWriter, r *http.Request) bool {
				if u, p, ok := r.BasicAuth(); ok && u == "user" && p == "pa:ss" {
					return true
				}
				w.Header().Set("WWW-Authenticate", `Basic realm="fake"`)
				writeErr(w, http.StatusUnauthorized, "UNAUTHORIZED")
				return false
			}
			f.putManifest("a/b", "1", ocispec.MediaTypeImageManifest, ociManifest(t, true))
			var calls atomic.Int32
			c := testClient(t, Options{Credentials: func(context.Context, string) (Credential, error) {
				calls.Add(1)
				return tt.cred, nil
			}}, nil, nil)
			for range 2 {
				_, err := c.Manifest(context.Background(), f.ref(t, "a/b:1"))
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
					continue
				}
				require.NoError(t, err)
			}
			assert.Equal(t, int32(1), calls.Load(), "Credentials calls")
		})
	}
}

// writeConfig writes a config.json into a temporary directory.
func writeConfig(t *testing.T, cfg any) string {
	t.Helper()
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

// writeHelper installs docker-credential-test on PATH: it answers for the
// server URL wantURL with output, and "credentials not found" otherwise.
func writeHelper(t *testing.T, wantURL, output string) {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\n" +
		"[ \"$1\" = get ] || exit 2\n" +
		"read -r url\n" +
		"if [ \"$url\" = '" + wantURL + "' ]; then printf '%s' '" + output + "'; exit 0; fi\n" +
		"echo 'credentials not found in native keychain'; exit 1\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "docker-credential-test"), []byte(script), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestDockerConfig(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	const host = "reg.example.com:5000"
	tests := []struct {
		name    string
		cfg     any
		helper  string // output of docker-credential-test for host
		host    string
		want    Credential
		wantErr error
	}{
		{name: "auths", host: host, cfg: map[string]any{"auths": map[string]any{host: map[string]string{"auth": b64("u:p:w")}}},
			want: Credential{Username: "u", Password: "p:w"}},
		{name: "auths with scheme", host: host, cfg: map[string]any{"auths": map[string]any{"https://" + host + "/v1/": map[string]string{"auth": b64("u:p")}}},
			want: Credential{Username: "u", Password: "p"}},
		{name: "docker hub key", host: "docker.io", cfg: map[string]any{"auths": map[string]any{"https://index.docker.io/v1/": map[string]string{"auth": b64("hub:pw")}}},
			want: Credential{Username: "hub", Password: "pw"}},
		{name: "identity token", host: host, cfg: map[string]any{"auths": map[string]any{host: map[string]string{"identitytoken": "refresh"}}},
			want: Credential{IdentityToken: "refresh"}},
		{name: "other host", host: "other:1", cfg: map[string]any{"auths": map[string]any{host: map[string]string{"auth": b64("u:p")}}}},
		{name: "bad base64", host: host, cfg: map[string]any{"auths": map[string]any{host: map[string]string{"auth": "!!"}}}, wantErr: ErrInvalid},
		{name: "credHelpers", host: host, helper: `{"ServerURL":"x","Username":"hu","Secret":"hs"}`,
			cfg:  map[string]any{"credHelpers": map[string]string{host: "test"}, "auths": map[string]any{host: map[string]string{"auth": b64("no:no")}}},
			want: Credential{Username: "hu", Password: "hs"}},
		{name: "credsStore, identity token", host: "docker.io", helper: `{"Username":"<token>","Secret":"idt"}`,
			cfg: map[string]any{"credsStore": "test"}, want: Credential{IdentityToken: "idt"}},
		{name: "helper: not found is anonymous", host: "elsewhere", helper: `{}`, cfg: map[string]any{"credsStore": "test"}},
		{name: "helper name with a slash", host: host, cfg: map[string]any{"credsStore": "../../bin/sh"}, wantErr: ErrInvalid},
		{name: "malformed config", host: host, cfg: "not an object", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := host
			if tt.host == "docker.io" {
				url = dockerHubConfigKey
			}
			writeHelper(t, url, tt.helper)
			got, err := configCredential(context.Background(), writeConfig(t, tt.cfg), tt.host)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		got, err := configCredential(context.Background(), filepath.Join(t.TempDir(), "none.json"), host)
		require.NoError(t, err)
		assert.Equal(t, Credential{}, got)
	})
	t.Run("DOCKER_CONFIG", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("DOCKER_CONFIG", dir)
		assert.Equal(t, filepath.Join(dir, "config.json"), DefaultDockerConfig())
	})
}

// Credentials from a config.json and a credential helper reach the token
// server; an identity token is exchanged by an OAuth2 POST.
func TestConfigEndToEnd(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  func(host string) any
		post bool
	}{
		{name: "auths", cfg: func(host string) any {
			return map[string]any{"auths": map[string]any{host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte("user:pass"))}}}
		}},
		{name: "credHelpers", cfg: func(host string) any { return map[string]any{"credHelpers": map[string]string{host: "test"}} }},
		{name: "identity token", post: true, cfg: func(host string) any {
			return map[string]any{"auths": map[string]any{host: map[string]string{"identitytoken": "refresh-me"}}}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRegistry(t)
			ts := newTokenServer(t, "reg")
			bearerAuth(f, ts, "reg", nil)
			f.putManifest("a/b", "1", ocispec.MediaTypeImageManifest, ociManifest(t, true))
			writeHelper(t, f.host(), `{"Username":"user","Secret":"pass"}`)
			c := testClient(t, Options{DockerConfig: writeConfig(t, tt.cfg(f.host()))}, nil, nil)
			_, err := c.Manifest(context.Background(), f.ref(t, "a/b:1"))
			require.NoError(t, err)
			require.Equal(t, 1, ts.count())
			r := ts.requests[0]
			if tt.post {
				assert.Equal(t, http.MethodPost, r.Method)
				form, _ := url.ParseQuery(ts.forms[0])
				assert.Equal(t, "refresh_token", form.Get("grant_type"))
				assert.Equal(t, "refresh-me", form.Get("refresh_token"))
				assert.Equal(t, "repository:a/b:pull", form.Get("scope"))
				return
			}
			user, pass, ok := r.BasicAuth()
			require.True(t, ok)
			assert.Equal(t, "user:pass", user+":"+pass)
		})
	}
}

func TestRegistryToken(t *testing.T) {
	f := newFakeRegistry(t)
	ts := newTokenServer(t, "reg")
	bearerAuth(f, ts, "reg", nil)
	f.putManifest("a/b", "1", ocispec.MediaTypeImageManifest, ociManifest(t, true))
	c := testClient(t, Options{Credentials: func(context.Context, string) (Credential, error) {
		return Credential{RegistryToken: "tok-given"}, nil
	}}, nil, nil)
	_, err := c.Manifest(context.Background(), f.ref(t, "a/b:1"))
	require.NoError(t, err)
	assert.Equal(t, 0, ts.count())
}
