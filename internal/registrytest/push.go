package registrytest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Client returns an HTTP client that authorizes every request to the
// registry with all rights: the basic auth credentials, or a token minted
// for the request's repository (not recorded as a token request). The push
// helpers use it; tests use it to look at the registry behind the back of
// the client under test.
func (r *Registry) Client() *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &adminTransport{r: r, base: http.DefaultTransport}}
}

type adminTransport struct {
	r    *Registry
	base http.RoundTripper
}

// repoPath matches the repository name of a /v2/ API path.
var repoPath = regexp.MustCompile(`^/v2/(.+)/(?:manifests/[^/]+|blobs/uploads/.*|blobs/[^/]+|tags/list|referrers/[^/]+)$`)

func (a *adminTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	switch {
	case a.r.user != "":
		req.SetBasicAuth(a.r.user, a.r.pass)
	case a.r.tokens != nil:
		var access []Access
		if m := repoPath.FindStringSubmatch(req.URL.Path); m != nil {
			access = append(access, Access{Type: "repository", Name: m[1], Actions: []string{"pull", "push", "delete"}})
		}
		if from := req.URL.Query().Get("from"); from != "" {
			access = append(access, Access{Type: "repository", Name: from, Actions: []string{"pull"}})
		}
		if req.URL.Path == "/v2/_catalog" {
			access = append(access, Access{Type: "registry", Name: "catalog", Actions: []string{"*"}})
		}
		now := time.Now()
		tok, err := a.r.tokens.sign("registrytest-admin", access, now, now.Add(time.Hour))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return a.base.RoundTrip(req)
}

// An Image is what Push pushes.
type Image struct {
	// Layers are uncompressed tar streams; Push gzips them.
	Layers [][]byte
	// Config is the image config. Nil means a minimal config for Platform.
	// Its rootfs is always set from Layers.
	Config *ocispec.Image
	// Platform is the image's platform when Config is nil, and its entry in
	// an index. The zero value means linux/amd64.
	Platform ocispec.Platform
	// Annotations go into the manifest.
	Annotations map[string]string
}

// Pushed describes a pushed manifest or index.
type Pushed struct {
	// Descriptor of the manifest or index (with the platform, for an image).
	Descriptor ocispec.Descriptor
	// Bytes of the manifest or index, as pushed.
	Bytes []byte
	// Config and Layers of an image, and their bytes as pushed (gzip for
	// layers).
	Config      ocispec.Descriptor
	ConfigBytes []byte
	Layers      []ocispec.Descriptor
	LayerBytes  [][]byte
	// Manifests of an index.
	Manifests []Pushed
}

// PushImage pushes an OCI image of layers (uncompressed tars, gzipped here)
// with a minimal linux/amd64 config to repo in reg, tagged tag (no tag when
// tag is ""), and returns the manifest digest.
func PushImage(t testing.TB, reg *Registry, repo, tag string, layers ...[]byte) digest.Digest {
	t.Helper()
	return Push(t, reg, repo, tag, Image{Layers: layers}).Descriptor.Digest
}

// Push pushes img to repo in reg as an OCI manifest, tagged tag (by digest
// only when tag is ""), with monolithic blob uploads (POST, then PUT) over
// plain net/http. Blobs the registry has are not uploaded again.
func Push(t testing.TB, reg *Registry, repo, tag string, img Image) Pushed {
	t.Helper()
	p, err := push(reg.Client(), reg.URL, repo, tag, img)
	if err != nil {
		t.Fatalf("Push(%s/%s:%s): %v", reg.Host, repo, tag, err)
	}
	return p
}

// PushIndex pushes imgs by digest and then an OCI index of them (with
// their platforms) to repo in reg, tagged tag.
func PushIndex(t testing.TB, reg *Registry, repo, tag string, imgs ...Image) Pushed {
	t.Helper()
	client := reg.Client()
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	var out Pushed
	for _, img := range imgs {
		p, err := push(client, reg.URL, repo, "", img)
		if err != nil {
			t.Fatalf("PushIndex(%s/%s:%s): %v", reg.Host, repo, tag, err)
		}
		out.Manifests = append(out.Manifests, p)
		idx.Manifests = append(idx.Manifests, p.Descriptor)
	}
	b, err := json.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := putManifest(client, reg.URL, repo, tag, ocispec.MediaTypeImageIndex, b)
	if err != nil {
		t.Fatalf("PushIndex(%s/%s:%s): %v", reg.Host, repo, tag, err)
	}
	out.Descriptor, out.Bytes = desc, b
	return out
}

func push(client *http.Client, base, repo, tag string, img Image) (Pushed, error) {
	var p Pushed
	platform := img.Platform
	if platform.OS == "" {
		platform = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	}
	var diffIDs []digest.Digest
	for _, layer := range img.Layers {
		gz, err := gzipBytes(layer)
		if err != nil {
			return p, err
		}
		d, err := uploadBlob(client, base, repo, ocispec.MediaTypeImageLayerGzip, gz)
		if err != nil {
			return p, err
		}
		diffIDs = append(diffIDs, digest.FromBytes(layer))
		p.Layers, p.LayerBytes = append(p.Layers, d), append(p.LayerBytes, gz)
	}
	var config ocispec.Image
	if img.Config != nil {
		config = *img.Config
	} else {
		config = ocispec.Image{Platform: platform}
	}
	config.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}
	cb, err := json.Marshal(config)
	if err != nil {
		return p, err
	}
	if p.Config, err = uploadBlob(client, base, repo, ocispec.MediaTypeImageConfig, cb); err != nil {
		return p, err
	}
	p.ConfigBytes = cb
	layers := p.Layers
	if layers == nil {
		layers = []ocispec.Descriptor{} // the spec wants an array
	}
	m := ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		MediaType:   ocispec.MediaTypeImageManifest,
		Config:      p.Config,
		Layers:      layers,
		Annotations: img.Annotations,
	}
	if p.Bytes, err = json.Marshal(m); err != nil {
		return p, err
	}
	if p.Descriptor, err = putManifest(client, base, repo, tag, m.MediaType, p.Bytes); err != nil {
		return p, err
	}
	p.Descriptor.Platform = &ocispec.Platform{OS: config.OS, Architecture: config.Architecture, Variant: config.Variant}
	return p, nil
}

