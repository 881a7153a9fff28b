package distribution

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/reference"
)

func TestManifest(t *testing.T) {
	schema1 := []byte(`{"schemaVersion":1,"name":"a","tag":"1","fsLayers":[],"history":[]}`)
	idx := func(t *testing.T, mt string) []byte {
		return index(t, mt, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("x"), Size: 10,
			Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}})
	}
	tests := []struct {
		name        string
		contentType string
		body        func(t *testing.T) []byte
		byDigest    bool
		// serve, when set, replaces the fake's answer.
		serve   func(w http.ResponseWriter, body []byte)
		wantMT  string
		wantErr error
		errText string
	}{
		{name: "oci manifest", contentType: ocispec.MediaTypeImageManifest, body: func(t *testing.T) []byte { return ociManifest(t, true) }, wantMT: ocispec.MediaTypeImageManifest},
		{name: "oci manifest without mediaType", contentType: ocispec.MediaTypeImageManifest, body: func(t *testing.T) []byte { return ociManifest(t, false) }, wantMT: ocispec.MediaTypeImageManifest},
		{name: "oci manifest, generic content type", contentType: "application/json", body: func(t *testing.T) []byte { return ociManifest(t, false) }, wantMT: ocispec.MediaTypeImageManifest},
		{name: "docker manifest", contentType: MediaTypeDockerManifest, body: dockerManifest, wantMT: MediaTypeDockerManifest},
		{name: "oci index", contentType: ocispec.MediaTypeImageIndex, body: func(t *testing.T) []byte { return idx(t, ocispec.MediaTypeImageIndex) }, wantMT: ocispec.MediaTypeImageIndex},
		{name: "docker list", contentType: MediaTypeDockerManifestList + "; charset=utf-8", body: func(t *testing.T) []byte { return idx(t, MediaTypeDockerManifestList) }, wantMT: MediaTypeDockerManifestList},
		{name: "by digest", contentType: ocispec.MediaTypeImageManifest, body: func(t *testing.T) []byte { return ociManifest(t, true) }, byDigest: true, wantMT: ocispec.MediaTypeImageManifest},
		{name: "schema1 content type", contentType: mediaTypeDockerSchema1Signed, body: func(*testing.T) []byte { return schema1 }, wantErr: ErrUnsupported, errText: "schema1"},
		{name: "schema1 body", contentType: "application/json", body: func(*testing.T) []byte { return schema1 }, wantErr: ErrUnsupported, errText: "schema1"},
		{name: "content type says manifest, body says index", contentType: ocispec.MediaTypeImageManifest, body: func(t *testing.T) []byte { return idx(t, ocispec.MediaTypeImageIndex) }, wantErr: ErrInvalid, errText: "Content-Type"},
		{name: "index with layers", contentType: ocispec.MediaTypeImageIndex,
			body:    func(*testing.T) []byte { return []byte(`{"schemaVersion":2,"manifests":[],"layers":[]}`) },
			wantErr: ErrInvalid, errText: "config or layers"},
		{name: "manifest with manifests", contentType: ocispec.MediaTypeImageManifest,
			body:    func(*testing.T) []byte { return []byte(`{"schemaVersion":2,"config":{},"layers":[],"manifests":[]}`) },
			wantErr: ErrInvalid, errText: "with manifests"},
		{name: "key twice", contentType: ocispec.MediaTypeImageManifest,
			body: func(*testing.T) []byte {
				return []byte(`{"schemaVersion":2,"mediaType":"x","config":{},"mediaType":"` + ocispec.MediaTypeImageManifest + `"}`)
			},
			wantErr: ErrInvalid, errText: "twice"},
		{name: "key in other case", contentType: ocispec.MediaTypeImageManifest,
			body:    func(*testing.T) []byte { return []byte(`{"schemaVersion":2,"config":{},"MediaType":"x"}`) },
			wantErr: ErrInvalid, errText: "case"},
		{name: "malformed JSON", contentType: ocispec.MediaTypeImageManifest, body: func(*testing.T) []byte { return []byte(`{"schemaVersion":2,"config":`) }, wantErr: ErrInvalid, errText: "JSON"},
		{name: "not an object", contentType: ocispec.MediaTypeImageManifest, body: func(*testing.T) []byte { return []byte(`[1]`) }, wantErr: ErrInvalid, errText: "JSON object"},
		{name: "trailing data", contentType: ocispec.MediaTypeImageManifest, body: func(*testing.T) []byte { return []byte(`{"schemaVersion":2,"config":{}} {}`) }, wantErr: ErrInvalid, errText: "after the object"},
		{name: "unknown media type", contentType: "application/vnd.oci.artifact.manifest.v1+json", body: func(*testing.T) []byte { return []byte(`{"schemaVersion":2,"blobs":[]}`) }, wantErr: ErrUnsupported},
		{name: "Docker-Content-Digest lies", contentType: ocispec.MediaTypeImageManifest, body: func(t *testing.T) []byte { return ociManifest(t, true) },
			serve: func(w http.ResponseWriter, body []byte) {
				w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
				w.Header().Set("Docker-Content-Digest", string(digest.FromString("other")))
				_, _ = w.Write(body)
			}, wantErr: ErrInvalid, errText: "Docker-Content-Digest"},
		{name: "malformed Docker-Content-Digest", contentType: ocispec.MediaTypeImageManifest, body: func(t *testing.T) []byte { return ociManifest(t, true) },
			serve: func(w http.ResponseWriter, body []byte) {
				w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
				w.Header().Set("Docker-Content-Digest", "sha256:../../x")
				_, _ = w.Write(body)
			}, wantErr: ErrInvalid},
		{name: "by digest, other body", contentType: ocispec.MediaTypeImageManifest, body: func(t *testing.T) []byte { return ociManifest(t, true) }, byDigest: true,
			serve: func(w http.ResponseWriter, body []byte) {
				w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
				_, _ = w.Write(append(body, ' '))
			}, wantErr: ErrInvalid, errText: "want sha256:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRegistry(t)
			body := tt.body(t)
			d := f.putManifest("a/b", "1", tt.contentType, body)
			if tt.serve != nil {
				f.hook = func(w http.ResponseWriter, r *http.Request, _ int) bool {
					if strings.Contains(r.URL.Path, "/manifests/") {
						tt.serve(w, body)
						return true
					}
					return false
				}
			}
			ref := f.ref(t, "a/b:1")
			if tt.byDigest {
				ref.Tag, ref.Digest = "", d
			}
			c := testClient(t, Options{}, nil, nil)
			m, err := c.Manifest(context.Background(), ref)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), tt.errText)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantMT, m.Descriptor.MediaType)
			assert.Equal(t, d, m.Descriptor.Digest)
			assert.Equal(t, int64(len(body)), m.Descriptor.Size)
			assert.Equal(t, body, m.Body)
		})
	}
}

