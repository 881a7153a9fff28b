package distribution

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/reference"
)

// fakeRegistry is a minimal in-memory registry: manifests, blobs (with
// Range when rangeOK), uploads (POST, PATCH, PUT, mount), tags, with hooks
// to inject faults and a log of the requests it saw.
type fakeRegistry struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	manifests map[string]fakeManifest // repo + "@" + tag or digest
	blobs     map[string][]byte       // repo + "@" + digest
	uploads   map[string][]byte
	nextID    int
	log       []string      // "METHOD path[?query]"
	headers   []http.Header // headers of each request, as log
	// hook runs first; when it returns true it has answered.
	hook func(w http.ResponseWriter, r *http.Request, n int) bool
	// auth runs next; when it returns false it has answered (a 401).
	auth      func(w http.ResponseWriter, r *http.Request) bool
	rangeOK   bool
	absLoc    bool // absolute Location headers
	noMountOK bool // answer mount requests with 202
}

type fakeManifest struct {
	mediaType string
	body      []byte
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	f := &fakeRegistry{t: t, manifests: map[string]fakeManifest{}, blobs: map[string][]byte{}, uploads: map[string][]byte{}, rangeOK: true}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistry) host() string { return f.srv.Listener.Addr().String() }

func (f *fakeRegistry) ref(t *testing.T, s string) reference.Ref {
	t.Helper()
	r, err := reference.Parse(f.host() + "/" + s)
	require.NoError(t, err)
	return r
}

// requests returns the log without the /v2/ probes.
func (f *fakeRegistry) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, l := range f.log {
		if l != "GET /v2/" {
			out = append(out, l)
		}
	}
	return out
}

func (f *fakeRegistry) putManifest(repo, tag, mediaType string, body []byte) digest.Digest {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := digest.FromBytes(body)
	m := fakeManifest{mediaType, body}
	f.manifests[repo+"@"+string(d)] = m
	if tag != "" {
		f.manifests[repo+"@"+tag] = m
	}
	return d
}

func (f *fakeRegistry) putBlob(repo string, data []byte) ocispec.Descriptor {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := digest.FromBytes(data)
	f.blobs[repo+"@"+string(d)] = data
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: d, Size: int64(len(data))}
}

func (f *fakeRegistry) blob(repo string, d digest.Digest) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blobs[repo+"@"+string(d)]
	return b, ok
}