// uploadBlob uploads b unless the registry has it: HEAD, POST, PUT.
func uploadBlob(client *http.Client, base, repo, mediaType string, b []byte) (ocispec.Descriptor, error) {
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
	resp, err := do(client, http.MethodHead, base+"/v2/"+repo+"/blobs/"+desc.Digest.String(), "", nil)
	if err != nil {
		return desc, err
	}
	if resp.StatusCode == http.StatusOK {
		return desc, nil
	}
	resp, err = do(client, http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		return desc, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return desc, fmt.Errorf("start upload of %s: %s", desc.Digest, resp.Status)
	}
	loc, err := resp.Location()
	if err != nil {
		return desc, fmt.Errorf("start upload of %s: %w", desc.Digest, err)
	}
	q := loc.Query()
	q.Set("digest", desc.Digest.String())
	loc.RawQuery = q.Encode()
	resp, err = do(client, http.MethodPut, loc.String(), "application/octet-stream", b)
	if err != nil {
		return desc, err
	}
	if resp.StatusCode != http.StatusCreated {
		return desc, fmt.Errorf("upload %s: %s", desc.Digest, resp.Status)
	}
	return desc, nil
}

// putManifest puts b under tag, or under its digest when tag is "".
func putManifest(client *http.Client, base, repo, tag, mediaType string, b []byte) (ocispec.Descriptor, error) {
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
	ref := tag
	if ref == "" {
		ref = desc.Digest.String()
	}
	resp, err := do(client, http.MethodPut, base+"/v2/"+repo+"/manifests/"+url.PathEscape(ref), mediaType, b)
	if err != nil {
		return desc, err
	}
	if resp.StatusCode != http.StatusCreated {
		return desc, fmt.Errorf("put manifest %s: %s", ref, resp.Status)
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != desc.Digest.String() {
		return desc, fmt.Errorf("put manifest %s: Docker-Content-Digest %q, want %q", ref, got, desc.Digest)
	}
	return desc, nil
}

// do sends a request and closes the response body, keeping the status,
// the headers and, in the error, the start of an error body.
func do(client *http.Client, method, u, contentType string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 400 && resp.StatusCode != http.StatusNotFound {
		return nil, fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, strings.TrimSpace(string(msg)))
	}
	return resp, nil
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf) // no name, no mtime: the same tar gives the same blob
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RandomLayer returns an uncompressed tar stream with one regular file of
// size random bytes, named random-<hex> (mode 0644, mtime 2000-01-01 UTC).
// Random bytes do not compress: the gzipped layer is a little bigger.
func RandomLayer(t testing.TB, size int) []byte {
	t.Helper()
	data := make([]byte, size)
	_, _ = rand.Read(data) // never fails
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Name:     "random-" + randomHex(8),
		Typeflag: tar.TypeReg,
		Mode:     0o644,
		Size:     int64(size),
		ModTime:  time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatalf("RandomLayer: %v", err)
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatalf("RandomLayer: %v", err)
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("RandomLayer: %v", err)
	}
	return buf.Bytes()
}
