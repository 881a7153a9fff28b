package build

import (
	"fmt"

	"github.com/go-dock/dock/internal/store"
	"github.com/opencontainers/go-digest"
)

// A build holds the images it uses in a store lease (see store.Lease), so
// that a prune or an rmi in another engine on the same root cannot delete
// them mid-build: its base and FROM/--from images, the images of its
// cached steps, and each image it commits (added under the store's lock,
// before the image is visible). Parents need no entry: a held image keeps
// its chain as an image with a child. The lease ends with the build, after
// the tags are set. A lease not renewed for store.TmpGrace (a step running
// longer than that with no other image committed or used) counts as left
// by a crash, as the blobs of a pull in progress do.

// hold adds image id to the build's lease and returns the image, checked
// to exist after it was leased (a prune in between would have deleted it).
func (b *builder) hold(id digest.Digest) (*store.Image, error) {
	if err := b.lease.Add(id); err != nil {
		return nil, err
	}
	img, err := b.h.Store.Resolve(id.String())
	if err != nil {
		return nil, fmt.Errorf("image %s removed during the build: %w", id, err)
	}
	return img, nil
}
