//go:build !linux

package layerdiff

import (
	"context"
	"errors"
	"fmt"
	"io"
)

func writeImpl(ctx context.Context, w io.Writer, upperDir string, opt Options) error {
	return fmt.Errorf("layer diff: %w", errors.ErrUnsupported)
}
