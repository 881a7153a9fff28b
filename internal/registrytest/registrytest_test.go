package registrytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// get sends a GET with an optional Authorization header and returns the
// status, headers and body.
func get(t *testing.T, u, auth string, accept ...string) (int, http.Header, []byte) {
	t.Helper()
	return send(t, http.MethodGet, u, auth, accept...)
}

func send(t *testing.T, method, u, auth string, accept ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, a := range accept {
		req.Header.Add("Accept", a)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	return resp.StatusCode, resp.Header, b
}

func TestStartPlain(t *testing.T) {
	reg := Start(t)
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(reg.Host) || reg.URL != "http://"+reg.Host {
		t.Fatalf("Host, URL = %q, %q, want 127.0.0.1:port, http://127.0.0.1:port", reg.Host, reg.URL)
	}
	if code, _, _ := get(t, reg.URL+"/v2/", ""); code != http.StatusOK {
		t.Fatalf("GET /v2/ = %d, want 200", code)
	}

	p := Push(t, reg, "library/app", "v1", Image{Layers: [][]byte{RandomLayer(t, 1000), RandomLayer(t, 70000)}})
	code, h, body := get(t, reg.URL+"/v2/library/app/manifests/v1", "", ocispec.MediaTypeImageManifest)
	if code != http.StatusOK {
		t.Fatalf("GET manifest = %d, want 200", code)
	}
	if got := digest.FromBytes(body); got != p.Descriptor.Digest || h.Get("Docker-Content-Digest") != p.Descriptor.Digest.String() {
		t.Errorf("manifest digest = %s (header %s), want %s", got, h.Get("Docker-Content-Digest"), p.Descriptor.Digest)
	}
	if ct := h.Get("Content-Type"); ct != ocispec.MediaTypeImageManifest {
		t.Errorf("manifest Content-Type = %q, want %q", ct, ocispec.MediaTypeImageManifest)
	}
	for i, l := range p.Layers {
		code, _, b := get(t, reg.URL+"/v2/library/app/blobs/"+l.Digest.String(), "")
		if code != http.StatusOK || !bytes.Equal(b, p.LayerBytes[i]) {
			t.Errorf("GET layer %d = %d, %d bytes, want 200, the %d bytes pushed", i, code, len(b), len(p.LayerBytes[i]))
		}
	}
	var cfg ocispec.Image
	_, _, cb := get(t, reg.URL+"/v2/library/app/blobs/"+p.Config.Digest.String(), "")
	if err := json.Unmarshal(cb, &cfg); err != nil || len(cfg.RootFS.DiffIDs) != 2 || cfg.OS != "linux" {
		t.Errorf("config = %s (%v), want linux with 2 diff_ids", cb, err)
	}

	// PushImage is the short form; pushing the same layer again is fine.
	layer := RandomLayer(t, 10)
	d1 := PushImage(t, reg, "library/app", "v2", layer)
	if d2 := PushImage(t, reg, "other", "", layer); d2 != d1 {
		t.Errorf("PushImage of the same layer = %s, want %s", d2, d1)
	}
	if code, _, _ := get(t, reg.URL+"/v2/other/manifests/"+d1.String(), "", ocispec.MediaTypeImageManifest); code != http.StatusOK {
		t.Errorf("GET manifest by digest = %d, want 200", code)
	}

	idx := PushIndex(t, reg, "library/multi", "latest",
		Image{Layers: [][]byte{RandomLayer(t, 10)}},
		Image{Layers: [][]byte{RandomLayer(t, 10)}, Platform: ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}})
	code, h, body = get(t, reg.URL+"/v2/library/multi/manifests/latest", "", ocispec.MediaTypeImageIndex)
	var index ocispec.Index
	if err := json.Unmarshal(body, &index); code != http.StatusOK || err != nil || digest.FromBytes(body) != idx.Descriptor.Digest {
		t.Fatalf("GET index = %d, %s, want 200, digest %s", code, h.Get("Docker-Content-Digest"), idx.Descriptor.Digest)
	}
	if len(index.Manifests) != 2 || index.Manifests[1].Platform.Architecture != "arm64" || index.Manifests[1].Platform.Variant != "v8" {
		t.Errorf("index manifests = %+v, want amd64 and arm64/v8", index.Manifests)
	}
}

