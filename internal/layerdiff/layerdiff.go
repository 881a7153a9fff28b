// Package layerdiff writes the writable layer of a container, an overlayfs
// upper directory, as an OCI image layer: a deterministic tar stream in
// which the overlayfs whiteouts (0/0 character devices) become ".wh.NAME"
// entries and opaque directories (xattr trusted.overlay.opaque=y) get a
// ".wh..wh..opq" entry. It is what Commit and each RUN of Build store as a
// new layer.
package layerdiff

import (
	"context"
	"io"
	"time"
)

// Options shape the layer that Write produces. The zero value keeps the
// files' modification times.
type Options struct {
	// SourceDateEpoch, when not zero, clamps modification times: an entry
	// newer than it gets it instead (the SOURCE_DATE_EPOCH convention of
	// reproducible builds). Whiteout entries get it too.
	SourceDateEpoch time.Time
}

// Write writes the overlayfs upper directory upperDir to w as an
// uncompressed OCI layer tar. Regular files, directories, symlinks,
// hardlinks and fifos are written as archive.WriteDir writes them (depth
// first, each directory sorted by name, numeric owners, second-precision
// mtimes, no trusted.* xattrs); a 0/0 character device NAME is written as an
// empty regular file ".wh.NAME", and a directory with trusted.overlay.opaque
// "y" is followed by an empty "DIR/.wh..wh..opq". The output is
// deterministic for a given tree. It needs Linux and root (trusted.*
// xattrs); elsewhere it returns an error wrapping errors.ErrUnsupported.
// upperDir should not change while it is written.
func Write(ctx context.Context, w io.Writer, upperDir string, opt Options) error {
	return writeImpl(ctx, w, upperDir, opt)
}
