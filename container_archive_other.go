//go:build !linux

package dock

import (
	"context"
	"io"
)

func (c *Container) statPathImpl(ctx context.Context, p string) (PathStat, error) {
	return PathStat{}, unsupported("stat path")
}

func (c *Container) archivePathImpl(ctx context.Context, p string) (PathStat, io.ReadCloser, error) {
	return PathStat{}, nil, unsupported("archive path")
}

func (c *Container) extractToDirImpl(ctx context.Context, dir string, r io.Reader, o *extractOptions) error {
	return unsupported("extract to directory")
}

func (c *Container) exportImpl(ctx context.Context) (io.ReadCloser, error) {
	return nil, unsupported("export")
}
