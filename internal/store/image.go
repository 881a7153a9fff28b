package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker's media types, read like their OCI equivalents.
const (
	mediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerConfig   = "application/vnd.docker.container.image.v1+json"
	mediaTypeDockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// Image is an image in the store: a manifest, its config and the tags that
// name it. The value is a snapshot; it does not change with the store.
type Image struct {
	// ID is the digest of the config, Docker's image ID.
	ID digest.Digest
	// Digest is the digest of the manifest, and ManifestSize its size in
	// bytes.
	Digest       digest.Digest
	ManifestSize int64
	// Names are the tags of the image as full normalized references
	// ("docker.io/library/busybox:latest"), in index order; empty for an
	// untagged image.
	Names []string
	// Manifest and Config are the image's, as stored (Config with
	// Docker's extensions).
	Manifest ocispec.Manifest
	Config   Config
	// Size is the sum of the layer sizes as stored (compressed).
	Size int64
	// Parent is the image ID of the image this one was committed on (a
	// build's previous step, a committed container's image), as
	// recorded in images/<ID>/parent; "" when none is recorded or the
	// record is malformed. The parent may have been removed since.
	Parent digest.Digest
}

// ChainIDs returns the chain IDs of the image's layers, bottom to top: the
// names of their unpacked directories under layers/.
func (img *Image) ChainIDs() []digest.Digest {
	return chainIDs(img.Config.RootFS.DiffIDs)
}

// chainIDs computes the OCI chain IDs of a list of diff IDs.
func chainIDs(diffIDs []digest.Digest) []digest.Digest {
	out := make([]digest.Digest, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		out[i] = digest.FromString(string(out[i-1]) + " " + string(d))
	}
	return out
}

// entry is one manifest of the index with the tags that name it.
type entry struct {
	desc  ocispec.Descriptor
	names []string
}

// entries groups the index descriptors by manifest, in index order.
// Descriptors that are not image manifests (an image index copied in by
// another tool), or whose digest is malformed, are left out.
func entries(idx *ocispec.Index) []*entry {
	var out []*entry
	byDigest := map[digest.Digest]*entry{}
	for _, d := range idx.Manifests {
		if !isManifestType(d.MediaType) || validDigest(d.Digest) != nil {
			continue
		}
		e := byDigest[d.Digest]
		if e == nil {
			e = &entry{desc: d}
			byDigest[d.Digest] = e
			out = append(out, e)
		}
		if n := refName(d); n != "" && !slices.Contains(e.names, n) {
			e.names = append(e.names, n)
		}
	}
	return out
}

// namesOf returns the tags that name the manifest d in idx.
func namesOf(idx *ocispec.Index, d digest.Digest) []string {
	for _, e := range entries(idx) {
		if e.desc.Digest == d {
			return e.names
		}
	}
	return nil
}

// layersSize is the sum of the layers' sizes as stored.
func layersSize(layers []ocispec.Descriptor) int64 {
	var n int64
	for _, l := range layers {
		n += l.Size
	}
	return n
}

func isManifestType(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == mediaTypeDockerManifest
}

// load reads and checks the manifest and config of an index entry.
func (s *Store) load(e *entry) (*Image, error) {
	img := &Image{Digest: e.desc.Digest, Names: slices.Clone(e.names)}
	b, err := s.ReadBlob(e.desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if e.desc.Size >= 0 && int64(len(b)) != e.desc.Size {
		return nil, fmt.Errorf("manifest %s: %w: size %d, index says %d", e.desc.Digest, ErrInvalid, len(b), e.desc.Size)
	}
	img.ManifestSize = int64(len(b))
	if err := json.Unmarshal(b, &img.Manifest); err != nil {
		return nil, fmt.Errorf("manifest %s: %w: %w", e.desc.Digest, ErrInvalid, err)
	}
	m := &img.Manifest
	if m.SchemaVersion != 2 || (m.MediaType != "" && m.MediaType != e.desc.MediaType) {
		return nil, fmt.Errorf("manifest %s: %w: schema %d media type %q, index says %q", e.desc.Digest, ErrInvalid, m.SchemaVersion, m.MediaType, e.desc.MediaType)
	}
	if mt := m.Config.MediaType; mt != ocispec.MediaTypeImageConfig && mt != mediaTypeDockerConfig {
		return nil, fmt.Errorf("manifest %s: %w: config media type %q", e.desc.Digest, ErrInvalid, mt)
	}
	for _, l := range m.Layers {
		if err := validDigest(l.Digest); err != nil {
			return nil, fmt.Errorf("manifest %s: layer: %w", e.desc.Digest, err)
		}
		if l.Size < 0 {
			return nil, fmt.Errorf("manifest %s: %w: layer size %d", e.desc.Digest, ErrInvalid, l.Size)
		}
		img.Size += l.Size
	}
	cb, err := s.ReadBlob(m.Config.Digest)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: config: %w", e.desc.Digest, err)
	}
	if int64(len(cb)) != m.Config.Size {
		return nil, fmt.Errorf("config %s: %w: size %d, manifest says %d", m.Config.Digest, ErrInvalid, len(cb), m.Config.Size)
	}
	if err := json.Unmarshal(cb, &img.Config); err != nil {
		return nil, fmt.Errorf("config %s: %w: %w", m.Config.Digest, ErrInvalid, err)
	}
	img.ID = m.Config.Digest
	img.Parent = s.readParent(img.ID)
	if n, l := len(img.Config.RootFS.DiffIDs), len(m.Layers); n != l {
		return nil, fmt.Errorf("config %s: %w: %d diff IDs for %d layers", img.ID, ErrInvalid, n, l)
	}
	for _, d := range img.Config.RootFS.DiffIDs {
		if err := validDigest(d); err != nil {
			return nil, fmt.Errorf("config %s: diff ID: %w", img.ID, err)
		}
	}
	return img, nil
}

// Images lists the images of the store, newest first. An image whose
// manifest or config cannot be read (a blob missing or corrupt) is left
// out; Resolve of one of its tags reports the problem, and Remove still
// removes it.
func (s *Store) Images() ([]Image, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var out []Image
	for _, e := range entries(idx) {
		img, err := s.load(e)
		if err != nil {
			continue
		}
		out = append(out, *img)
	}
	slices.SortStableFunc(out, func(a, b Image) int {
		if c := created(&b).Compare(created(&a)); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID), string(b.ID))
	})
	return out, nil
}

