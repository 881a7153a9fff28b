package distribution

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func blobData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// truncate answers a blob GET with the full Content-Length but only the
// first n bytes, then breaks the connection.
func truncate(w http.ResponseWriter, data []byte, n int) {
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data[:n])
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

func isBlobGet(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:")
}

func TestBlob(t *testing.T) {
	data := blobData(100 << 10)
	tests := []struct {
		name    string
		desc    func(d ocispec.Descriptor) ocispec.Descriptor
		hook    func(w http.ResponseWriter, r *http.Request, n int) bool
		noRange bool
		wantErr error
		errText string
		log     []string // requests wanted, "GET" and "GET Range:..." for blob GETs
		sleeps  int
	}{
		{name: "ok", log: []string{"GET"}},
		{name: "digest mismatch", desc: func(d ocispec.Descriptor) ocispec.Descriptor {
			d.Digest = digest.FromString("other")
			return d
		}, hook: func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if isBlobGet(r) {
				_, _ = w.Write(data)
				return true
			}
			return false
		}, wantErr: ErrInvalid, errText: "want " + string(digest.FromString("other"))},
		{name: "Content-Length shorter than descriptor", desc: func(d ocispec.Descriptor) ocispec.Descriptor {
			d.Size++
			return d
		}, wantErr: ErrInvalid, errText: "Content-Length"},
		{name: "Content-Length longer than descriptor", desc: func(d ocispec.Descriptor) ocispec.Descriptor {
			d.Size--
			return d
		}, wantErr: ErrInvalid, errText: "Content-Length"},
		{name: "streamed body shorter", hook: func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if isBlobGet(r) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush() // no Content-Length: chunked
				_, _ = w.Write(data[:len(data)-1])
				return true
			}
			return false
		}, wantErr: ErrInvalid, errText: "want " + strconv.Itoa(len(data))},
		{name: "streamed body longer", hook: func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if isBlobGet(r) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				_, _ = w.Write(append(bytes.Clone(data), 'x'))
				return true
			}
			return false
		}, wantErr: ErrInvalid, errText: "more than its"},
		{name: "truncated, resumed with Range", hook: func(w http.ResponseWriter, r *http.Request, n int) bool {
			if isBlobGet(r) && r.Header.Get("Range") == "" {
				truncate(w, data, 40000)
			}
			return false
		}, log: []string{"GET", "GET Range:bytes=40000-"}, sleeps: 1},
		{name: "truncated twice", hook: func(w http.ResponseWriter, r *http.Request, n int) bool {
			if isBlobGet(r) && r.Header.Get("Range") == "" {
				truncate(w, data, 1000)
			}
			if isBlobGet(r) && r.Header.Get("Range") == "bytes=1000-" {
				w.Header().Set("Content-Range", fmt.Sprintf("bytes 1000-%d/%d", len(data)-1, len(data)))
				w.Header().Set("Content-Length", strconv.Itoa(len(data)-1000))
				w.WriteHeader(http.StatusPartialContent)
				_, _ = w.Write(data[1000:50000])
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler)
			}
			return false
		}, log: []string{"GET", "GET Range:bytes=1000-", "GET Range:bytes=50000-"}, sleeps: 2},
		{name: "truncated, server without Range restarts", noRange: true, hook: func(w http.ResponseWriter, r *http.Request, n int) bool {
			if isBlobGet(r) && n == 1 {
				truncate(w, data, 40000)
			}
			return false
		}, log: []string{"GET", "GET Range:bytes=40000-"}, sleeps: 1},
		{name: "truncated every time", hook: func(w http.ResponseWriter, r *http.Request, n int) bool {
			if isBlobGet(r) && r.Header.Get("Range") == "" {
				truncate(w, data, 10)
			}
			if isBlobGet(r) {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		}, errText: "resume blob", log: []string{"GET", "GET Range:bytes=10-", "GET Range:bytes=10-"}, sleeps: 2},
		{name: "206 from the wrong offset", hook: func(w http.ResponseWriter, r *http.Request, n int) bool {
			if isBlobGet(r) && r.Header.Get("Range") == "" {
				truncate(w, data, 10)
			}
			if isBlobGet(r) {
				w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(data)-1, len(data)))
				w.WriteHeader(http.StatusPartialContent)
				_, _ = w.Write(data)
				return true
			}
			return false
		}, wantErr: ErrInvalid, errText: "Content-Range", log: []string{"GET", "GET Range:bytes=10-"}, sleeps: 1},
		{name: "5xx then success", hook: func(w http.ResponseWriter, r *http.Request, n int) bool {
			if isBlobGet(r) && n == 1 {
				writeErr(w, http.StatusBadGateway, "X")
				return true
			}
			return false
		}, log: []string{"GET", "GET"}, sleeps: 1},
		{name: "404", hook: func(w http.ResponseWriter, r *http.Request, n int) bool {
			writeErr(w, http.StatusNotFound, "BLOB_UNKNOWN")
			return true
		}, wantErr: ErrNotFound, log: []string{"GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRegistry(t)
			f.rangeOK = !tt.noRange
			desc := f.putBlob("a/b", data)
			if tt.desc != nil {
				desc = tt.desc(desc)
			}
			f.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if r.URL.Path == "/v2/" {
					return false
				}
				return tt.hook != nil && tt.hook(w, r, len(f.requests()))
			}
			var sleeps []time.Duration
			c := testClient(t, Options{MaxAttempts: 3}, &sleeps, nil)
			rc, err := c.Blob(context.Background(), f.ref(t, "a/b"), desc)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(rc)
				_, rerr := rc.Read(make([]byte, 1))
				assert.Error(t, rerr, "Read after the end")
				require.NoError(t, rc.Close())
			}
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), tt.errText)
			case tt.errText != "":
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errText)
			default:
				require.NoError(t, err)
				assert.True(t, bytes.Equal(data, got), "bytes read differ (%d of %d)", len(got), len(data))
			}
			if tt.log != nil {
				var log []string
				for _, l := range f.requests() {
					log = append(log, strings.Replace(l, " /v2/a/b/blobs/"+string(desc.Digest), "", 1))
				}
				assert.Equal(t, tt.log, log)
			}
			assert.Len(t, sleeps, tt.sleeps)
		})
	}
}