func TestManifestNotFound(t *testing.T) {
	f := newFakeRegistry(t)
	c := testClient(t, Options{}, nil, nil)
	_, err := c.Manifest(context.Background(), f.ref(t, "a/b:nope"))
	require.ErrorIs(t, err, ErrNotFound)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusNotFound, e.StatusCode)
	assert.Equal(t, "MANIFEST_UNKNOWN", e.Errors[0].Code)
	assert.Contains(t, err.Error(), "MANIFEST_UNKNOWN")
}

// A 100 MB manifest is refused without being read: with a Content-Length
// at once, without one after MaxManifestSize bytes.
func TestManifestOversized(t *testing.T) {
	for _, withLength := range []bool{true, false} {
		t.Run(fmt.Sprint("Content-Length=", withLength), func(t *testing.T) {
			f := newFakeRegistry(t)
			const huge = 100 << 20
			var sent atomic.Int64
			f.hook = func(w http.ResponseWriter, r *http.Request, _ int) bool {
				if !strings.Contains(r.URL.Path, "/manifests/") {
					return false
				}
				w.Header().Set("Content-Type", ocispec.MediaTypeImageManifest)
				if withLength {
					w.Header().Set("Content-Length", fmt.Sprint(huge))
				}
				chunk := make([]byte, 64<<10)
				for sent.Load() < huge {
					n, err := w.Write(chunk)
					sent.Add(int64(n))
					if err != nil {
						return true
					}
				}
				return true
			}
			c := testClient(t, Options{}, nil, nil)
			_, err := c.Manifest(context.Background(), f.ref(t, "a/b:1"))
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), "over the limit")
			f.srv.CloseClientConnections()
			assert.Less(t, sent.Load(), int64(huge/2), "bytes the server got to send")
		})
	}
}

