package dock

import (
	"context"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// runImage is what a container needs of its image.
type runImage struct {
	ID     string
	Config ocispec.ImageConfig
	Layers []string // unpacked layer directories, bottom to top
}

// imageForRun resolves ref in the store and makes sure its layers are
// unpacked.
func (e *Engine) imageForRun(ctx context.Context, ref string) (*runImage, error) {
	img, layers, err := e.resolveImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &runImage{ID: img.ID.String(), Config: img.Config.Config.ImageConfig, Layers: layers}, nil
}