func TestBasicAuth(t *testing.T) {
	reg := Start(t, WithBasicAuth("alice", "s3cret"))
	code, h, _ := get(t, reg.URL+"/v2/", "")
	if want := `Basic realm="` + BasicRealm + `"`; code != http.StatusUnauthorized || h.Get("WWW-Authenticate") != want {
		t.Fatalf("GET /v2/ = %d, WWW-Authenticate %q, want 401, %q", code, h.Get("WWW-Authenticate"), want)
	}
	basic := func(u, p string) string {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(u, p)
		return req.Header.Get("Authorization")
	}
	if code, _, _ := get(t, reg.URL+"/v2/", basic("alice", "wrong")); code != http.StatusUnauthorized {
		t.Errorf("GET /v2/ with a wrong password = %d, want 401", code)
	}
	if code, _, _ := get(t, reg.URL+"/v2/", basic("alice", "s3cret")); code != http.StatusOK {
		t.Errorf("GET /v2/ with credentials = %d, want 200", code)
	}
	d := PushImage(t, reg, "private/app", "v1", RandomLayer(t, 100))
	code, _, body := get(t, reg.URL+"/v2/private/app/manifests/v1", basic("alice", "s3cret"), ocispec.MediaTypeImageManifest)
	if code != http.StatusOK || digest.FromBytes(body) != d {
		t.Errorf("GET manifest with credentials = %d, %s, want 200, %s", code, digest.FromBytes(body), d)
	}
}

// challenge parses a Bearer WWW-Authenticate header.
func challenge(t *testing.T, h http.Header) map[string]string {
	t.Helper()
	v := h.Get("WWW-Authenticate")
	rest, ok := strings.CutPrefix(v, "Bearer ")
	if !ok {
		t.Fatalf("WWW-Authenticate = %q, want Bearer", v)
	}
	params := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(rest, -1) {
		params[m[1]] = m[2]
	}
	return params
}

type tokenAnswer struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// fetchToken asks the realm for a token; auth is an optional Authorization
// header.
func fetchToken(t *testing.T, realm, service, auth string, scopes ...string) (int, tokenAnswer) {
	t.Helper()
	q := url.Values{"service": {service}, "scope": scopes}
	code, _, body := get(t, realm+"?"+q.Encode(), auth)
	var a tokenAnswer
	if code == http.StatusOK {
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatalf("token answer %s: %v", body, err)
		}
	}
	return code, a
}