func TestBlobSize(t *testing.T) {
	f := newFakeRegistry(t)
	desc := f.putBlob("a/b", blobData(1234))
	c := testClient(t, Options{}, nil, nil)
	n, err := c.BlobSize(context.Background(), f.ref(t, "a/b"), desc.Digest)
	require.NoError(t, err)
	assert.Equal(t, int64(1234), n)
	_, err = c.BlobSize(context.Background(), f.ref(t, "a/b"), digest.FromString("nope"))
	require.ErrorIs(t, err, ErrNotFound)
}

// A 429 with Retry-After is waited for, then the request is sent again;
// one asking for more than MaxRetryAfter is returned at once.
func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		retryAfter string
		want       []string
		wantErr    bool
	}{
		{retryAfter: "2", want: []string{"GET 429", "sleep 2s", "GET 200"}},
		{retryAfter: "3600", want: []string{"GET 429"}, wantErr: true},
	} {
		t.Run(tt.retryAfter, func(t *testing.T) {
			f := newFakeRegistry(t)
			data := blobData(10)
			desc := f.putBlob("a/b", data)
			var mu sync.Mutex
			var events []string
			event := func(s string) {
				mu.Lock()
				events = append(events, s)
				mu.Unlock()
			}
			f.hook = func(w http.ResponseWriter, r *http.Request, _ int) bool {
				if !isBlobGet(r) {
					return false
				}
				if len(f.requests()) == 1 {
					w.Header().Set("Retry-After", tt.retryAfter)
					writeErr(w, http.StatusTooManyRequests, "TOOMANYREQUESTS")
					event("GET 429")
					return true
				}
				event("GET 200")
				return false
			}
			c := testClient(t, Options{}, nil, event)
			rc, err := c.Blob(context.Background(), f.ref(t, "a/b"), desc)
			if tt.wantErr {
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, http.StatusTooManyRequests, e.StatusCode)
				assert.Equal(t, time.Hour, e.RetryAfter)
			} else {
				require.NoError(t, err)
				got, err := io.ReadAll(rc)
				require.NoError(t, err)
				assert.Equal(t, data, got)
				require.NoError(t, rc.Close())
			}
			assert.Equal(t, tt.want, events)
		})
	}
}

