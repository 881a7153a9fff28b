//go:build !linux

package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Apply and WriteDir resolve names with openat2 and read xattrs by fd; a
// manual walk with the same guarantees is not worth it where containers
// cannot run.

func applyImpl(context.Context, string, int, io.Reader, *Options) (Stats, error) {
	return Stats{}, fmt.Errorf("apply layer: %w", errors.ErrUnsupported)
}

func writeDirImpl(context.Context, io.Writer, string) error {
	return fmt.Errorf("write dir: %w", errors.ErrUnsupported)
}

func writeTreeImpl(context.Context, io.Writer, int, string, string, *WriteOptions) error {
	return fmt.Errorf("write tree: %w", errors.ErrUnsupported)
}
