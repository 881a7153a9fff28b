package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/go-dock/dock/internal/reference"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// LoadOptions configure Load. The zero value picks, from a multi-platform
// image, the manifest for linux on this program's architecture.
type LoadOptions struct {
	// Platform picks the manifest of a multi-platform image (an image
	// index in an OCI archive): OS "" means "linux", Architecture ""
	// means runtime.GOARCH, Variant "" matches any variant.
	Platform ocispec.Platform
}

const (
	// maxArchiveEntries bounds the entries of an archive Load reads.
	maxArchiveEntries = 1 << 16
	// maxArchiveLinks bounds the links followed to find a file.
	maxArchiveLinks = 8
	// maxArchiveTrailer bounds what Load reads of a gzip or zstd stream
	// after the end of its tar, to check its checksum.
	maxArchiveTrailer = 1 << 20

	mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// Load reads an image archive from r and adds its images to the store,
// as "docker load" does. r is a tar, plain or gzip- or zstd-compressed, in one of
// two formats:
//
//   - A Docker archive: manifest.json lists each image's config file,
//     layer files and tags (RepoTags). Written by "docker save" of every
//     version since 1.10 (layer.tar files), of 25 and later (an OCI layout
//     plus manifest.json pointing into blobs/), by Save, and by skopeo's
//     "docker-archive". An archive with manifest.json is read through it,
//     as Docker reads it, even when it holds an OCI layout too; the
//     layout's manifest is kept when it matches the image (as in archives
//     of Save and Docker 25), so that the manifest digest survives.
//     Archives of Docker before 1.10 (no manifest.json) are refused.
//   - An OCI archive: oci-layout, index.json and blobs/ (skopeo's and
//     podman's "oci-archive", Save with OCIArchive). A descriptor's tag is
//     its "io.containerd.image.name" annotation, else its
//     "org.opencontainers.image.ref.name" when that is a reference with a
//     name ("busybox:latest", "docker.io/library/busybox:1"); a ref.name
//     of a bare word ("latest", as the OCI convention has it) names no
//     repository, and that image loads untagged unless another
//     descriptor names it. An image index picks the manifest for
//     opt.Platform.
//
// Everything is checked before anything becomes visible: each entry's
// name (no absolute paths, no "..", links only within the archive, no
// device files), each blob against the digest that names it, each size
// against its descriptor, metadata files (manifest.json, index.json,
// manifests, configs) against MaxMetadataSize, and each layer's
// uncompressed digest against the config's diff ID. A Docker archive's
// layer files are stored as they come, as blobs named by their own
// digest: a plain tar (layer.tar) as an uncompressed layer, whose blob
// digest is its diff ID, a gzip one as a gzip layer; for such images the
// store writes an OCI manifest, so the image ID (the config digest) is
// kept but the manifest digest is the store's. Layers are not unpacked:
// LayerDirs unpacks them on first use.
//
// The archive is read once, into a directory in tmp/; the blobs, then the
// tags (a tag that named another image moves, as in Import; images without
// tags are added untagged), are committed under the lock. On error,
// nothing visible changes and tmp/ holds nothing of the load. Malformed,
// hostile or truncated archives are errors wrapping ErrInvalid.
//
// Load returns the loaded images in archive order, each once.
func (s *Store) Load(ctx context.Context, r io.Reader, opt LoadOptions) ([]*Image, error) {
	imgs, err := s.loadArchive(ctx, r, opt)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return imgs, nil
}

// loadedImage is an image read from an archive, checked, not yet stored.
type loadedImage struct {
	desc      ocispec.Descriptor // of the manifest, with its platform
	manifest  []byte
	config    []byte
	cfgDigest digest.Digest
	layers    []*spoolFile // in manifest order
	names     []string     // full normalized tags
}

func (s *Store) loadArchive(ctx context.Context, r io.Reader, opt LoadOptions) ([]*Image, error) {
	plat := opt.Platform
	if plat.OS == "" {
		plat.OS = "linux"
	}
	if plat.Architecture == "" {
		plat.Architecture = runtime.GOARCH
	}
	work, err := os.MkdirTemp(s.path("tmp"), "load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	sp := &spool{work: work, files: map[string]*spoolFile{}, links: map[string]string{}, diffIDs: map[string]digest.Digest{}}
	if err := sp.read(ctx, r); err != nil {
		return nil, err
	}
	var imgs []*loadedImage
	switch {
	case sp.has(archiveManifestFile):
		imgs, err = sp.dockerImages(ctx)
	case sp.has(ociLayoutFile):
		imgs, err = sp.ociImages(ctx, plat)
	default:
		return nil, fmt.Errorf("%w: not an image archive: no manifest.json or oci-layout (archives of Docker before 1.10 are not supported)", ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("%w: the archive holds no image", ErrInvalid)
	}
	return s.commitLoaded(ctx, work, imgs)
}

// commitLoaded stores the blobs of imgs, then tags them, under the lock.
func (s *Store) commitLoaded(ctx context.Context, work string, imgs []*loadedImage) ([]*Image, error) {
	var blobs []tmpBlob
	seen := map[digest.Digest]bool{}
	small := func(b []byte, d digest.Digest) error {
		if seen[d] {
			return nil
		}
		f, err := os.CreateTemp(work, "meta-")
		if err != nil {
			return err
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
		if err := finishFile(f); err != nil {
			return err
		}
		seen[d] = true
		blobs = append(blobs, tmpBlob{f.Name(), d})
		return nil
	}
	for _, li := range imgs {
		if err := small(li.manifest, li.desc.Digest); err != nil {
			return nil, err
		}
		if err := small(li.config, li.cfgDigest); err != nil {
			return nil, err
		}
		for _, l := range li.layers {
			if seen[l.digest] {
				continue
			}
			// Spooled files were closed without fsync: sync the ones kept.
			if err := syncFile(l.path); err != nil {
				return nil, err
			}
			seen[l.digest] = true
			blobs = append(blobs, tmpBlob{l.path, l.digest})
		}
	}
	names := map[digest.Digest][]string{}
	err := s.lock(func() (retErr error) {
		if err := ctx.Err(); err != nil {
			return err
		}
		var added []string
		defer func() {
			if retErr != nil {
				for _, p := range added {
					os.Remove(p)
				}
			}
		}()
		if err := s.commitBlobs(blobs, &added); err != nil {
			return err
		}
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		for _, li := range imgs {
			if len(li.names) == 0 {
				setTag(idx, li.desc, "")
			}
			for _, n := range li.names {
				if !slices.ContainsFunc(idx.Manifests, func(d ocispec.Descriptor) bool {
					return d.Digest == li.desc.Digest && refName(d) == n
				}) {
					setTag(idx, li.desc, n) // else a no-op that would reorder the index
				}
			}
		}
		if err := s.writeIndex(idx); err != nil {
			return err
		}
		for _, e := range entries(idx) {
			names[e.desc.Digest] = e.names
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Image, 0, len(imgs))
	for _, li := range imgs {
		img, err := s.load(&entry{desc: li.desc, names: names[li.desc.Digest]})
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, nil
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// dockerImages reads the images of manifest.json.
func (sp *spool) dockerImages(ctx context.Context) ([]*loadedImage, error) {
	b, err := sp.readName(archiveManifestFile)
	if err != nil {
		return nil, err
	}
	var items []dockerManifestItem
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", archiveManifestFile, ErrInvalid, err)
	}
	candidates := sp.layoutManifests()
	var out []*loadedImage
	byDigest := map[digest.Digest]*loadedImage{}
	for i, it := range items {
		li, err := sp.dockerImage(ctx, it, candidates)
		if err != nil {
			return nil, fmt.Errorf("%s: image %d: %w", archiveManifestFile, i, err)
		}
		if prev := byDigest[li.desc.Digest]; prev != nil {
			for _, n := range li.names {
				if !slices.Contains(prev.names, n) {
					prev.names = append(prev.names, n)
				}
			}
			continue
		}
		byDigest[li.desc.Digest] = li
		out = append(out, li)
	}
	return out, nil
}

func (sp *spool) dockerImage(ctx context.Context, it dockerManifestItem, candidates []layoutManifest) (*loadedImage, error) {
	if it.Config == "" {
		return nil, fmt.Errorf("%w: no config", ErrInvalid)
	}
	cb, err := sp.readName(it.Config)
	if err != nil {
		return nil, err
	}
	cfg, err := parseConfig(cb, len(it.Layers))
	if err != nil {
		return nil, err
	}
	li := &loadedImage{config: cb, cfgDigest: digest.FromBytes(cb)}
	var descs []ocispec.Descriptor
	for i, name := range it.Layers {
		f, err := sp.lookup(name)
		if err != nil {
			return nil, err
		}
		mt, err := sniffLayer(f)
		if err != nil {
			return nil, err
		}
		if err := sp.checkDiffID(ctx, f, mt, cfg.RootFS.DiffIDs[i]); err != nil {
			return nil, err
		}
		li.layers = append(li.layers, f)
		descs = append(descs, ocispec.Descriptor{MediaType: mt, Digest: f.digest, Size: f.size})
	}
	for _, t := range it.RepoTags {
		r, err := reference.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("%w: RepoTags: %w", ErrInvalid, err)
		}
		if r.Digest != "" {
			return nil, fmt.Errorf("%w: RepoTags: %q has a digest", ErrInvalid, t)
		}
		if n := r.String(); !slices.Contains(li.names, n) {
			li.names = append(li.names, n)
		}
	}
	// Keep the layout's manifest when it describes this image.
	for _, c := range candidates {
		if c.m.Config.Digest == li.cfgDigest && c.m.Config.Size == int64(len(cb)) && sameLayers(c.m.Layers, descs) {
			li.manifest, li.desc = c.b, c.desc
			break
		}
	}
	if li.manifest == nil {
		m := ocispec.Manifest{
			Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest,
			Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: li.cfgDigest, Size: int64(len(cb))},
			Layers:    descs,
		}
		if li.manifest, err = json.Marshal(m); err != nil {
			return nil, err
		}
		li.desc = ocispec.Descriptor{MediaType: m.MediaType, Digest: digest.FromBytes(li.manifest), Size: int64(len(li.manifest))}
	}
	li.desc.Annotations = nil
	li.desc.Platform = &ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	return li, nil
}

// sameLayers reports whether a layout manifest's layers are the files of
// a Docker archive's image, with media types that say the same
// compression.
func sameLayers(m, files []ocispec.Descriptor) bool {
	return slices.EqualFunc(m, files, func(a, b ocispec.Descriptor) bool {
		return a.Digest == b.Digest && a.Size == b.Size &&
			layerCompression(a.MediaType) != "" && layerCompression(a.MediaType) == layerCompression(b.MediaType)
	})
}

// layoutManifest is an image manifest found in an archive's OCI layout.
type layoutManifest struct {
	desc ocispec.Descriptor
	b    []byte
	m    ocispec.Manifest
}

// layoutManifests returns the image manifests that the index.json of a
// Docker archive names directly; what cannot be read is left out (Docker
// ignores the layout).
func (sp *spool) layoutManifests() []layoutManifest {
	if !sp.has(ociLayoutFile) || !sp.has(indexFile) {
		return nil
	}
	b, err := sp.readName(indexFile)
	if err != nil {
		return nil
	}
	var idx ocispec.Index
	if json.Unmarshal(b, &idx) != nil {
		return nil
	}
	var out []layoutManifest
	for _, d := range idx.Manifests {
		if !isManifestType(d.MediaType) {
			continue
		}
		mb, err := sp.readBlob(d)
		if err != nil {
			continue
		}
		var m ocispec.Manifest
		if json.Unmarshal(mb, &m) != nil || m.SchemaVersion != 2 || (m.MediaType != "" && m.MediaType != d.MediaType) {
			continue
		}
		if mt := m.Config.MediaType; mt != ocispec.MediaTypeImageConfig && mt != mediaTypeDockerConfig {
			continue
		}
		out = append(out, layoutManifest{desc: ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}, b: mb, m: m})
	}
	return out
}

// ociImages reads the images of an OCI layout's index.json.
func (sp *spool) ociImages(ctx context.Context, plat ocispec.Platform) ([]*loadedImage, error) {
	b, err := sp.readName(ociLayoutFile)
	if err != nil {
		return nil, err
	}
	var layout ocispec.ImageLayout
	if err := json.Unmarshal(b, &layout); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", ociLayoutFile, ErrInvalid, err)
	}
	if layout.Version != ocispec.ImageLayoutVersion {
		return nil, fmt.Errorf("%s: %w: version %q, want %q", ociLayoutFile, ErrInvalid, layout.Version, ocispec.ImageLayoutVersion)
	}
	if b, err = sp.readName(indexFile); err != nil {
		return nil, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", indexFile, ErrInvalid, err)
	}
	if idx.SchemaVersion != 2 {
		return nil, fmt.Errorf("%s: %w: schema version %d", indexFile, ErrInvalid, idx.SchemaVersion)
	}
	var out []*loadedImage
	byDigest := map[digest.Digest]*loadedImage{}
	for _, d := range idx.Manifests {
		md := d
		switch {
		case isManifestType(d.MediaType):
		case d.MediaType == ocispec.MediaTypeImageIndex || d.MediaType == mediaTypeDockerManifestList:
			if md, err = sp.pickPlatform(d, plat); err != nil {
				return nil, fmt.Errorf("%s: %w", indexFile, err)
			}
		default:
			continue // not an image (an artifact): not ours to load
		}
		li := byDigest[md.Digest]
		if li == nil {
			if li, err = sp.ociImage(ctx, md); err != nil {
				return nil, fmt.Errorf("%s: manifest %s: %w", indexFile, md.Digest, err)
			}
			byDigest[md.Digest] = li
			out = append(out, li)
		}
		name, err := layoutName(d.Annotations)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", indexFile, err)
		}
		if name != "" && !slices.Contains(li.names, name) {
			li.names = append(li.names, name)
		}
	}
	return out, nil
}

// layoutName returns the full tag that a descriptor's annotations give
// an image, or "" (see Load).
func layoutName(ann map[string]string) (string, error) {
	if n := ann[annotationImageName]; n != "" {
		r, err := reference.Parse(n)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrInvalid, annotationImageName, err)
		}
		if r.Digest != "" {
			return "", fmt.Errorf("%w: %s %q has a digest", ErrInvalid, annotationImageName, n)
		}
		return r.String(), nil
	}
	if n := ann[ocispec.AnnotationRefName]; strings.ContainsAny(n, "/:") {
		if r, err := reference.Parse(n); err == nil && r.Digest == "" {
			return r.String(), nil
		}
	}
	return "", nil
}