// A slow body is abandoned as soon as ctx is cancelled, and nothing is
// left running.
func TestBlobCancel(t *testing.T) {
	before := runtime.NumGoroutine()
	f := newFakeRegistry(t)
	data := blobData(1 << 20)
	desc := f.putBlob("a/b", data)
	release := make(chan struct{})
	f.hook = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if !isBlobGet(r) {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data[:1000])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}
	c := testClient(t, Options{}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	rc, err := c.Blob(ctx, f.ref(t, "a/b"), desc)
	require.NoError(t, err)
	_, err = io.ReadFull(rc, make([]byte, 1000))
	require.NoError(t, err)
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 5*time.Second)
	require.NoError(t, rc.Close())
	close(release)
	f.srv.Close()
	c.opts.Transport.(*http.Transport).CloseIdleConnections()
	checkNoLeak(t, before)
}

// The Authorization header given to the registry is not sent to the blob
// storage it redirects to.
func TestBlobRedirectDropsAuthorization(t *testing.T) {
	data := blobData(5000)
	var mu sync.Mutex
	var storageHeaders []http.Header
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		storageHeaders = append(storageHeaders, r.Header.Clone())
		mu.Unlock()
		_, _ = w.Write(data)
	}))
	t.Cleanup(storage.Close)
	f := newFakeRegistry(t)
	ts := newTokenServer(t, "reg")
	bearerAuth(f, ts, "reg", nil)
	desc := f.putBlob("a/b", data)
	f.hook = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if isBlobGet(r) && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			http.Redirect(w, r, storage.URL+"/blob?X-Amz-Signature=secret", http.StatusTemporaryRedirect)
			return true
		}
		return false
	}
	c := testClient(t, Options{Credentials: func(context.Context, string) (Credential, error) {
		return Credential{Username: "u", Password: "p"}, nil
	}}, nil, nil)
	rc, err := c.Blob(context.Background(), f.ref(t, "a/b"), desc)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, data, got)
	require.Len(t, storageHeaders, 1)
	assert.Empty(t, storageHeaders[0].Get("Authorization"), "Authorization sent to the storage host")
	assert.NotEmpty(t, storageHeaders[0].Get("User-Agent"))
}

// desc.URLs are ignored unless ForeignURLs is set, and then fetched
// without credentials.
func TestBlobForeignURLs(t *testing.T) {
	data := blobData(3000)
	var mu sync.Mutex
	var foreign []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		foreign = append(foreign, r.Header.Clone())
		mu.Unlock()
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprint("ForeignURLs=", allow), func(t *testing.T) {
			foreign = nil
			f := newFakeRegistry(t)
			f.auth = func(w http.ResponseWriter, r *http.Request) bool {
				if r.Header.Get("Authorization") == "" {
					w.Header().Set("WWW-Authenticate", `Basic realm="reg"`)
					writeErr(w, http.StatusUnauthorized, "UNAUTHORIZED")
					return false
				}
				return true
			}
			desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck // foreign layers
				Digest: digest.FromBytes(data), Size: int64(len(data)), URLs: []string{srv.URL + "/layer"}}
			c := testClient(t, Options{ForeignURLs: allow, Credentials: func(context.Context, string) (Credential, error) {
				return Credential{Username: "u", Password: "p"}, nil
			}}, nil, nil)
			rc, err := c.Blob(context.Background(), f.ref(t, "a/b"), desc)
			if !allow {
				require.ErrorIs(t, err, ErrNotFound)
				assert.Empty(t, foreign)
				return
			}
			require.NoError(t, err)
			got, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			assert.Equal(t, data, got)
			require.Len(t, foreign, 1)
			assert.Empty(t, foreign[0].Get("Authorization"))
		})
	}
	t.Run("foreign URL scheme refused", func(t *testing.T) {
		f := newFakeRegistry(t)
		c := testClient(t, Options{ForeignURLs: true}, nil, nil)
		_, err := c.Blob(context.Background(), f.ref(t, "a/b"), ocispec.Descriptor{
			Digest: digest.FromBytes(data), Size: 3000, URLs: []string{"file:///etc/passwd", "http://example.com/x"}})
		require.ErrorIs(t, err, ErrNotFound)
		assert.Contains(t, err.Error(), "refused")
	})
}
