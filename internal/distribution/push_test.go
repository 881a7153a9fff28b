package distribution

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// opener counts the opens of data.
func opener(data []byte, opens *atomic.Int32) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		opens.Add(1)
		return io.NopCloser(bytes.NewReader(data)), nil
	}
}

// shortLog turns f's requests into "METHOD what" with upload ids, digests
// and queries simplified.
func shortLog(f *fakeRegistry) []string {
	idRE := regexp.MustCompile(`/uploads/u\d+`)
	var out []string
	for _, l := range f.requests() {
		l, _, _ = strings.Cut(l, "?")
		l = strings.Replace(l, "/v2/", "", 1)
		l = idRE.ReplaceAllString(l, "/uploads/ID")
		if i := strings.Index(l, "sha256:"); i >= 0 {
			l = l[:i] + "D"
		}
		out = append(out, l)
	}
	return out
}

func TestPushBlob(t *testing.T) {
	data := blobData(25)
	tests := []struct {
		name      string
		chunk     int64
		absLoc    bool
		existing  string // repository that has the blob already
		mountFrom string
		noMount   bool
		wantLog   []string
		wantOpens int32
	}{
		{name: "exists", existing: "a/b", wantLog: []string{"HEAD a/b/blobs/D"}},
		{name: "monolithic", wantLog: []string{"HEAD a/b/blobs/D", "POST a/b/blobs/uploads/", "PUT a/b/blobs/uploads/ID"}, wantOpens: 1},
		{name: "monolithic, absolute Location", absLoc: true, wantLog: []string{"HEAD a/b/blobs/D", "POST a/b/blobs/uploads/", "PUT a/b/blobs/uploads/ID"}, wantOpens: 1},
		{name: "chunked", chunk: 10, wantLog: []string{"HEAD a/b/blobs/D", "POST a/b/blobs/uploads/",
			"PATCH a/b/blobs/uploads/ID", "PATCH a/b/blobs/uploads/ID", "PATCH a/b/blobs/uploads/ID", "PUT a/b/blobs/uploads/ID"}, wantOpens: 1},
		{name: "chunked, absolute Location", chunk: 10, absLoc: true, wantLog: []string{"HEAD a/b/blobs/D", "POST a/b/blobs/uploads/",
			"PATCH a/b/blobs/uploads/ID", "PATCH a/b/blobs/uploads/ID", "PATCH a/b/blobs/uploads/ID", "PUT a/b/blobs/uploads/ID"}, wantOpens: 1},
		{name: "mount 201", existing: "c/d", mountFrom: "c/d", wantLog: []string{"HEAD a/b/blobs/D", "POST a/b/blobs/uploads/"}},
		{name: "mount 202 falls back to upload", existing: "c/d", mountFrom: "c/d", noMount: true,
			wantLog: []string{"HEAD a/b/blobs/D", "POST a/b/blobs/uploads/", "PUT a/b/blobs/uploads/ID"}, wantOpens: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRegistry(t)
			f.absLoc, f.noMountOK = tt.absLoc, tt.noMount
			desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
			if tt.existing != "" {
				f.putBlob(tt.existing, data)
			}
			var opens atomic.Int32
			c := testClient(t, Options{ChunkSize: tt.chunk}, nil, nil)
			require.NoError(t, c.PushBlob(context.Background(), f.ref(t, "a/b"), desc, opener(data, &opens), tt.mountFrom))
			got, ok := f.blob("a/b", desc.Digest)
			require.True(t, ok)
			assert.Equal(t, data, got)
			assert.Equal(t, tt.wantLog, shortLog(f))
			assert.Equal(t, tt.wantOpens, opens.Load())
			if tt.mountFrom != "" {
				post := f.requests()[1]
				assert.Contains(t, post, "mount="+url.QueryEscape(string(desc.Digest)))
				assert.Contains(t, post, "from="+url.QueryEscape(tt.mountFrom))
			}
			exists, err := c.BlobExists(context.Background(), f.ref(t, "a/b"), desc.Digest)
			require.NoError(t, err)
			assert.True(t, exists)
		})
	}
}

// The push token asks for pull,push on the target and pull on the
// repository mounted from.
func TestPushScopes(t *testing.T) {
	f := newFakeRegistry(t)
	ts := newTokenServer(t, "reg")
	bearerAuth(f, ts, "reg", nil)
	data := blobData(10)
	f.putBlob("c/d", data)
	var opens atomic.Int32
	c := testClient(t, Options{}, nil, nil)
	err := c.PushBlob(context.Background(), f.ref(t, "a/b"), ocispec.Descriptor{Digest: digest.FromBytes(data), Size: 10}, opener(data, &opens), "c/d")
	require.NoError(t, err)
	require.Equal(t, 1, ts.count())
	assert.Equal(t, []string{"repository:a/b:pull,push", "repository:c/d:pull"}, ts.requests[0].Form["scope"])
}