// pickPlatform returns the descriptor of the manifest for plat in the
// image index d: the first that matches among those present in the
// archive (attestations left out), or the only one, when it says no
// platform.
func (sp *spool) pickPlatform(d ocispec.Descriptor, plat ocispec.Platform) (ocispec.Descriptor, error) {
	b, err := sp.readBlob(d)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("index %s: %w: %w", d.Digest, ErrInvalid, err)
	}
	var present []ocispec.Descriptor
	for _, c := range idx.Manifests {
		if !isManifestType(c.MediaType) || c.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			continue
		}
		if validDigest(c.Digest) != nil || !sp.has(blobName(c.Digest)) {
			continue // other platforms are usually left out
		}
		present = append(present, c)
		p := c.Platform
		if p != nil && p.OS == plat.OS && p.Architecture == plat.Architecture && (plat.Variant == "" || p.Variant == plat.Variant) {
			return c, nil
		}
	}
	if len(present) == 1 && present[0].Platform == nil {
		return present[0], nil
	}
	want := plat.OS + "/" + plat.Architecture
	if plat.Variant != "" {
		want += "/" + plat.Variant
	}
	return ocispec.Descriptor{}, fmt.Errorf("index %s: %w: no manifest for %s in the archive", d.Digest, ErrInvalid, want)
}

