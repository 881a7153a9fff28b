package store

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"time"

	"github.com/go-dock/dock/internal/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ArchiveFormat is the layout of an image archive written by Save.
type ArchiveFormat int

const (
	// DockerArchive is what "docker save" of Docker 25 writes: an OCI
	// image layout (oci-layout, index.json, blobs/) plus Docker's
	// manifest.json and repositories, whose paths point into blobs/.
	// "docker load" of every version since 1.10 reads it through
	// manifest.json (it opens the files manifest.json names, wherever they
	// are, and decompresses layers), and OCI tools read it as a layout.
	DockerArchive ArchiveFormat = iota
	// OCIArchive is an OCI image layout in a tar (skopeo's and podman's
	// "oci-archive"): oci-layout, index.json and blobs/ only.
	OCIArchive
)

// String returns "docker-archive" or "oci-archive".
func (f ArchiveFormat) String() string {
	switch f {
	case DockerArchive:
		return "docker-archive"
	case OCIArchive:
		return "oci-archive"
	}
	return fmt.Sprintf("ArchiveFormat(%d)", int(f))
}

// SaveOptions configure Save. The zero value writes a DockerArchive.
type SaveOptions struct {
	Format ArchiveFormat
}

// The files of an archive besides its blobs.
const (
	archiveManifestFile     = "manifest.json"
	archiveRepositoriesFile = "repositories"
	// annotationImageName is containerd's (and Docker 25's) annotation
	// with the full image name; Docker with the containerd image store
	// names loaded images by it.
	annotationImageName = "io.containerd.image.name"
)

// dockerManifestItem is one image of a Docker archive's manifest.json.
type dockerManifestItem struct {
	Config   string
	RepoTags []string
	Layers   []string
	// Parent and LayerSources are written by Docker and ignored here.
	Parent       string                               `json:",omitempty"`
	LayerSources map[digest.Digest]ocispec.Descriptor `json:",omitempty"`
}

// savedImage is an image to save with the tags (full names) to save it
// under.
type savedImage struct {
	img       *Image
	mediaType string // of the manifest, as the index says
	tags      []string
}

// Save writes the images that refs name to w as a tar archive in the
// format opt.Format.
//
// A ref that names a tag ("busybox", "busybox:1") saves the image with
// that tag; a bare repository name ("busybox") saves every tag of that
// repository, as "docker save" does, or its "latest" when it has none
// (then the name may also be an image ID prefix); an image ID, ID prefix or digest saves the image untagged. An
// image named several times is saved once, with all the tags named.
//
// Blobs are written as stored (layers gzip-compressed as imported or
// pulled), each once. The output is deterministic: the entries are sorted,
// with fixed owners, modes and times (the Unix epoch), so two saves of the
// same refs are byte-identical. Every blob is verified against its digest
// while it is copied; on error the output is incomplete and must be
// discarded. Save reads the store without its lock: an image removed
// meanwhile makes Save fail. An empty refs, or a malformed ref, is an
// error wrapping ErrInvalid; an unknown one wraps ErrNotFound.
func (s *Store) Save(ctx context.Context, w io.Writer, refs []string, opt SaveOptions) error {
	if err := s.save(ctx, w, refs, opt); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

func (s *Store) save(ctx context.Context, w io.Writer, refs []string, opt SaveOptions) error {
	if opt.Format != DockerArchive && opt.Format != OCIArchive {
		return fmt.Errorf("%w: unknown archive format %d", ErrInvalid, int(opt.Format))
	}
	imgs, err := s.saveSet(refs)
	if err != nil {
		return err
	}
	files := map[string]archiveFile{}
	addBlob := func(d ocispec.Descriptor) error {
		if err := validDigest(d.Digest); err != nil {
			return err
		}
		files[blobName(d.Digest)] = archiveFile{blob: d.Digest, size: d.Size}
		return nil
	}
	idx := newIndex()
	var items []dockerManifestItem
	repos := map[string]map[string]string{}
	for _, si := range imgs {
		img := si.img
		mb, err := s.ReadBlob(img.Digest)
		if err != nil {
			return err
		}
		files[blobName(img.Digest)] = archiveFile{data: mb}
		if err := addBlob(img.Manifest.Config); err != nil {
			return err
		}
		item := dockerManifestItem{Config: blobName(img.Manifest.Config.Digest)}
		for _, l := range img.Manifest.Layers {
			if err := addBlob(l); err != nil {
				return err
			}
			item.Layers = append(item.Layers, blobName(l.Digest))
		}
		desc := ocispec.Descriptor{
			MediaType: si.mediaType,
			Digest:    img.Digest,
			Size:      int64(len(mb)),
			Platform:  &ocispec.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant},
		}
		if len(si.tags) == 0 {
			idx.Manifests = append(idx.Manifests, desc)
		}
		for _, name := range si.tags {
			r, err := reference.Parse(name)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			d := desc
			d.Annotations = map[string]string{
				annotationImageName:       r.String(),
				ocispec.AnnotationRefName: r.Familiar(),
			}
			idx.Manifests = append(idx.Manifests, d)
			item.RepoTags = append(item.RepoTags, r.Familiar())
			if n := len(item.Layers); n > 0 {
				if repos[r.FamiliarName()] == nil {
					repos[r.FamiliarName()] = map[string]string{}
				}
				repos[r.FamiliarName()][r.Tag] = img.Manifest.Layers[n-1].Digest.Encoded()
			}
		}
		items = append(items, item)
	}
	layout, err := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	if err != nil {
		return err
	}
	files[ociLayoutFile] = archiveFile{data: layout}
	if files[indexFile], err = jsonFile(idx); err != nil {
		return err
	}
	if opt.Format == DockerArchive {
		if files[archiveManifestFile], err = jsonFile(items); err != nil {
			return err
		}
		if len(repos) > 0 {
			if files[archiveRepositoriesFile], err = jsonFile(repos); err != nil {
				return err
			}
		}
	}
	return s.writeArchive(ctx, w, files)
}