func writeErr(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"%s from fake"}]}`, code, strings.ToLower(code))
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	line := r.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		line += "?" + r.URL.RawQuery
	}
	if rg := r.Header.Get("Range"); rg != "" {
		line += " Range:" + rg
	}
	f.log = append(f.log, line)
	f.headers = append(f.headers, r.Header.Clone())
	n := len(f.log)
	hook, auth := f.hook, f.auth
	f.mu.Unlock()
	if hook != nil && hook(w, r, n) {
		return
	}
	if auth != nil && !auth(w, r) {
		return
	}
	if r.URL.Path == "/v2/" {
		w.WriteHeader(http.StatusOK)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.Contains(rest, "/manifests/"):
		i := strings.LastIndex(rest, "/manifests/")
		f.serveManifest(w, r, rest[:i], rest[i+len("/manifests/"):])
	case strings.Contains(rest, "/blobs/uploads/"):
		i := strings.LastIndex(rest, "/blobs/uploads/")
		f.serveUpload(w, r, rest[:i], rest[i+len("/blobs/uploads/"):])
	case strings.Contains(rest, "/blobs/"):
		i := strings.LastIndex(rest, "/blobs/")
		f.serveBlob(w, r, rest[:i], rest[i+len("/blobs/"):])
	case strings.HasSuffix(rest, "/tags/list"):
		f.serveTags(w, r, strings.TrimSuffix(rest, "/tags/list"))
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeRegistry) serveManifest(w http.ResponseWriter, r *http.Request, repo, ref string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		f.mu.Lock()
		m, ok := f.manifests[repo+"@"+ref]
		f.mu.Unlock()
		if !ok {
			writeErr(w, http.StatusNotFound, "MANIFEST_UNKNOWN")
			return
		}
		w.Header().Set("Content-Type", m.mediaType)
		w.Header().Set("Docker-Content-Digest", string(digest.FromBytes(m.body)))
		w.Header().Set("Content-Length", strconv.Itoa(len(m.body)))
		_, _ = w.Write(m.body)
	case http.MethodPut:
		body, _ := io.ReadAll(r.Body)
		d := f.putManifest(repo, "", r.Header.Get("Content-Type"), body)
		if !strings.HasPrefix(ref, "sha256:") {
			f.putManifest(repo, ref, r.Header.Get("Content-Type"), body)
		}
		w.Header().Set("Docker-Content-Digest", string(d))
		w.Header().Set("Location", "/v2/"+repo+"/manifests/"+string(d))
		w.WriteHeader(http.StatusCreated)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *fakeRegistry) serveBlob(w http.ResponseWriter, r *http.Request, repo, d string) {
	data, ok := f.blob(repo, digest.Digest(d))
	if !ok {
		writeErr(w, http.StatusNotFound, "BLOB_UNKNOWN")
		return
	}
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Header().Set("Docker-Content-Digest", d)
		w.WriteHeader(http.StatusOK)
		return
	}
	start := 0
	if rg := r.Header.Get("Range"); rg != "" && f.rangeOK {
		s, _ := strings.CutPrefix(rg, "bytes=")
		s = strings.TrimSuffix(s, "-")
		start, _ = strconv.Atoi(s)
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(data)-1, len(data)))
		w.Header().Set("Content-Length", strconv.Itoa(len(data)-start))
		w.WriteHeader(http.StatusPartialContent)
		_, _ = w.Write(data[start:])
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

func (f *fakeRegistry) location(repo, id string) string {
	p := "/v2/" + repo + "/blobs/uploads/" + id + "?_state=" + base64.URLEncoding.EncodeToString([]byte("s="+id))
	if f.absLoc {
		return f.srv.URL + p
	}
	return p
}

func (f *fakeRegistry) serveUpload(w http.ResponseWriter, r *http.Request, repo, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && id == "":
		if m, from := r.URL.Query().Get("mount"), r.URL.Query().Get("from"); m != "" && !f.noMountOK {
			if data, ok := f.blobs[from+"@"+m]; ok {
				f.blobs[repo+"@"+m] = data
				w.Header().Set("Location", "/v2/"+repo+"/blobs/"+m)
				w.WriteHeader(http.StatusCreated)
				return
			}
		}
		f.nextID++
		id := "u" + strconv.Itoa(f.nextID)
		f.uploads[id] = nil
		w.Header().Set("Location", f.location(repo, id))
		w.Header().Set("Range", "0-0")
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPatch:
		buf, ok := f.uploads[id]
		if !ok {
			writeErr(w, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
			return
		}
		if cr := r.Header.Get("Content-Range"); cr != "" && !strings.HasPrefix(cr, strconv.Itoa(len(buf))+"-") {
			writeErr(w, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID")
			return
		}
		body, _ := io.ReadAll(r.Body)
		f.uploads[id] = append(buf, body...)
		w.Header().Set("Location", f.location(repo, id))
		w.Header().Set("Range", fmt.Sprintf("0-%d", len(f.uploads[id])-1))
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPut:
		buf, ok := f.uploads[id]
		if !ok {
			writeErr(w, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
			return
		}
		if r.URL.Query().Get("_state") == "" {
			writeErr(w, http.StatusBadRequest, "BLOB_UPLOAD_INVALID")
			return
		}
		body, _ := io.ReadAll(r.Body)
		buf = append(buf, body...)
		want := r.URL.Query().Get("digest")
		if string(digest.FromBytes(buf)) != want {
			writeErr(w, http.StatusBadRequest, "DIGEST_INVALID")
			return
		}
		delete(f.uploads, id)
		f.blobs[repo+"@"+want] = buf
		w.Header().Set("Docker-Content-Digest", want)
		w.Header().Set("Location", "/v2/"+repo+"/blobs/"+want)
		w.WriteHeader(http.StatusCreated)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *fakeRegistry) serveTags(w http.ResponseWriter, r *http.Request, repo string) {
	f.mu.Lock()
	var tags []string
	for k := range f.manifests {
		if t, ok := strings.CutPrefix(k, repo+"@"); ok && !strings.HasPrefix(t, "sha256:") {
			tags = append(tags, t)
		}
	}
	f.mu.Unlock()
	slices.Sort(tags)
	last := r.URL.Query().Get("last")
	var page []string
	for _, t := range tags {
		if t > last {
			page = append(page, t)
		}
	}
	if len(page) > 2 {
		page = page[:2]
		w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?n=2&last=%s>; rel="next"`, repo, page[1]))
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"name": repo, "tags": page})
}

