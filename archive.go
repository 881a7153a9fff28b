package dock

import (
	"context"
	"io"

	"github.com/go-dock/dock/internal/store"
)

// ArchiveFormat is the layout of an image archive that Save writes.
type ArchiveFormat int

const (
	// DockerArchive, the default, is what "docker save" of Docker 25 and
	// later writes: an OCI image layout (oci-layout, index.json, blobs/)
	// plus Docker's manifest.json and repositories, whose paths point into
	// blobs/. "docker load" of Docker 1.10 and later reads it (through
	// manifest.json), and so do skopeo ("docker-archive:FILE") and the
	// OCI tools (as a layout). Layers are written as stored:
	// gzip-compressed.
	DockerArchive ArchiveFormat = iota
	// OCIArchive is an OCI image layout in a tar, as skopeo and podman
	// write "oci-archive:FILE": oci-layout, index.json and blobs/ only.
	OCIArchive
)

// String returns "docker-archive" or "oci-archive", the names skopeo
// gives the formats.
func (f ArchiveFormat) String() string { return store.ArchiveFormat(f).String() }

// SaveOption configures Save.
type SaveOption func(*saveOptions) error

type saveOptions struct{ store.SaveOptions }

// SaveFormat sets the format of the archive; the default is
// DockerArchive.
func SaveFormat(f ArchiveFormat) SaveOption {
	return func(o *saveOptions) error {
		if f != DockerArchive && f != OCIArchive {
			return invalidf("SaveFormat: unknown format %d", int(f))
		}
		o.Format = store.ArchiveFormat(f)
		return nil
	}
}

// Save writes the images that refs name to w as a tar archive, as
// "docker save" does: by default in the DockerArchive format, which every
// "docker load" since Docker 1.10 reads, or in the format SaveFormat sets.
//
// A ref that names a tag saves the image under that tag; a bare name
// ("busybox") saves every tag of that repository; an image ID or digest
// saves the image untagged. An image named several times is written once.
// In the index of the archive, each tag is one descriptor whose
// "org.opencontainers.image.ref.name" is the tag in Docker's short form
// ("busybox:latest", so that skopeo reads "oci-archive:FILE:busybox:latest")
// and whose "io.containerd.image.name" is the full name
// ("docker.io/library/busybox:latest"), as Docker 25 writes.
//
// The archive holds the blobs as stored, so the image's manifest digest
// and ID are kept; it is deterministic (sorted entries, fixed owners, modes
// and times), so two saves of the same images are byte-identical. Every
// blob is verified while it is copied. On error the output is incomplete
// and must be discarded. An unknown ref gives an error wrapping
// ErrNotFound; no refs or a malformed one, ErrInvalid.
func (e *Engine) Save(ctx context.Context, w io.Writer, refs []string, opts ...SaveOption) error {
	var o saveOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return err
		}
	}
	if err := e.store.Save(ctx, w, refs, o.SaveOptions); err != nil {
		return translate(err)
	}
	for _, ref := range refs {
		if img, err := e.store.Resolve(ref); err == nil {
			e.emitImage("save", img.ID.String(), familiarRef(ref))
		}
	}
	return nil
}

// LoadOption configures Load.
type LoadOption func(*loadOptions) error

type loadOptions struct{ store.LoadOptions }

// LoadPlatform picks, from a multi-platform image in an OCI archive (an
// image index), the manifest for platform "os/arch" or "os/arch/variant"
// ("linux/arm64/v8"; see ParsePlatform). The default is linux on the
// architecture of this program, any variant.
func LoadPlatform(platform string) LoadOption {
	return func(o *loadOptions) error {
		p, err := platformOption("LoadPlatform", platform)
		if err != nil {
			return err
		}
		o.Platform = p
		return nil
	}
}

// Load reads an image archive from r, plain or gzip-compressed, and adds
// its images to the store with their tags, as "docker load" does. It
// returns the images loaded, in archive order.
//
// It reads the archives of "docker save" (Docker 1.10 and later, with
// manifest.json), of Save in either format, and OCI archives (skopeo's and
// podman's "oci-archive"). In an OCI archive, an image is tagged with its
// "io.containerd.image.name" annotation, else with its
// "org.opencontainers.image.ref.name" when that names a repository
// ("busybox:latest"); a bare tag ("latest") names none, and the image
// loads untagged (tag it with Tag). A tag that named another image moves to
// the loaded one, which stays, untagged.
//
// Nothing is stored until the whole archive has been read and checked:
// entry names (no absolute paths, "..", links out of the archive or device
// files), every blob against its digest and size, metadata files against a
// size limit, and every layer's uncompressed digest against the config's
// diff IDs. Layer files of "docker save" before Docker 25 (uncompressed
// layer.tar) are stored as they are, as uncompressed layers; since the
// store then writes a manifest for the image, its ID (the config digest)
// is kept but its manifest digest is new. Images from Save or from an OCI
// archive keep both. Layers are unpacked when a container first needs
// them.
//
// A malformed, hostile or truncated archive gives an error wrapping
// ErrInvalid, and the store is unchanged.
func (e *Engine) Load(ctx context.Context, r io.Reader, opts ...LoadOption) ([]*Image, error) {
	var o loadOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	imgs, err := e.store.Load(ctx, r, o.LoadOptions)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]*Image, len(imgs))
	for i, img := range imgs {
		out[i] = newImage(img)
		e.emitImage("load", img.ID.String(), img.ID.String())
	}
	return out, nil
}
