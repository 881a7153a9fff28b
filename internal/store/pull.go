package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-dock/dock/internal/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The store side of a pull: the engine fetches the config with PutBlob,
// streams each layer through PutLayerStream (or UnpackLayer when its blob
// is here already), and then commits the manifest and the tag with
// CommitImage. Until CommitImage, what a pull has put is reachable from no
// image: a pull that fails or is killed leaves verified blobs and layers
// that the next pull reuses, or that Prune removes after TmpGrace.

// ChainID returns the chain ID of a layer of diff ID diffID over the layer
// of chain ID parent ("" for the bottom layer), as the OCI spec defines it.
func ChainID(parent, diffID digest.Digest) digest.Digest {
	if parent == "" {
		return diffID
	}
	return digest.FromString(string(parent) + " " + string(diffID))
}

// HasBlob reports whether the blob d is in the store. A malformed d is not.
func (s *Store) HasBlob(d digest.Digest) bool {
	if validDigest(d) != nil {
		return false
	}
	_, err := os.Lstat(s.blobPath(d))
	return err == nil
}

// HasLayer reports whether the layer blob d and the unpacked layer of chain
// ID chain are both in the store, so that a pull has nothing to do for it.
func (s *Store) HasLayer(d, chain digest.Digest) bool {
	if !s.HasBlob(d) || validDigest(chain) != nil {
		return false
	}
	_, err := os.Lstat(filepath.Join(s.layerPath(chain), diffDir))
	return err == nil
}

// PutLayerStream stores the layer blob desc, whose bytes r yields (from a
// registry: untrusted), and unpacks it as the layer of diff ID diffID over
// the layer of chain ID parent ("" for the bottom layer). It returns the
// layer's chain ID.
//
// r is read once, and never held in memory: its bytes go to a file in tmp/
// and, at the same time, through the decompressor (by desc.MediaType:
// gzip, zstd or none) into a layer directory in tmp/. At the end of r, the blob's
// size and digest are checked against desc and the uncompressed stream's
// digest against diffID; then, under the lock, the blob and the layer
// directory are renamed into place. When the blob or the layer is there
// already (another pull, in this process or another, got there first), the
// existing one is kept and the new copy removed: concurrent puts of one
// layer all succeed. When the layer directory exists before the call, the
// stream is still decompressed and checked against diffID, but not
// unpacked.
//
// On error nothing visible changes and tmp/ holds nothing of the call.
// Bytes that do not match desc or diffID, unsupported media types and
// malformed or unsafe archives are errors wrapping ErrInvalid. ctx is
// checked between reads. It is safe for concurrent use.
func (s *Store) PutLayerStream(ctx context.Context, desc ocispec.Descriptor, diffID, parent digest.Digest, r io.Reader) (digest.Digest, error) {
	chain, err := s.putLayerStream(ctx, desc, diffID, parent, r)
	if err != nil {
		return "", fmt.Errorf("put layer %s: %w", desc.Digest, err)
	}
	return chain, nil
}