func TestManifestSizeOption(t *testing.T) {
	f := newFakeRegistry(t)
	body := ociManifest(t, true)
	f.putManifest("a/b", "1", ocispec.MediaTypeImageManifest, body)
	c := testClient(t, Options{MaxManifestSize: int64(len(body) - 1)}, nil, nil)
	_, err := c.Manifest(context.Background(), f.ref(t, "a/b:1"))
	require.ErrorIs(t, err, ErrInvalid)
}

func TestMirrors(t *testing.T) {
	body := ociManifest(t, true)
	tests := []struct {
		name          string
		mirrorStatus  int // 0: the mirror serves the manifest
		wantMirror    int
		wantRegistry  int
		registryFails bool
		wantErr       error
	}{
		{name: "mirror serves", wantMirror: 1, wantRegistry: 0},
		{name: "mirror 500, one attempt, registry serves", mirrorStatus: 500, wantMirror: 1, wantRegistry: 1},
		{name: "mirror 404, registry serves", mirrorStatus: 404, wantMirror: 1, wantRegistry: 1},
		{name: "both fail", mirrorStatus: 404, registryFails: true, wantMirror: 1, wantRegistry: 1, wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, mirror := newFakeRegistry(t), newFakeRegistry(t)
			if !tt.registryFails {
				reg.putManifest("a/b", "1", ocispec.MediaTypeImageManifest, body)
			}
			mirror.putManifest("a/b", "1", ocispec.MediaTypeImageManifest, body)
			if tt.mirrorStatus != 0 {
				mirror.hook = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
					writeErr(w, tt.mirrorStatus, "X")
					return true
				}
			}
			c := testClient(t, Options{Mirrors: map[string][]string{reg.host(): {mirror.srv.URL}}}, nil, nil)
			m, err := c.Manifest(context.Background(), reg.ref(t, "a/b:1"))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), "mirror "+mirror.host())
			} else {
				require.NoError(t, err)
				assert.Equal(t, body, m.Body)
			}
			assert.Len(t, mirror.requests(), tt.wantMirror)
			assert.Len(t, reg.requests(), tt.wantRegistry)
		})
	}
}