// saveSet resolves the refs of Save into images, in the order they are
// first named, with their tags.
func (s *Store) saveSet(refs []string) ([]*savedImage, error) {
	if len(refs) == 0 {
		return nil, fmt.Errorf("%w: no image named", ErrInvalid)
	}
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var out []*savedImage
	byDigest := map[digest.Digest]*savedImage{}
	add := func(e *entry, tag string) error {
		si := byDigest[e.desc.Digest]
		if si == nil {
			img, err := s.load(e)
			if err != nil {
				return err
			}
			si = &savedImage{img: img, mediaType: e.desc.MediaType}
			byDigest[e.desc.Digest] = si
			out = append(out, si)
		}
		if tag != "" && !slices.Contains(si.tags, tag) {
			si.tags = append(si.tags, tag)
		}
		return nil
	}
	for _, ref := range refs {
		// A bare repository name saves all its tags, as in Docker.
		if r, err := reference.ParseNoDefaultTag(ref); err == nil && r.Tag == "" && r.Digest == "" {
			found := false
			for _, e := range entries(idx) {
				for _, n := range e.names {
					if nr, err := reference.Parse(n); err == nil && nr.Name() == r.Name() {
						if err := add(e, n); err != nil {
							return nil, fmt.Errorf("image %q: %w", ref, err)
						}
						found = true
					}
				}
			}
			if found {
				continue
			}
		}
		e, byName, err := s.find(idx, ref)
		if err != nil {
			return nil, err
		}
		if err := add(e, byName); err != nil {
			return nil, fmt.Errorf("image %q: %w", ref, err)
		}
	}
	return out, nil
}

// archiveFile is one file of an archive to write: data, or the blob of
// that digest and size.
type archiveFile struct {
	data []byte
	blob digest.Digest
	size int64
}

func jsonFile(v any) (archiveFile, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return archiveFile{}, err
	}
	return archiveFile{data: b}, nil
}

// blobName is the path of a blob in an OCI layout.
func blobName(d digest.Digest) string {
	return path.Join("blobs", d.Algorithm().String(), d.Encoded())
}

// archiveTime is the time of every entry Save writes.
var archiveTime = time.Unix(0, 0)

// writeArchive writes files as a tar, sorted by name, with the
// directories of blobs/ before them.
func (s *Store) writeArchive(ctx context.Context, w io.Writer, files map[string]archiveFile) error {
	names := make([]string, 0, len(files))
	dirs := map[string]bool{}
	for n := range files {
		names = append(names, n)
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	for d := range dirs {
		names = append(names, d)
	}
	slices.Sort(names)
	tw := tar.NewWriter(w)
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr := &tar.Header{Name: n, Mode: 0o644, ModTime: archiveTime, Typeflag: tar.TypeReg}
		if dirs[n] {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			continue
		}
		f := files[n]
		if f.blob == "" {
			hdr.Size = int64(len(f.data))
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if _, err := tw.Write(f.data); err != nil {
				return err
			}
			continue
		}
		if err := s.copyBlob(ctx, tw, hdr, f); err != nil {
			return err
		}
	}
	return tw.Close()
}

// copyBlob writes the blob of f into tw, verified.
func (s *Store) copyBlob(ctx context.Context, tw *tar.Writer, hdr *tar.Header, f archiveFile) error {
	st, err := os.Stat(s.blobPath(f.blob))
	if err != nil {
		return fmt.Errorf("blob %s: %w", f.blob, notFound(err))
	}
	if st.Size() != f.size {
		return fmt.Errorf("blob %s: %w: size %d, manifest says %d", f.blob, ErrInvalid, st.Size(), f.size)
	}
	rc, err := s.OpenBlob(f.blob)
	if err != nil {
		return err
	}
	defer rc.Close()
	hdr.Size = f.size
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	// The size is checked by the tar writer; the digest by rc at its end.
	if _, err := io.Copy(tw, ctxReader{ctx, rc}); err != nil {
		return err
	}
	return nil
}