func (s *Store) putLayerStream(ctx context.Context, desc ocispec.Descriptor, diffID, parent digest.Digest, r io.Reader) (digest.Digest, error) {
	chain, err := checkLayer(desc, diffID, parent)
	if err != nil {
		return "", err
	}
	work, err := os.MkdirTemp(s.path("tmp"), "pull-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	blob, err := os.CreateTemp(work, "blob-")
	if err != nil {
		return "", err
	}
	defer blob.Close() // after finishFile, a no-op that fails
	layerDir := filepath.Join(work, "layer")
	unpack := ""
	if _, err := os.Lstat(filepath.Join(s.layerPath(chain), diffDir)); err != nil {
		if err := mkdirLayer(layerDir); err != nil {
			return "", err
		}
		unpack = filepath.Join(layerDir, diffDir)
	}
	h := desc.Digest.Algorithm().Hash()
	var n countWriter
	// At most one byte past desc.Size is read, so that a longer blob fails
	// without being read to its end.
	src := io.TeeReader(io.LimitReader(r, desc.Size+1), io.MultiWriter(blob, h, &n))
	applyErr := applyLayer(ctx, desc.MediaType, src, unpack, diffID)
	switch {
	case applyErr != nil && ctx.Err() != nil:
		return "", ctx.Err()
	case int64(n) > desc.Size:
		return "", fmt.Errorf("%w: blob longer than its size %d", ErrInvalid, desc.Size)
	case applyErr != nil:
		return "", applyErr
	case int64(n) != desc.Size:
		return "", fmt.Errorf("%w: blob has %d bytes, want %d", ErrInvalid, n, desc.Size)
	}
	if got := digest.NewDigest(desc.Digest.Algorithm(), h); got != desc.Digest {
		return "", fmt.Errorf("%w: blob has digest %s", ErrInvalid, got)
	}
	if err := finishFile(blob); err != nil {
		return "", err
	}
	if unpack != "" {
		if err := writeLayerMeta(layerDir, chain, diffID, parent); err != nil {
			return "", err
		}
	}
	err = s.lock(func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := s.commitBlob(blob.Name(), desc.Digest); err != nil {
			return err
		}
		if unpack != "" {
			if _, err := s.commitLayer(layerDir, chain); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return chain, nil
}

// UnpackLayer unpacks the stored blob desc as the layer of diff ID diffID
// over the layer of chain ID parent, unless that layer is unpacked already,
// and returns its chain ID. The blob is verified as it is read. It is
// LayerDirs for one layer: safe for concurrent use, and concurrent unpacks
// of one layer all succeed.
func (s *Store) UnpackLayer(ctx context.Context, desc ocispec.Descriptor, diffID, parent digest.Digest) (digest.Digest, error) {
	chain, err := checkLayer(desc, diffID, parent)
	if err != nil {
		return "", fmt.Errorf("unpack layer %s: %w", desc.Digest, err)
	}
	if _, err := os.Lstat(filepath.Join(s.layerPath(chain), diffDir)); err == nil {
		return chain, nil
	}
	if err := s.unpackLayer(ctx, desc, diffID, chain, parent); err != nil {
		return "", fmt.Errorf("unpack layer %s: %w", desc.Digest, err)
	}
	return chain, nil
}

// checkLayer validates what names paths and returns the chain ID.
func checkLayer(desc ocispec.Descriptor, diffID, parent digest.Digest) (digest.Digest, error) {
	for _, d := range []digest.Digest{desc.Digest, diffID} {
		if err := validDigest(d); err != nil {
			return "", err
		}
	}
	if parent != "" {
		if err := validDigest(parent); err != nil {
			return "", err
		}
	}
	if desc.Size < 0 {
		return "", fmt.Errorf("%w: size %d", ErrInvalid, desc.Size)
	}
	if layerCompression(desc.MediaType) == "" {
		return "", fmt.Errorf("%w: unsupported layer media type %q", ErrInvalid, desc.MediaType)
	}
	return ChainID(parent, diffID), nil
}

// CommitImage stores manifest, the bytes of an image manifest (OCI or
// Docker schema2) whose config blob, layer blobs and unpacked layers are in
// the store already, and tags the image tag ("repo" or "repo:tag",
// normalized as Docker does; "" adds it untagged unless the store has it
// already). platform goes into the image's index descriptor (nil: none).
// The tag moves off any image that had it; that image stays, untagged.
//
// Everything is checked under the lock, against a concurrent Remove:
// a missing blob or layer is an error wrapping ErrNotFound (pull again),
// a manifest or config that does not hold together one wrapping ErrInvalid.
// On error nothing visible changes. It is safe for concurrent use.
func (s *Store) CommitImage(ctx context.Context, manifest []byte, platform *ocispec.Platform, tag string) (*Image, error) {
	img, err := s.commitImage(ctx, manifest, platform, tag)
	if err != nil {
		return nil, fmt.Errorf("commit image: %w", err)
	}
	return img, nil
}

func (s *Store) commitImage(ctx context.Context, manifest []byte, platform *ocispec.Platform, tag string) (*Image, error) {
	if tag != "" {
		ref, err := reference.Parse(tag)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if ref.Digest != "" {
			return nil, fmt.Errorf("%w: %q: cannot tag with a digest", ErrInvalid, tag)
		}
		tag = ref.String()
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", ErrInvalid, err)
	}
	mt := m.MediaType
	if mt == "" {
		mt = ocispec.MediaTypeImageManifest
	}
	if !isManifestType(mt) {
		return nil, fmt.Errorf("%w: manifest media type %q", ErrInvalid, mt)
	}
	desc := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(manifest), Size: int64(len(manifest)), Platform: platform}
	tmp, _, _, err := s.writeTmpBlob(ctx, bytes.NewReader(manifest), digest.SHA256, int64(len(manifest)))
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp) // no-op once renamed
	var img *Image
	err = s.lock(func() (retErr error) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.checkComplete(&m); err != nil {
			return err
		}
		isNew, err := s.commitBlob(tmp, desc.Digest)
		if err != nil {
			return err
		}
		defer func() {
			if retErr != nil && isNew {
				os.Remove(s.blobPath(desc.Digest))
			}
		}()
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		if tag != "" || !hasManifest(idx.Manifests, desc.Digest) {
			setTag(idx, desc, tag)
			if err := s.writeIndex(idx); err != nil {
				return err
			}
		}
		for _, e := range entries(idx) {
			if e.desc.Digest == desc.Digest {
				img, err = s.load(e)
				return err
			}
		}
		return fmt.Errorf("%w: manifest %s not in the index", ErrInvalid, desc.Digest)
	})
	if err != nil {
		return nil, err
	}
	return img, nil
}

// checkComplete checks that the config, the layer blobs and the unpacked
// layers of m are in the store. Call under the lock.
func (s *Store) checkComplete(m *ocispec.Manifest) error {
	if m.SchemaVersion != 2 {
		return fmt.Errorf("%w: manifest schema version %d", ErrInvalid, m.SchemaVersion)
	}
	cb, err := s.ReadBlob(m.Config.Digest)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if int64(len(cb)) != m.Config.Size {
		return fmt.Errorf("config %s: %w: size %d, manifest says %d", m.Config.Digest, ErrInvalid, len(cb), m.Config.Size)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return fmt.Errorf("config %s: %w: %w", m.Config.Digest, ErrInvalid, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return fmt.Errorf("config %s: %w: %d diff IDs for %d layers", m.Config.Digest, ErrInvalid, len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	var parent digest.Digest
	for i, l := range m.Layers {
		if err := validDigest(cfg.RootFS.DiffIDs[i]); err != nil {
			return fmt.Errorf("config %s: diff ID: %w", m.Config.Digest, err)
		}
		chain := ChainID(parent, cfg.RootFS.DiffIDs[i])
		if !s.HasLayer(l.Digest, chain) {
			return fmt.Errorf("layer %s: %w: blob or unpacked layer missing", l.Digest, ErrNotFound)
		}
		touch(s.blobPath(l.Digest))
		parent = chain
	}
	return nil
}

// IsLayerMediaType reports whether PutLayerStream and LayerDirs unpack
// layers of media type mt (plain, gzip or zstd tar, OCI or Docker).
func IsLayerMediaType(mt string) bool { return layerCompression(mt) != "" }
