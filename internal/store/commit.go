package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/go-dock/dock/internal/archive"
	"github.com/go-dock/dock/internal/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Commit makes a new image of the layers of parent (nil: none, an image
// "FROM scratch") plus one layer read from layerTar, an uncompressed tar
// (nil: no new layer, a change of the configuration only), with the
// configuration cfg, and tags it ref ("" leaves it untagged), as
// "docker commit" and each step of a build do.
//
// cfg is taken as the caller made it (history, created time, runtime
// configuration), except its rootfs: Commit sets it to parent's diff IDs
// plus the new layer's. layerTar is read once: it is hashed, unpacked into
// the layer directory and written, uncompressed, to the layer blob as it
// arrives, as in Import. On error nothing visible changes.
//
// parent is recorded as the new image's parent (see the package comment).
// lease, if not nil, holds the new image from the moment it exists: a
// build passes its lease so that a concurrent prune cannot delete a step's
// image before the next step makes its child.
func (s *Store) Commit(ctx context.Context, parent *Image, layerTar io.Reader, cfg Config, ref string, lease *Lease) (*Image, error) {
	img, err := s.commit(ctx, parent, layerTar, cfg, ref, lease)
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return img, nil
}

func (s *Store) commit(ctx context.Context, parent *Image, layerTar io.Reader, cfg Config, ref string, lease *Lease) (*Image, error) {
	var tag string
	if ref != "" {
		r, err := reference.Parse(ref)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if r.Digest != "" {
			return nil, fmt.Errorf("%w: %q: cannot tag with a digest", ErrInvalid, ref)
		}
		tag = r.String()
	}
	var layers []ocispec.Descriptor
	var diffIDs []digest.Digest
	var parentChain, parentID digest.Digest
	if parent != nil {
		parentID = parent.ID
		layers = slices.Clone(parent.Manifest.Layers)
		diffIDs = slices.Clone(parent.Config.RootFS.DiffIDs)
		if len(layers) != len(diffIDs) {
			return nil, fmt.Errorf("%w: parent image %s: %d layers, %d diff IDs", ErrInvalid, parent.ID, len(layers), len(diffIDs))
		}
		for _, l := range layers {
			if !s.HasBlob(l.Digest) {
				return nil, fmt.Errorf("parent image %s: layer %s: %w", parent.ID, l.Digest, ErrNotFound)
			}
		}
		if chains := parent.ChainIDs(); len(chains) > 0 {
			parentChain = chains[len(chains)-1]
		}
	}
	cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}
	if layerTar == nil {
		return s.storeImage(ctx, cfg, layers, "", "", "", tag, parentID, lease)
	}

	work, err := os.MkdirTemp(s.path("tmp"), "commit-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	l, err := spoolLayer(ctx, work, layerTar, parentChain, archive.Options{})
	if err != nil {
		return nil, err
	}
	cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
	layers = append(layers, l.desc)
	return s.storeImage(ctx, cfg, layers, l.blob, l.dir, l.chain, tag, parentID, lease)
}
