package registrytest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A Hook sees a request to a Proxy and answers it, usually by calling next
// (which forwards to the registry) with a wrapped w or a changed r, or by
// answering itself. It runs on the server's goroutines, so it must be safe
// for concurrent use.
type Hook func(w http.ResponseWriter, r *http.Request, next http.Handler)

// A Proxy is a reverse proxy on 127.0.0.1 in front of a Registry. The
// registry sees the proxy's Host, so the upload locations it hands out lead
// back through the proxy. Bearer challenges still name the token server
// directly. Its methods are safe for concurrent use.
type Proxy struct {
	// Host is "127.0.0.1:port"; URL is "http://" + Host.
	Host, URL string

	mu       sync.Mutex
	requests []ProxiedRequest
}

// A ProxiedRequest is a request the proxy answered.
type ProxiedRequest struct {
	Method string
	Path   string // with the query, if any
	Status int    // as the client saw it
}

// NewProxy starts a Proxy in front of target; hook (nil: none) sees every
// request. t.Cleanup closes it.
func NewProxy(t testing.TB, target *Registry, hook Hook) *Proxy {
	t.Helper()
	u, err := url.Parse(target.URL)
	if err != nil {
		t.Fatalf("NewProxy: %v", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // locations in answers point to the proxy
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if !errors.Is(err, context.Canceled) {
				t.Logf("registrytest proxy: %s %s: %v", r.Method, r.URL, err)
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	if hook == nil {
		hook = func(w http.ResponseWriter, r *http.Request, next http.Handler) { next.ServeHTTP(w, r) }
	}
	p := &Proxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			p.mu.Lock()
			p.requests = append(p.requests, ProxiedRequest{Method: r.Method, Path: r.URL.RequestURI(), Status: sw.status})
			p.mu.Unlock()
		}()
		hook(sw, r, rp)
	}))
	t.Cleanup(func() {
		srv.Close()
		transport.CloseIdleConnections()
	})
	p.URL = srv.URL
	p.Host = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// Requests returns the requests the proxy answered so far, in the order
// they ended.
func (p *Proxy) Requests() []ProxiedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush()                      { http.NewResponseController(w.ResponseWriter).Flush() }
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// blobPath and manifestPath match the paths of blob and manifest
// requests (not uploads).
var (
	blobPath     = regexp.MustCompile(`^/v2/.+/blobs/[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)
	manifestPath = regexp.MustCompile(`^/v2/.+/manifests/[^/]+$`)
)

// BlobGet matches GET requests for a blob.
func BlobGet(r *http.Request) bool {
	return r.Method == http.MethodGet && blobPath.MatchString(r.URL.Path)
}

// ManifestGet matches GET requests for a manifest.
func ManifestGet(r *http.Request) bool {
	return r.Method == http.MethodGet && manifestPath.MatchString(r.URL.Path)
}

// When applies h to the requests that match selects and passes the others
// on unchanged.
func When(match func(*http.Request) bool, h Hook) Hook {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if match(r) {
			h(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	}
}

// Times applies h to the first n requests it sees and passes later ones on.
func Times(n int, h Hook) Hook {
	var seen atomic.Int64
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if seen.Add(1) <= int64(n) {
			h(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	}
}

// Fail answers status with header and an OCI error body (code
// UNAVAILABLE, or TOOMANYREQUESTS for 429), without asking the registry.
// Combine with Times to fail only the first requests.
func Fail(status int, header http.Header) Hook {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		for k, vs := range header {
			w.Header()[k] = vs
		}
		code := "UNAVAILABLE"
		if status == http.StatusTooManyRequests {
			code = "TOOMANYREQUESTS"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"registrytest: injected %d"}]}`+"\n", code, status)
	}
}

// TooManyRequests answers 429 with Retry-After: retryAfter (seconds or an
// HTTP date; "" for none).
func TooManyRequests(retryAfter string) Hook {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return Fail(http.StatusTooManyRequests, h)
}

// Delay waits d, or until the client gives up, before passing the request
// on.
func Delay(d time.Duration) Hook {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		select {
		case <-time.After(d):
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}
}

// RedirectTo answers 307 Temporary Redirect to base (e.g. the registry's
// own URL, or another server's) with the request's path and query.
func RedirectTo(base string) Hook {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		http.Redirect(w, r, strings.TrimSuffix(base, "/")+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}
}

// Truncate passes the request on and cuts the response body after n bytes:
// the status and headers (Content-Length included) go out as the registry
// sent them, then the connection is dropped, so the client sees a short
// body (io.ErrUnexpectedEOF).
func Truncate(n int64) Hook {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		next.ServeHTTP(&bodyWriter{ResponseWriter: w, edit: func(off int64, b []byte) ([]byte, bool) {
			if off+int64(len(b)) <= n {
				return b, false
			}
			return b[:max(n-off, 0)], true
		}}, r)
	}
}

// Corrupt passes the request on and flips every bit of the body's byte at
// offset off, so that its digest no longer matches; the length stays.
func Corrupt(off int64) Hook {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		next.ServeHTTP(&bodyWriter{ResponseWriter: w, edit: func(start int64, b []byte) ([]byte, bool) {
			if off >= start && off < start+int64(len(b)) {
				b = slices.Clone(b)
				b[off-start] ^= 0xff
			}
			return b, false
		}}, r)
	}
}

// bodyWriter lets edit change each chunk of the body (offset start);
// when edit says stop, the chunk it returned is sent and the connection
// is dropped.
type bodyWriter struct {
	http.ResponseWriter
	edit func(start int64, b []byte) ([]byte, bool)
	off  int64
}

func (w *bodyWriter) Write(b []byte) (int, error) {
	out, stop := w.edit(w.off, b)
	w.off += int64(len(b))
	if _, err := w.ResponseWriter.Write(out); err != nil {
		return 0, err
	}
	if stop {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
		panic(http.ErrAbortHandler) // the server drops the connection silently
	}
	return len(b), nil
}

func (w *bodyWriter) Flush()                      { http.NewResponseController(w.ResponseWriter).Flush() }
func (w *bodyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
