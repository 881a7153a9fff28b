//go:build !linux

package dock

import "context"

func (c *Container) changesImpl(ctx context.Context) ([]Change, error) {
	return nil, unsupported("changes")
}
