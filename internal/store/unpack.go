package store

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"

	"github.com/go-dock/dock/internal/archive"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// applyLayer reads r, a layer blob of media type mt (a plain or gzip
// tar), unpacks its tar stream into dir (when dir is not ""), reads both
// streams to their end (the diff ID covers the padding after the tar's end,
// and a verifying r checks its digest at its end), and checks the
// uncompressed stream against diffID. Errors caused by the bytes wrap
// ErrInvalid. LayerDirs and PutLayerStream share it.
func applyLayer(ctx context.Context, mt string, r io.Reader, dir string, diffID digest.Digest) error {
	var tarStream io.Reader
	switch layerCompression(mt) {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return invalidArchive(err)
		}
		defer zr.Close()
		tarStream = zr
	case "none":
		tarStream = r
	default:
		return fmt.Errorf("%w: unsupported layer media type %q", ErrInvalid, mt)
	}
	h := diffID.Algorithm().Hash()
	tee := io.TeeReader(ctxReader{ctx, tarStream}, h)
	if dir != "" {
		if _, err := archive.Apply(ctx, dir, tee, archive.Options{}); err != nil {
			return invalidArchive(err)
		}
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return invalidArchive(err)
	}
	if _, err := io.Copy(io.Discard, ctxReader{ctx, r}); err != nil {
		return invalidArchive(err)
	}
	if got := digest.NewDigest(diffID.Algorithm(), h); got != diffID {
		return fmt.Errorf("%w: uncompressed layer has digest %s, config says %s", ErrInvalid, got, diffID)
	}
	return nil
}

// layerCompression returns the compression of a layer media type that
// applyLayer reads ("gzip" or "none"), or "" for any other media type.
func layerCompression(mt string) string {
	switch mt {
	case ocispec.MediaTypeImageLayerGzip, mediaTypeDockerLayer,
		ocispec.MediaTypeImageLayerNonDistributableGzip: //nolint:staticcheck // still found in the wild
		return "gzip"
	case ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerNonDistributable: //nolint:staticcheck
		return "none"
	}
	return ""
}
