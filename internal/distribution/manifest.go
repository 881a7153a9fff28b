package distribution

import (
	"bytes"
	"context"
	_ "crypto/sha256" // digest.SHA256
	_ "crypto/sha512" // digest.SHA512
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/reference"
)

// Docker's manifest media types (OCI's are in ocispec).
const (
	// MediaTypeDockerManifest is Docker's schema2 image manifest.
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	// MediaTypeDockerManifestList is Docker's manifest list (an index).
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"

	mediaTypeDockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	mediaTypeDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// acceptManifests is the Accept header of manifest requests: the four
// types this package reads, never schema1.
var acceptManifests = strings.Join([]string{
	ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageManifest,
	MediaTypeDockerManifestList, MediaTypeDockerManifest,
}, ", ")

// IsIndex reports whether mediaType is an OCI index or a Docker manifest
// list.
func IsIndex(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageIndex || mediaType == MediaTypeDockerManifestList
}

// IsManifest reports whether mediaType is an OCI image manifest or a Docker
// schema2 manifest.
func IsManifest(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageManifest || mediaType == MediaTypeDockerManifest
}

// Manifest is a verified manifest or index: Descriptor gives its media type,
// digest and size, and Body its exact bytes. Callers that got it from an
// index should compare Descriptor.Size with the index's. It is plain data.
type Manifest struct {
	Descriptor ocispec.Descriptor
	Body       []byte
}

// Manifest fetches the manifest or index that ref names (by digest when ref
// has one, else by tag), from the mirrors of its registry and then the
// registry, and verifies it: at most Options.MaxManifestSize bytes (refused
// from Content-Length, or while reading, without reading the rest); the body
// digest equal to ref.Digest and to a Docker-Content-Digest header; the
// Content-Type agreeing with the body's mediaType; a manifest without
// "manifests", an index without "config" or "layers" (CVE-2021-41190);
// schema1 refused with ErrUnsupported. Lies wrap ErrInvalid. It is safe for
// concurrent use.
func (c *Client) Manifest(ctx context.Context, ref reference.Ref) (Manifest, error) {
	if err := validateRef(ref); err != nil {
		return Manifest{}, err
	}
	tagOrDigest := ref.Tag
	if ref.Digest != "" {
		tagOrDigest = string(ref.Digest)
	}
	if tagOrDigest == "" {
		return Manifest{}, invalidf("fetch manifest %s: no tag or digest", ref)
	}
	var m Manifest
	err := c.pull(ctx, ref.Domain, func(base *url.URL, attempts int) error {
		return c.retry(ctx, attempts, func() error {
			var err error
			m, err = c.getManifest(ctx, base, ref, tagOrDigest)
			return err
		})
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("fetch manifest %s: %w", ref, err)
	}
	return m, nil
}

func (c *Client) getManifest(ctx context.Context, base *url.URL, ref reference.Ref, tagOrDigest string) (Manifest, error) {
	u, err := c.baseURL(ctx, base, ref.Domain)
	if err != nil {
		return Manifest{}, err
	}
	resp, err := c.do(ctx, &request{
		method: http.MethodGet,
		url:    repoURL(u, ref.Path, "manifests", tagOrDigest),
		header: http.Header{"Accept": {acceptManifests}},
		scopes: []string{pullScope(ref.Path)},
	})
	if err != nil {
		return Manifest{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Manifest{}, newError(resp)
	}
	defer resp.Body.Close()
	max := c.opts.MaxManifestSize
	if resp.ContentLength > max {
		return Manifest{}, invalidf("manifest of %d bytes is over the limit of %d", resp.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return Manifest{}, err
	}
	if int64(len(body)) > max {
		return Manifest{}, invalidf("manifest is over the limit of %d bytes", max)
	}
	desc, err := verifyManifest(body, resp.Header.Get("Content-Type"), ref.Digest, resp.Header.Get("Docker-Content-Digest"))
	if err != nil {
		return Manifest{}, err
	}
	return Manifest{Descriptor: desc, Body: body}, nil
}

// genericTypes are Content-Types that say nothing about a manifest.
var genericTypes = map[string]bool{"": true, "application/json": true, "text/plain": true, "application/octet-stream": true}

// verifyManifest checks body against the digests and Content-Type that
// came with it and returns its descriptor (digest: want, else the
// header's, else sha256).
func verifyManifest(body []byte, contentType string, want digest.Digest, header string) (ocispec.Descriptor, error) {
	ct, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		ct = ""
	}
	if ct == mediaTypeDockerSchema1 || ct == mediaTypeDockerSchema1Signed {
		return ocispec.Descriptor{}, fmt.Errorf("%w: schema1 manifest (%s); push the image again with a current tool", ErrUnsupported, ct)
	}
	d := ocispec.Descriptor{Size: int64(len(body))}
	if header != "" {
		hd, err := checkDigest(header)
		if err != nil {
			return d, invalidf("Docker-Content-Digest: %v", err)
		}
		if got := hd.Algorithm().FromBytes(body); got != hd {
			return d, invalidf("manifest digest is %s, Docker-Content-Digest says %s", got, hd)
		}
		d.Digest = hd
	}
	if want != "" {
		if _, err := checkDigest(string(want)); err != nil {
			return d, err
		}
		if got := want.Algorithm().FromBytes(body); got != want {
			return d, invalidf("manifest digest is %s, want %s", got, want)
		}
		d.Digest = want
	}
	if d.Digest == "" {
		d.Digest = digest.FromBytes(body)
	}
	mt, err := manifestMediaType(body, ct)
	if err != nil {
		return d, err
	}
	d.MediaType = mt
	return d, nil
}

// manifestFields are the top-level keys that decide what a manifest is.
var manifestFields = []string{"schemaVersion", "mediaType", "config", "layers", "manifests", "fsLayers", "signatures"}

// manifestMediaType reads the top level of a manifest and returns its media
// type: the body's mediaType, which must agree with ct unless ct is
// generic, else ct, else what its fields say. A key given twice, or a key
// that differs from one of manifestFields only in case, is refused: other
// JSON readers would take a different one (Go's encoding/json matches keys
// without case).
func manifestMediaType(body []byte, ct string) (string, error) {
	top, err := topLevel(body)
	if err != nil {
		return "", err
	}
	if _, ok := top["fsLayers"]; ok {
		return "", fmt.Errorf("%w: schema1 manifest; push the image again with a current tool", ErrUnsupported)
	}
	var version int
	if raw, ok := top["schemaVersion"]; !ok || json.Unmarshal(raw, &version) != nil {
		return "", invalidf("manifest has no numeric schemaVersion")
	}
	if version == 1 {
		return "", fmt.Errorf("%w: schema1 manifest; push the image again with a current tool", ErrUnsupported)
	}
	if version != 2 {
		return "", invalidf("manifest schemaVersion %d, want 2", version)
	}
	var mt string
	if raw, ok := top["mediaType"]; ok {
		if err := json.Unmarshal(raw, &mt); err != nil {
			return "", invalidf("manifest mediaType is not a string")
		}
	}
	if mt != "" && !genericTypes[ct] && mt != ct {
		return "", invalidf("manifest says mediaType %q, Content-Type says %q", clean(mt, 100), clean(ct, 100))
	}
	if mt == "" && !genericTypes[ct] {
		mt = ct
	}
	_, hasManifests := top["manifests"]
	_, hasConfig := top["config"]
	_, hasLayers := top["layers"]
	if mt == "" {
		switch {
		case hasManifests && !hasConfig && !hasLayers:
			mt = ocispec.MediaTypeImageIndex
		case hasConfig && !hasManifests:
			mt = ocispec.MediaTypeImageManifest
		}
	}
	switch {
	case IsIndex(mt):
		if hasConfig || hasLayers {
			return "", invalidf("index (%s) with config or layers", mt)
		}
		if !hasManifests {
			return "", invalidf("index (%s) without manifests", mt)
		}
	case IsManifest(mt):
		if hasManifests {
			return "", invalidf("manifest (%s) with manifests", mt)
		}
		if !hasConfig {
			return "", invalidf("manifest (%s) without config", mt)
		}
	case mt == "":
		return "", invalidf("manifest of unknown kind: no mediaType, config or manifests")
	default:
		return "", fmt.Errorf("%w: manifest media type %q", ErrUnsupported, clean(mt, 100))
	}
	return mt, nil
}

// topLevel returns the members of the JSON object body, refusing
// duplicates, case variants of manifestFields and trailing data.
func topLevel(body []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, invalidf("manifest is not a JSON object")
	}
	top := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, invalidf("manifest JSON: %v", err)
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, invalidf("manifest JSON: %v", err)
		}
		if _, dup := top[key]; dup {
			return nil, invalidf("manifest has the key %q twice", clean(key, 100))
		}
		for _, f := range manifestFields {
			if key != f && strings.EqualFold(key, f) {
				return nil, invalidf("manifest key %q differs from %q only in case", clean(key, 100), f)
			}
		}
		top[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, invalidf("manifest JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalidf("manifest JSON: data after the object")
	}
	return top, nil
}

// pull runs fetch against each mirror of domain (one attempt each), then
// the registry (base nil), until one succeeds. The registry's error is
// returned, with the mirrors' as text.
func (c *Client) pull(ctx context.Context, domain string, fetch func(base *url.URL, attempts int) error) error {
	var failed []string
	for _, m := range c.mirrors[mirrorKey(domain)] {
		err := fetch(m, 1)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		failed = append(failed, fmt.Sprintf("mirror %s: %v", m.Host, err))
	}
	err := fetch(nil, 0)
	if err != nil && len(failed) > 0 {
		return fmt.Errorf("%w (%s)", err, strings.Join(failed, "; "))
	}
	return err
}

// baseURL is base, or the registry of domain when base is nil.
func (c *Client) baseURL(ctx context.Context, base *url.URL, domain string) (*url.URL, error) {
	if base != nil {
		return base, nil
	}
	return c.registryBase(ctx, domain)
}