func TestSelectPlatform(t *testing.T) {
	entry := func(mt, os, arch, variant string) ocispec.Descriptor {
		s := os + "/" + arch + "/" + variant
		return ocispec.Descriptor{MediaType: mt, Digest: digest.FromString(s), Size: 100,
			Platform: &ocispec.Platform{OS: os, Architecture: arch, Variant: variant}}
	}
	m := ocispec.MediaTypeImageManifest
	full := []ocispec.Descriptor{
		entry(m, "windows", "amd64", ""),
		entry(m, "linux", "amd64", ""),
		entry(m, "linux", "arm64", "v8"),
		entry(m, "linux", "arm", "v7"),
		entry(m, "linux", "arm", "v6"),
		entry(m, "unknown", "unknown", ""),
		entry(ocispec.MediaTypeImageIndex, "linux", "s390x", ""),
	}
	tests := []struct {
		name    string
		entries []ocispec.Descriptor
		want    ocispec.Platform
		got     string // "os/arch/variant" of the entry chosen
		wantErr error
		errText string
	}{
		{name: "linux/amd64, windows first is skipped", entries: full, want: ocispec.Platform{OS: "linux", Architecture: "amd64"}, got: "linux/amd64/"},
		{name: "x86_64 is amd64", entries: full, want: ocispec.Platform{OS: "linux", Architecture: "x86_64"}, got: "linux/amd64/"},
		{name: "linux/arm64 means v8", entries: full, want: ocispec.Platform{OS: "linux", Architecture: "arm64"}, got: "linux/arm64/v8"},
		{name: "aarch64/8", entries: full, want: ocispec.Platform{OS: "Linux", Architecture: "aarch64", Variant: "8"}, got: "linux/arm64/v8"},
		{name: "linux/arm/v7", entries: full, want: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, got: "linux/arm/v7"},
		{name: "linux/arm/v6", entries: full, want: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}, got: "linux/arm/v6"},
		{name: "arm v8 CPU runs v7", entries: full, want: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v8"}, got: "linux/arm/v7"},
		{name: "arm v7 CPU runs v6", entries: []ocispec.Descriptor{entry(m, "linux", "arm", "v5"), entry(m, "linux", "arm", "v6")},
			want: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, got: "linux/arm/v6"},
		{name: "arm v5 CPU cannot run v6", entries: []ocispec.Descriptor{entry(m, "linux", "arm", "v6")},
			want: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v5"}, wantErr: ErrNotFound},
		{name: "amd64 v3 runs v1", entries: []ocispec.Descriptor{entry(m, "linux", "amd64", "")},
			want: ocispec.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}, got: "linux/amd64/"},
		{name: "amd64 v1 cannot run v3", entries: []ocispec.Descriptor{entry(m, "linux", "amd64", "v3")},
			want: ocispec.Platform{OS: "linux", Architecture: "amd64"}, wantErr: ErrNotFound},
		{name: "nested index skipped", entries: full, want: ocispec.Platform{OS: "linux", Architecture: "s390x"}, wantErr: ErrNotFound},
		{name: "no match lists platforms", entries: full, want: ocispec.Platform{OS: "linux", Architecture: "riscv64"},
			wantErr: ErrNotFound, errText: "no manifest for linux/riscv64 in the index; it has: windows/amd64, linux/amd64, linux/arm64/v8, linux/arm/v7, linux/arm/v6, linux/s390x"},
		{name: "bad digest", entries: []ocispec.Descriptor{{MediaType: m, Digest: "sha256:../../x", Size: 1, Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}}},
			want: ocispec.Platform{OS: "linux", Architecture: "amd64"}, wantErr: ErrInvalid},
		{name: "negative size", entries: []ocispec.Descriptor{{MediaType: m, Digest: digest.FromString("a"), Size: -1, Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}}},
			want: ocispec.Platform{OS: "linux", Architecture: "amd64"}, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mt := range []string{ocispec.MediaTypeImageIndex, MediaTypeDockerManifestList} {
				d, err := SelectPlatform(index(t, mt, tt.entries...), mt, tt.want)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
					assert.Contains(t, err.Error(), tt.errText)
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, digest.FromString(tt.got), d.Digest, "SelectPlatform(%v) = %v", tt.want, d.Platform)
			}
		})
	}

	t.Run("host default", func(t *testing.T) {
		d, err := SelectPlatform(index(t, ocispec.MediaTypeImageIndex, full...), ocispec.MediaTypeImageIndex, ocispec.Platform{})
		if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
			t.Skip("host platform not in the test index")
		}
		require.NoError(t, err)
		assert.Equal(t, runtime.GOARCH, d.Platform.Architecture)
	})
	t.Run("not an index", func(t *testing.T) {
		_, err := SelectPlatform([]byte(`{}`), ocispec.MediaTypeImageManifest, ocispec.Platform{})
		require.ErrorIs(t, err, ErrInvalid)
	})
	t.Run("malformed", func(t *testing.T) {
		_, err := SelectPlatform([]byte(`{"manifests":{}}`), ocispec.MediaTypeImageIndex, ocispec.Platform{})
		require.ErrorIs(t, err, ErrInvalid)
	})
}

// Manifest refuses references that were not built by Parse.
func TestManifestBadRef(t *testing.T) {
	f := newFakeRegistry(t)
	c := testClient(t, Options{}, nil, nil)
	for _, mod := range []func(r *refT){
		func(r *refT) { r.Path = "../x" },
		func(r *refT) { r.Tag = "a/../b" },
		func(r *refT) { r.Tag, r.Digest = "", "sha256:../../x" },
		func(r *refT) { r.Tag, r.Digest = "", digest.Digest("sha256:"+strings.Repeat("A", 64)) },
		func(r *refT) { r.Tag = "" },
	} {
		ref := f.ref(t, "a/b:1")
		mod(&ref)
		_, err := c.Manifest(context.Background(), ref)
		require.ErrorIs(t, err, ErrInvalid, "Manifest(%+v)", ref)
	}
	assert.Empty(t, f.requests())
	_, err := c.Blob(context.Background(), f.ref(t, "a/b"), ocispec.Descriptor{Digest: "sha256:../../x", Size: 1})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = c.BlobExists(context.Background(), f.ref(t, "a/b"), "sha512:abc")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Empty(t, f.requests())
}

type refT = reference.Ref
