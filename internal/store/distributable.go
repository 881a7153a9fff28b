package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Distributable returns img in the form a registry should get: every
// uncompressed layer (those that Import and Commit write, and the
// layer.tar files of Docker archives) replaced by its gzip form. An image
// that has none is returned as it is.
//
// The conversion is done once and kept: the gzip blobs are added, and the
// image's descriptors in index.json (its tags, or its untagged entry) move
// to the new manifest. Its ID (the config digest) does not change; its
// manifest digest does, as an image built by Docker has its digest only
// once pushed. A layer that another image of the store already has in gzip
// form is not compressed again. The uncompressed blobs stay while other
// images use them; Prune removes them after. On error nothing changes;
// ErrNotFound if the image was removed meanwhile.
func (s *Store) Distributable(ctx context.Context, img *Image) (*Image, error) {
	if !slices.ContainsFunc(img.Manifest.Layers, isPlainLayer) {
		return img, nil
	}
	out, err := s.distributable(ctx, img)
	if err != nil {
		return nil, fmt.Errorf("compress layers of %s: %w", img.ID, err)
	}
	return out, nil
}

func isPlainLayer(d ocispec.Descriptor) bool { return d.MediaType == ocispec.MediaTypeImageLayer }

func (s *Store) distributable(ctx context.Context, img *Image) (*Image, error) {
	diffIDs := img.Config.RootFS.DiffIDs
	if len(diffIDs) != len(img.Manifest.Layers) {
		return nil, fmt.Errorf("%w: %d layers, %d diff IDs", ErrInvalid, len(img.Manifest.Layers), len(diffIDs))
	}
	known, err := s.gzipLayers()
	if err != nil {
		return nil, err
	}
	man := img.Manifest
	man.Layers = slices.Clone(man.Layers)
	var blobs []tmpBlob
	defer func() {
		for _, b := range blobs {
			os.Remove(b.tmp) // no-op once renamed
		}
	}()
	for i, l := range man.Layers {
		if !isPlainLayer(l) {
			continue
		}
		if d, ok := known[diffIDs[i]]; ok {
			man.Layers[i] = d
			continue
		}
		tmp, d, n, err := s.gzipBlob(ctx, l.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Digest, err)
		}
		blobs = append(blobs, tmpBlob{tmp, d})
		man.Layers[i] = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: d, Size: n}
		known[diffIDs[i]] = man.Layers[i]
	}
	manBytes, err := json.Marshal(man)
	if err != nil {
		return nil, err
	}
	manTmp, manDigest, manSize, err := s.writeTmpBlob(ctx, bytes.NewReader(manBytes), digest.SHA256, -1)
	if err != nil {
		return nil, err
	}
	blobs = append(blobs, tmpBlob{manTmp, manDigest})

	var names []string
	err = s.lock(func() (retErr error) {
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		moved := false
		for i, d := range idx.Manifests {
			if d.Digest == img.Digest {
				idx.Manifests[i].Digest, idx.Manifests[i].Size = manDigest, manSize
				idx.Manifests[i].MediaType = ocispec.MediaTypeImageManifest
				moved = true
			}
		}
		if !moved {
			return fmt.Errorf("image %s: %w", img.ID, ErrNotFound)
		}
		var added []string
		defer func() {
			if retErr != nil {
				for _, p := range added {
					os.RemoveAll(p)
				}
			}
		}()
		if err := s.commitBlobs(blobs, &added); err != nil {
			return err
		}
		if err := s.writeIndex(idx); err != nil {
			return err
		}
		names = namesOf(idx, manDigest)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := *img
	out.Digest, out.ManifestSize, out.Manifest, out.Names = manDigest, manSize, man, names
	out.Size = layersSize(man.Layers)
	return &out, nil
}

// gzipLayers maps the diff IDs of the gzip layers of the store's images to
// their descriptors: the layers that need no compressing.
func (s *Store) gzipLayers() (map[digest.Digest]ocispec.Descriptor, error) {
	imgs, err := s.Images()
	if err != nil {
		return nil, err
	}
	m := map[digest.Digest]ocispec.Descriptor{}
	for _, img := range imgs {
		for i, l := range img.Manifest.Layers {
			if l.MediaType == ocispec.MediaTypeImageLayerGzip && i < len(img.Config.RootFS.DiffIDs) && s.HasBlob(l.Digest) {
				m[img.Config.RootFS.DiffIDs[i]] = l
			}
		}
	}
	return m, nil
}

// gzipBlob writes the gzip form of the blob d (verified as it is read) to
// a new file in tmp/ and returns it with its digest and size. Go's gzip
// writes the same bytes for the same input, so a layer compressed twice
// gets one digest.
func (s *Store) gzipBlob(ctx context.Context, d digest.Digest) (string, digest.Digest, int64, error) {
	rc, err := s.OpenBlob(d)
	if err != nil {
		return "", "", 0, err
	}
	defer rc.Close()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed) // a valid level: no error
		_, err := io.Copy(zw, rc)
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	tmp, gd, n, err := s.writeTmpBlob(ctx, pr, digest.SHA256, -1)
	pr.CloseWithError(fmt.Errorf("compression stopped"))
	<-done
	return tmp, gd, n, err
}