func TestPushBlobBadContent(t *testing.T) {
	data := blobData(25)
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: 25}
	for _, tt := range []struct {
		name    string
		content []byte
		chunk   int64
		errText string
	}{
		{name: "other bytes", content: blobData(26)[1:], errText: "digest"},
		{name: "short", content: data[:20], errText: "20 bytes, want 25"},
		{name: "long", content: append(bytes.Clone(data), 'x'), errText: "longer"},
		{name: "other bytes, chunked", content: blobData(26)[1:], chunk: 10, errText: "digest"},
		{name: "short, chunked", content: data[:20], chunk: 10, errText: "20 bytes, want 25"},
		{name: "long, chunked", content: append(bytes.Clone(data), 'x'), chunk: 10, errText: "longer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRegistry(t)
			var opens atomic.Int32
			c := testClient(t, Options{ChunkSize: tt.chunk}, nil, nil)
			err := c.PushBlob(context.Background(), f.ref(t, "a/b"), desc, opener(tt.content, &opens), "")
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tt.errText)
			assert.Equal(t, int32(1), opens.Load(), "not retried")
			_, ok := f.blob("a/b", desc.Digest)
			assert.False(t, ok)
		})
	}
	t.Run("open fails", func(t *testing.T) {
		f := newFakeRegistry(t)
		c := testClient(t, Options{}, nil, nil)
		boom := errors.New("boom")
		err := c.PushBlob(context.Background(), f.ref(t, "a/b"), desc, func() (io.ReadCloser, error) { return nil, boom }, "")
		require.ErrorIs(t, err, boom)
	})
	t.Run("bad mountFrom", func(t *testing.T) {
		f := newFakeRegistry(t)
		c := testClient(t, Options{}, nil, nil)
		err := c.PushBlob(context.Background(), f.ref(t, "a/b"), desc, opener(data, new(atomic.Int32)), "../x")
		require.ErrorIs(t, err, ErrInvalid)
	})
}

// A 5xx during an upload starts the upload again.
func TestPushBlobRetry(t *testing.T) {
	f := newFakeRegistry(t)
	data := blobData(25)
	var failed atomic.Bool
	f.hook = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if r.Method == http.MethodPatch && !failed.Swap(true) {
			writeErr(w, http.StatusServiceUnavailable, "X")
			return true
		}
		return false
	}
	var opens atomic.Int32
	c := testClient(t, Options{ChunkSize: 10}, nil, nil)
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: 25}
	require.NoError(t, c.PushBlob(context.Background(), f.ref(t, "a/b"), desc, opener(data, &opens), ""))
	assert.Equal(t, int32(2), opens.Load())
	got, _ := f.blob("a/b", desc.Digest)
	assert.Equal(t, data, got)
}

func TestPushManifest(t *testing.T) {
	body := ociManifest(t, true)
	d := digest.FromBytes(body)
	t.Run("by tag", func(t *testing.T) {
		f := newFakeRegistry(t)
		c := testClient(t, Options{}, nil, nil)
		got, err := c.PushManifest(context.Background(), f.ref(t, "a/b:v1"), ocispec.MediaTypeImageManifest, body)
		require.NoError(t, err)
		assert.Equal(t, d, got)
		m, err := c.Manifest(context.Background(), f.ref(t, "a/b:v1"))
		require.NoError(t, err)
		assert.Equal(t, body, m.Body)
		assert.Equal(t, []string{"PUT a/b/manifests/v1", "GET a/b/manifests/v1"}, shortLog(f))
	})
	t.Run("by digest", func(t *testing.T) {
		f := newFakeRegistry(t)
		c := testClient(t, Options{}, nil, nil)
		ref := f.ref(t, "a/b")
		ref.Tag, ref.Digest = "", d
		got, err := c.PushManifest(context.Background(), ref, ocispec.MediaTypeImageManifest, body)
		require.NoError(t, err)
		assert.Equal(t, d, got)
		assert.Equal(t, []string{"PUT a/b/manifests/D"}, shortLog(f))
	})
	for _, tt := range []struct {
		name      string
		mediaType string
		ref       func(r *refT)
		body      []byte
		serve     func(w http.ResponseWriter)
		wantErr   error
	}{
		{name: "media type disagrees", mediaType: ocispec.MediaTypeImageIndex, body: body, wantErr: ErrInvalid},
		{name: "schema1", mediaType: mediaTypeDockerSchema1, body: body, wantErr: ErrUnsupported},
		{name: "digest of the ref differs", mediaType: ocispec.MediaTypeImageManifest, body: body, ref: func(r *refT) { r.Digest = digest.FromString("x") }, wantErr: ErrInvalid},
		{name: "Docker-Content-Digest lies", mediaType: ocispec.MediaTypeImageManifest, body: body, wantErr: ErrInvalid, serve: func(w http.ResponseWriter) {
			w.Header().Set("Docker-Content-Digest", string(digest.FromString("x")))
			w.WriteHeader(http.StatusCreated)
		}},
		{name: "denied", mediaType: ocispec.MediaTypeImageManifest, body: body, wantErr: ErrDenied, serve: func(w http.ResponseWriter) {
			writeErr(w, http.StatusForbidden, "DENIED")
		}},
		{name: "too big", mediaType: ocispec.MediaTypeImageManifest, body: append(body, make([]byte, DefaultMaxManifestSize)...), wantErr: ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRegistry(t)
			if tt.serve != nil {
				f.hook = func(w http.ResponseWriter, r *http.Request, _ int) bool {
					if r.Method == http.MethodPut {
						tt.serve(w)
						return true
					}
					return false
				}
			}
			ref := f.ref(t, "a/b:v1")
			if tt.ref != nil {
				tt.ref(&ref)
			}
			c := testClient(t, Options{}, nil, nil)
			_, err := c.PushManifest(context.Background(), ref, tt.mediaType, tt.body)
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestTags(t *testing.T) {
	f := newFakeRegistry(t)
	for _, tag := range []string{"v3", "v1", "latest", "v2", "a"} {
		f.putManifest("a/b", tag, ocispec.MediaTypeImageManifest, ociManifest(t, true))
	}
	c := testClient(t, Options{}, nil, nil)
	tags, err := c.Tags(context.Background(), f.ref(t, "a/b"))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "latest", "v1", "v2", "v3"}, tags)
	assert.Len(t, f.requests(), 3, "pages")
}