func TestTokenAuth(t *testing.T) {
	reg := Start(t, WithTokenAuth())
	code, h, _ := get(t, reg.URL+"/v2/", "")
	if c := challenge(t, h); code != http.StatusUnauthorized || c["realm"] != reg.TokenURL || c["service"] != TokenService {
		t.Fatalf("GET /v2/ = %d, challenge %v, want 401, realm %s, service %s", code, c, reg.TokenURL, TokenService)
	}
	d := PushImage(t, reg, "team/app", "v1", RandomLayer(t, 100))
	if n := len(reg.TokenRequests(t)); n != 0 {
		t.Errorf("token requests after PushImage = %d, want 0 (the helpers mint their own)", n)
	}

	manifest := reg.URL + "/v2/team/app/manifests/v1"
	code, h, _ = get(t, manifest, "", ocispec.MediaTypeImageManifest)
	c := challenge(t, h)
	if code != http.StatusUnauthorized || c["scope"] != "repository:team/app:pull" {
		t.Fatalf("GET manifest = %d, challenge %v, want 401, scope repository:team/app:pull", code, c)
	}
	code, tok := fetchToken(t, c["realm"], c["service"], "", c["scope"], "repository:team/new:pull,push")
	if code != http.StatusOK || tok.Token == "" || tok.Token != tok.AccessToken || tok.ExpiresIn != 300 || tok.IssuedAt == "" {
		t.Fatalf("token = %d, %+v, want 200, token = access_token, expires_in 300, issued_at", code, tok)
	}
	code, _, body := get(t, manifest, "Bearer "+tok.Token, ocispec.MediaTypeImageManifest)
	if code != http.StatusOK || digest.FromBytes(body) != d {
		t.Errorf("GET manifest with token = %d, %s, want 200, %s", code, digest.FromBytes(body), d)
	}
	// The same token allows a push to the second repository.
	if code, _, _ := send(t, http.MethodPost, reg.URL+"/v2/team/new/blobs/uploads/", "Bearer "+tok.Token); code != http.StatusAccepted {
		t.Errorf("POST upload with a push token = %d, want 202", code)
	}
	reqs := reg.TokenRequests(t)
	if len(reqs) != 1 || strings.Join(reqs[0].Scopes, " ") != "repository:team/app:pull repository:team/new:pull,push" ||
		reqs[0].Service != TokenService || reqs[0].Status != http.StatusOK || len(reqs[0].Granted) != 2 {
		t.Errorf("TokenRequests = %+v, want the one request with both scopes", reqs)
	}

	// Refused: a token for another repository, a pull token for a push, an
	// expired token, a token signed by another key.
	other := reg.IssueToken(t, "bob", time.Now().Add(time.Hour), "repository:team/other:pull,push")
	pullOnly := reg.IssueToken(t, "bob", time.Now().Add(time.Hour), "repository:team/app:pull")
	expired := reg.IssueToken(t, "bob", time.Now().Add(-time.Hour), "repository:team/app:pull")
	foreign := Start(t, WithTokenAuth()).IssueToken(t, "bob", time.Now().Add(time.Hour), "repository:team/app:pull")
	for _, tc := range []struct {
		name, method, url, token, wantErr string
	}{
		{"other repository", http.MethodGet, manifest, other, "insufficient_scope"},
		{"pull token for push", http.MethodPost, reg.URL + "/v2/team/app/blobs/uploads/", pullOnly, "insufficient_scope"},
		{"expired", http.MethodGet, manifest, expired, "invalid_token"},
		{"other key", http.MethodGet, manifest, foreign, "invalid_token"},
		{"garbage", http.MethodGet, manifest, "a.b.c", "invalid_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, h, _ := send(t, tc.method, tc.url, "Bearer "+tc.token, ocispec.MediaTypeImageManifest)
			if c := challenge(t, h); code != http.StatusUnauthorized || c["error"] != tc.wantErr {
				t.Errorf("%s with the token = %d, error %q, want 401, %q", tc.method, code, c["error"], tc.wantErr)
			}
		})
	}
	if code, _, _ := get(t, manifest, "Bearer "+pullOnly, ocispec.MediaTypeImageManifest); code != http.StatusOK {
		t.Errorf("GET manifest with a minted pull token = %d, want 200", code)
	}

	if code, _ := fetchToken(t, reg.TokenURL, TokenService, "Basic Ym9iOng=", "repository:team/app:pull"); code != http.StatusOK {
		t.Errorf("token with any credentials and no users = %d, want 200", code)
	}
	reg.ResetTokenRequests(t)
	if code, _ := fetchToken(t, reg.TokenURL, "wrong-service", "", "repository:team/app:pull"); code != http.StatusBadRequest {
		t.Errorf("token for a wrong service = %d, want 400", code)
	}
	if reqs := reg.TokenRequests(t); len(reqs) != 1 || reqs[0].Status != http.StatusBadRequest {
		t.Errorf("TokenRequests after reset = %+v, want the one refused request", reqs)
	}
}

