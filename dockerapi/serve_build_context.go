package dockerapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"

	"github.com/go-dock/dock/internal/archive"
)

// maxContextWindow bounds the window a zstd-compressed context or
// archive may declare (what the decoder allocates), as the store bounds
// layers'.
const maxContextWindow = 128 << 20

// extractContext unpacks the build context r, a tar (plain, gzip, bzip2
// or zstd, recognized by its first bytes), into a new directory under the
// engine's tmp/, which the caller removes. The archive package refuses
// what would leave the directory (absolute names and ".." are taken
// inside it, links are resolved inside it), device nodes and malformed
// entries; files get the daemon's owner (the builder's COPY gives them
// root's, or --chown's, as Docker's does). A hostile or broken archive is
// a 400.
func extractContext(ctx context.Context, root string, r io.Reader) (string, error) {
	tr, closeFn, err := decompressContext(r)
	if err != nil {
		return "", err
	}
	defer closeFn()
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(tmp, "build-context-")
	if err != nil {
		return "", err
	}
	_, err = archive.Apply(ctx, dir, tr, archive.Options{IgnoreOwner: true, NoWhiteouts: true, SkipRoot: true})
	if err != nil {
		os.RemoveAll(dir)
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		if errors.Is(err, errors.ErrUnsupported) {
			return "", errorf(http.StatusNotImplemented, "build context: %v", err)
		}
		return "", errorf(http.StatusBadRequest, "build context: %v", err)
	}
	return dir, nil
}

// decompressContext returns the tar stream of a build context.
func decompressContext(r io.Reader) (io.Reader, func(), error) {
	return decompressTar(r, "build context")
}

// contextPath is the dockerfile= parameter as a path inside the context,
// as Docker's classic builder takes it: cleaned as if the context were
// "/" ("/Dockerfile" and "../Dockerfile" are the context's Dockerfile),
// "Dockerfile" when empty.
func contextPath(name string) string {
	p := path.Clean("/" + name)[1:]
	if p == "" {
		return "Dockerfile"
	}
	return p
}
