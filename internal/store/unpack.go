package store

import (
	"context"
	"fmt"
	"io"

	"github.com/go-dock/dock/internal/archive"
	"github.com/opencontainers/go-digest"
)

// applyLayer reads r, a layer blob of media type mt (a plain, gzip or
// zstd tar: see decompress), unpacks its tar stream into dir (when dir is
// not ""), reads both streams to their end (the diff ID covers the padding
// after the tar's end, and a verifying r checks its digest at its end), and
// checks the uncompressed stream against diffID. Errors caused by the bytes
// wrap ErrInvalid. LayerDirs and PutLayerStream share it.
func applyLayer(ctx context.Context, mt string, r io.Reader, dir string, diffID digest.Digest) error {
	tarStream, err := decompress(mt, r)
	if err != nil {
		return invalidArchive(err)
	}
	defer tarStream.Close()
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