func TestTokenUsers(t *testing.T) {
	reg := Start(t, WithTokenUser("alice", "pw", "pull"), WithTokenUser("root", "rootpw", "*"), WithTokenTTL(time.Minute))
	d := PushImage(t, reg, "app", "v1", RandomLayer(t, 100))
	manifest := reg.URL + "/v2/app/manifests/v1"
	basic := func(u, p string) string {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(u, p)
		return req.Header.Get("Authorization")
	}

	code, anon := fetchToken(t, reg.TokenURL, TokenService, "", "repository:app:pull")
	if code != http.StatusOK {
		t.Fatalf("anonymous token = %d, want 200", code)
	}
	if code, _, _ := get(t, manifest, "Bearer "+anon.Token); code != http.StatusUnauthorized {
		t.Errorf("GET manifest with an anonymous token = %d, want 401", code)
	}
	if code, _ := fetchToken(t, reg.TokenURL, TokenService, basic("alice", "nope"), "repository:app:pull"); code != http.StatusUnauthorized {
		t.Errorf("token with a wrong password = %d, want 401", code)
	}
	code, alice := fetchToken(t, reg.TokenURL, TokenService, basic("alice", "pw"), "repository:app:pull,push")
	if code != http.StatusOK || alice.ExpiresIn != 60 {
		t.Fatalf("alice's token = %d, expires_in %d, want 200, 60", code, alice.ExpiresIn)
	}
	if code, _, body := get(t, manifest, "Bearer "+alice.Token, ocispec.MediaTypeImageManifest); code != http.StatusOK || digest.FromBytes(body) != d {
		t.Errorf("GET manifest with alice's token = %d, want 200", code)
	}
	if code, _, _ := send(t, http.MethodPost, reg.URL+"/v2/app/blobs/uploads/", "Bearer "+alice.Token); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("POST upload with alice's pull-only token = %d, want 401 or 403", code)
	}

	// The OAuth2 password grant, as containerd tries first.
	resp, err := http.PostForm(reg.TokenURL, url.Values{
		"grant_type": {"password"}, "username": {"root"}, "password": {"rootpw"},
		"service": {TokenService}, "scope": {"repository:app:pull,push"}, "client_id": {"registrytest"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var root tokenAnswer
	err = json.NewDecoder(resp.Body).Decode(&root)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("POST token = %d (%v), want 200", resp.StatusCode, err)
	}
	if code, _, _ := send(t, http.MethodPost, reg.URL+"/v2/app/blobs/uploads/", "Bearer "+root.AccessToken); code != http.StatusAccepted {
		t.Errorf("POST upload with root's token = %d, want 202", code)
	}

	var got []string
	for _, r := range reg.TokenRequests(t) {
		var granted []string
		for _, a := range r.Granted {
			granted = append(granted, a.String())
		}
		got = append(got, r.Method+" "+r.User+" "+strings.Join(granted, " "))
	}
	want := []string{"GET  ", "GET alice ", "GET alice repository:app:pull", "POST root repository:app:pull,push"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("TokenRequests = %q, want %q", got, want)
	}
}

func TestLibtrustKeyIDFormat(t *testing.T) {
	s, err := newTokenServer(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if !regexp.MustCompile(`^[A-Z2-7]{4}(:[A-Z2-7]{4}){11}$`).MatchString(s.kid) {
		t.Errorf("LibtrustKeyID = %q, want 12 groups of 4 base32 characters", s.kid)
	}
	// The real check is TestTokenAuth: the registry finds the key by it.
}

func TestParseScope(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{in: "repository:library/app:pull,push", want: "repository|library/app|pull,push"},
		{in: "repository:localhost:5000/app:pull", want: "repository|localhost:5000/app|pull"},
		{in: "registry:catalog:*", want: "registry|catalog|*"},
		{in: "repository:app:", want: "repository|app|"},
		{in: "repository:app", err: true},
		{in: "nonsense", err: true},
	} {
		a, err := ParseScope(tc.in)
		got := a.Type + "|" + a.Name + "|" + strings.Join(a.Actions, ",")
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseScope(%q) = %s, %v, want %s (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestProxy(t *testing.T) {
	reg := Start(t)
	p := Push(t, reg, "app", "v1", Image{Layers: [][]byte{RandomLayer(t, 50000)}})
	blob := "/v2/app/blobs/" + p.Layers[0].Digest.String()
	size := int(p.Layers[0].Size)

	t.Run("truncate", func(t *testing.T) {
		px := NewProxy(t, reg, When(BlobGet, Truncate(100)))
		resp, err := http.Get(px.URL + blob)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.ContentLength != int64(size) || len(b) != 100 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("GET blob = %d, Content-Length %d, %d bytes, %v; want 200, %d, 100 bytes, unexpected EOF",
				resp.StatusCode, resp.ContentLength, len(b), err, size)
		}
		if !bytes.Equal(b, p.LayerBytes[0][:len(b)]) {
			t.Error("truncated body is not a prefix of the blob")
		}
		// Manifests pass unharmed.
		if code, _, body := get(t, px.URL+"/v2/app/manifests/v1", "", ocispec.MediaTypeImageManifest); code != http.StatusOK || digest.FromBytes(body) != p.Descriptor.Digest {
			t.Errorf("GET manifest through the proxy = %d, want 200 and the manifest", code)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		px := NewProxy(t, reg, When(BlobGet, Corrupt(int64(size-1))))
		code, _, b := get(t, px.URL+blob, "")
		if code != http.StatusOK || len(b) != size || digest.FromBytes(b) == p.Layers[0].Digest {
			t.Errorf("GET blob = %d, %d bytes, digest %s; want 200, %d bytes, another digest", code, len(b), digest.FromBytes(b), size)
		}
		if !bytes.Equal(b[:size-1], p.LayerBytes[0][:size-1]) || b[size-1] != ^p.LayerBytes[0][size-1] {
			t.Error("corrupted body differs elsewhere than in its last byte")
		}
	})
	t.Run("429", func(t *testing.T) {
		px := NewProxy(t, reg, When(ManifestGet, Times(2, TooManyRequests("1"))))
		for i, want := range []int{429, 429, 200} {
			code, h, body := get(t, px.URL+"/v2/app/manifests/v1", "", ocispec.MediaTypeImageManifest)
			if code != want || (want == 429 && (h.Get("Retry-After") != "1" || !bytes.Contains(body, []byte("TOOMANYREQUESTS")))) {
				t.Errorf("GET manifest #%d = %d, Retry-After %q, %s; want %d", i, code, h.Get("Retry-After"), body, want)
			}
		}
		var got []int
		for _, r := range px.Requests() {
			got = append(got, r.Status)
		}
		if len(got) != 3 || got[0] != 429 || got[2] != 200 {
			t.Errorf("Requests statuses = %v, want [429 429 200]", got)
		}
	})
	t.Run("5xx", func(t *testing.T) {
		px := NewProxy(t, reg, Times(1, Fail(http.StatusServiceUnavailable, nil)))
		if code, _, _ := get(t, px.URL+"/v2/", ""); code != http.StatusServiceUnavailable {
			t.Errorf("first GET /v2/ = %d, want 503", code)
		}
		if code, _, _ := get(t, px.URL+"/v2/", ""); code != http.StatusOK {
			t.Errorf("second GET /v2/ = %d, want 200", code)
		}
	})
	t.Run("redirect", func(t *testing.T) {
		px := NewProxy(t, reg, When(BlobGet, RedirectTo(reg.URL)))
		code, _, b := get(t, px.URL+blob, "")
		if code != http.StatusOK || !bytes.Equal(b, p.LayerBytes[0]) {
			t.Errorf("GET blob after redirect = %d, %d bytes; want 200, the blob", code, len(b))
		}
		if r := px.Requests(); len(r) != 1 || r[0].Status != http.StatusTemporaryRedirect {
			t.Errorf("Requests = %+v, want one 307", r)
		}
	})
	t.Run("delay", func(t *testing.T) {
		px := NewProxy(t, reg, Delay(time.Second))
		client := &http.Client{Timeout: 100 * time.Millisecond}
		if resp, err := client.Get(px.URL + "/v2/"); err == nil {
			resp.Body.Close()
			t.Errorf("GET /v2/ with a 100 ms timeout through a 1 s delay = %d, want a timeout", resp.StatusCode)
		}
	})
	t.Run("upload location", func(t *testing.T) {
		px := NewProxy(t, reg, nil)
		code, h, _ := send(t, http.MethodPost, px.URL+"/v2/app/blobs/uploads/", "")
		loc, err := url.Parse(h.Get("Location"))
		if code != http.StatusAccepted || err != nil || (loc.IsAbs() && loc.Host != px.Host) {
			t.Errorf("POST upload through the proxy = %d, Location %q; want 202, a location on %s", code, h.Get("Location"), px.Host)
		}
	})
}

func TestTwoRegistriesAndCleanup(t *testing.T) {
	http.DefaultClient.CloseIdleConnections()
	before := runtime.NumGoroutine()
	var pids []int
	t.Run("two", func(t *testing.T) {
		a, b := Start(t), Start(t)
		if a.Host == b.Host || a.StorageDir == b.StorageDir {
			t.Fatalf("two registries share %s or %s", a.Host, a.StorageDir)
		}
		pids = append(pids, a.Pid(), b.Pid())
		PushImage(t, a, "only/in/a", "v1", RandomLayer(t, 10))
		if code, _, _ := get(t, a.URL+"/v2/only/in/a/tags/list", ""); code != http.StatusOK {
			t.Errorf("tags in a = %d, want 200", code)
		}
		if code, _, _ := get(t, b.URL+"/v2/only/in/a/tags/list", ""); code != http.StatusNotFound {
			t.Errorf("tags in b = %d, want 404", code)
		}
		b.Stop()
		b.Stop() // twice is fine; the cleanup makes it three times
		if code, _, _ := get(t, a.URL+"/v2/", ""); code != http.StatusOK {
			t.Errorf("a after b stopped: GET /v2/ = %d, want 200", code)
		}
	})
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			t.Errorf("after cleanup, kill(%d, 0) = %v (cmdline %q), want ESRCH", pid, err, cmdline)
		}
	}
	// Every goroutine started for the registries has ended.
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines after cleanup = %d, want at most %d:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