// created returns the creation time of an image, or the zero time.
func created(img *Image) time.Time {
	if img.Config.Created == nil {
		return time.Time{}
	}
	return *img.Config.Created
}

// Resolve finds an image by reference: a name with or without a tag
// ("busybox", "docker.io/library/busybox:latest"), a name with a manifest
// digest ("busybox@sha256:..."; the digest decides, the name is not
// checked), an image ID ("sha256:<64 hex>", also matching a manifest
// digest), or a unique prefix of an image ID's hex ("3f57d9401f8d",
// "sha256:3f5"), tried after the name as Docker does. A malformed
// reference wraps ErrInvalid, as does a prefix that matches several
// images; an unknown one wraps ErrNotFound.
func (s *Store) Resolve(ref string) (*Image, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	img, _, err := s.resolve(idx, ref)
	return img, err
}

// resolve is Resolve on a given index. byName is the full normalized tag
// when ref named a tag, else "".
func (s *Store) resolve(idx *ocispec.Index, ref string) (img *Image, byName string, err error) {
	e, byName, err := s.find(idx, ref)
	if err != nil {
		return nil, "", err
	}
	img, err = s.load(e)
	if err != nil {
		return nil, "", fmt.Errorf("image %q: %w", ref, err)
	}
	return img, byName, nil
}

// find is resolve without loading the image, so that broken images can be
// found by name (and removed).
func (s *Store) find(idx *ocispec.Index, ref string) (e *entry, byName string, err error) {
	es := entries(idx)
	notFound := fmt.Errorf("image %q: %w", ref, ErrNotFound)
	if ref == "" {
		return nil, "", fmt.Errorf("image: %w: empty reference", ErrInvalid)
	}
	if hex, ok := strings.CutPrefix(ref, "sha256:"); ok {
		if len(hex) > 64 || !reference.IsLowerHex(hex) {
			return nil, "", fmt.Errorf("image %q: %w: not an image ID", ref, ErrInvalid)
		}
		e, err := s.findID(es, hex)
		if err != nil {
			return nil, "", fmt.Errorf("image %q: %w", ref, err)
		}
		return e, "", nil
	}
	if len(ref) == 64 && reference.IsLowerHex(ref) {
		e, err := s.findID(es, ref)
		if err != nil {
			return nil, "", fmt.Errorf("image %q: %w", ref, err)
		}
		return e, "", nil
	}
	r, err := reference.Parse(ref)
	if err != nil {
		return nil, "", fmt.Errorf("image: %w: %w", ErrInvalid, err)
	}
	if r.Digest != "" {
		for _, e := range es {
			if e.desc.Digest == r.Digest {
				return e, "", nil
			}
		}
		return nil, "", notFound
	}
	name := r.String()
	for _, e := range es {
		if slices.Contains(e.names, name) {
			return e, name, nil
		}
	}
	if reference.IsLowerHex(ref) {
		e, err := s.findID(es, ref)
		if err != nil {
			return nil, "", fmt.Errorf("image %q: %w", ref, err)
		}
		return e, "", nil
	}
	return nil, "", notFound
}

// findID finds the entry whose image ID's hex starts with prefix; with a
// full 64-digit ID, a manifest digest matches too.
func (s *Store) findID(es []*entry, prefix string) (*entry, error) {
	var found *entry
	var foundID digest.Digest
	for _, e := range es {
		img, err := s.load(e)
		if err != nil {
			continue
		}
		if !strings.HasPrefix(img.ID.Encoded(), prefix) {
			continue
		}
		if found != nil && img.ID != foundID {
			return nil, fmt.Errorf("%w: image ID prefix %q matches several images", ErrInvalid, prefix)
		}
		if found == nil {
			found, foundID = e, img.ID
		}
	}
	if found != nil {
		return found, nil
	}
	if len(prefix) == 64 {
		for _, e := range es {
			if e.desc.Digest.Encoded() == prefix {
				return e, nil
			}
		}
	}
	return nil, ErrNotFound
}
