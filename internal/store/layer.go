package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxParallelUnpack bounds the layers LayerDirs unpacks at once.
const maxParallelUnpack = 4

// LayerDirs returns the absolute paths of the unpacked layers of img,
// layers/<chain id>/diff, bottom to top, as overlayfs lower directories
// want them (reversed). A layer not yet unpacked is unpacked from its blob
// (gzip or plain tar, by media type), checked against its diff ID: in tmp/
// without the lock, then renamed into place under it. When another
// goroutine or process unpacks the same layer at once, both succeed and one
// copy is kept. The blob is verified against its digest while it is read.
func (s *Store) LayerDirs(ctx context.Context, img *Image) ([]string, error) {
	diffIDs := img.Config.RootFS.DiffIDs
	if len(diffIDs) != len(img.Manifest.Layers) {
		return nil, fmt.Errorf("layers of %s: %w: %d diff IDs for %d layers", img.ID, ErrInvalid, len(diffIDs), len(img.Manifest.Layers))
	}
	for i := range diffIDs {
		if err := validDigest(diffIDs[i]); err != nil {
			return nil, fmt.Errorf("layers of %s: %w", img.ID, err)
		}
		if err := validDigest(img.Manifest.Layers[i].Digest); err != nil {
			return nil, fmt.Errorf("layers of %s: %w", img.ID, err)
		}
	}
	chains := chainIDs(diffIDs)
	dirs := make([]string, len(chains))
	errs := make([]error, len(chains))
	sem := make(chan struct{}, maxParallelUnpack)
	var wg sync.WaitGroup
	for i, c := range chains {
		dirs[i] = filepath.Join(s.layerPath(c), diffDir)
		if _, err := os.Lstat(dirs[i]); err == nil {
			continue
		}
		var parent digest.Digest
		if i > 0 {
			parent = chains[i-1]
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := s.unpackLayer(ctx, img.Manifest.Layers[i], diffIDs[i], c, parent); err != nil {
				errs[i] = fmt.Errorf("layer %s: %w", img.Manifest.Layers[i].Digest, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("layers of %s: %w", img.ID, err)
	}
	return dirs, nil
}

// unpackLayer unpacks the blob of desc into layers/<chain>.
func (s *Store) unpackLayer(ctx context.Context, desc ocispec.Descriptor, diffID, chain, parent digest.Digest) error {
	work, err := os.MkdirTemp(s.path("tmp"), "unpack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	layerDir := filepath.Join(work, "layer")
	if err := mkdirLayer(layerDir); err != nil {
		return err
	}
	rc, err := s.OpenBlob(desc.Digest)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := applyLayer(ctx, desc.MediaType, rc, filepath.Join(layerDir, diffDir), diffID); err != nil {
		return err
	}
	if err := writeLayerMeta(layerDir, chain, diffID, parent); err != nil {
		return err
	}
	return s.lock(func() error {
		_, err := s.commitLayer(layerDir, chain)
		return err
	})
}