// ociImage reads and checks an image manifest of the layout, its config
// and layers.
func (sp *spool) ociImage(ctx context.Context, md ocispec.Descriptor) (*loadedImage, error) {
	mb, err := sp.readBlob(md)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if m.SchemaVersion != 2 || (m.MediaType != "" && m.MediaType != md.MediaType) {
		return nil, fmt.Errorf("%w: schema %d media type %q, index says %q", ErrInvalid, m.SchemaVersion, m.MediaType, md.MediaType)
	}
	if mt := m.Config.MediaType; mt != ocispec.MediaTypeImageConfig && mt != mediaTypeDockerConfig {
		return nil, fmt.Errorf("%w: config media type %q", ErrInvalid, mt)
	}
	cb, err := sp.readBlob(m.Config)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := parseConfig(cb, len(m.Layers))
	if err != nil {
		return nil, err
	}
	li := &loadedImage{
		desc:      ocispec.Descriptor{MediaType: md.MediaType, Digest: md.Digest, Size: md.Size},
		manifest:  mb,
		config:    cb,
		cfgDigest: m.Config.Digest,
	}
	for i, l := range m.Layers {
		if layerCompression(l.MediaType) == "" {
			return nil, fmt.Errorf("%w: layer %s: unsupported media type %q", ErrInvalid, l.Digest, l.MediaType)
		}
		f, err := sp.blob(l)
		if err != nil {
			return nil, fmt.Errorf("layer: %w", err)
		}
		if err := sp.checkDiffID(ctx, f, l.MediaType, cfg.RootFS.DiffIDs[i]); err != nil {
			return nil, err
		}
		li.layers = append(li.layers, f)
	}
	li.desc.Platform = &ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	return li, nil
}