// tokenServer is a fake token server that checks the service and records
// the scopes and credentials of the requests.
type tokenServer struct {
	srv       *httptest.Server
	mu        sync.Mutex
	requests  []*http.Request
	forms     []string
	expiresIn int
	n         int
}

func newTokenServer(t *testing.T, service string) *tokenServer {
	ts := &tokenServer{}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ts.mu.Lock()
		ts.requests = append(ts.requests, r)
		ts.forms = append(ts.forms, r.Form.Encode())
		ts.n++
		n, exp := ts.n, ts.expiresIn
		ts.mu.Unlock()
		if r.Form.Get("service") != service {
			http.Error(w, "bad service", http.StatusBadRequest)
			return
		}
		v := map[string]any{"token": "tok" + strconv.Itoa(n)}
		if r.Method == http.MethodPost {
			v = map[string]any{"access_token": "tok" + strconv.Itoa(n)}
		}
		if exp > 0 {
			v["expires_in"] = exp
		}
		_ = json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.n
}

// bearerAuth makes f ask for tokens from ts and accept the tokens in valid
// (all tokens of the form "tok<n>" when valid is nil).
func bearerAuth(f *fakeRegistry, ts *tokenServer, service string, valid func(tok string) bool) {
	f.auth = func(w http.ResponseWriter, r *http.Request) bool {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok && strings.HasPrefix(tok, "tok") && (valid == nil || valid(tok)) {
			return true
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service=%q`, ts.srv.URL+"/token", service))
		writeErr(w, http.StatusUnauthorized, "UNAUTHORIZED")
		return false
	}
}

// testClient returns a Client whose waits are recorded in *sleeps and not
// slept.
func testClient(t *testing.T, opts Options, sleeps *[]time.Duration, events func(string)) *Client {
	t.Helper()
	c, err := New(opts)
	require.NoError(t, err)
	var mu sync.Mutex
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		if sleeps != nil {
			*sleeps = append(*sleeps, d)
		}
		mu.Unlock()
		if events != nil {
			events("sleep " + d.String())
		}
		return ctx.Err()
	}
	t.Cleanup(func() {
		if tr, ok := opts.Transport.(*http.Transport); ok {
			tr.CloseIdleConnections()
		}
		c.opts.Transport.(*http.Transport).CloseIdleConnections()
	})
	return c
}

func ociManifest(t *testing.T, mediaType bool) []byte {
	t.Helper()
	m := map[string]any{
		"schemaVersion": 2,
		"config":        map[string]any{"mediaType": ocispec.MediaTypeImageConfig, "digest": digest.FromString("c"), "size": 1},
		"layers":        []any{},
	}
	if mediaType {
		m["mediaType"] = ocispec.MediaTypeImageManifest
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func dockerManifest(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     MediaTypeDockerManifest,
		"config":        map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "digest": digest.FromString("c"), "size": 1},
		"layers":        []any{},
	})
	require.NoError(t, err)
	return b
}

func index(t *testing.T, mediaType string, entries ...ocispec.Descriptor) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mediaType, "manifests": entries})
	require.NoError(t, err)
	return b
}

// checkNoLeak waits for the goroutines to come back to at most before.
func checkNoLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutines: %d, want at most %d\n%s", runtime.NumGoroutine(), before, buf[:n])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
