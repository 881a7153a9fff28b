package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDistributable(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tarb := smallTar(t, "hello")
	base := importTar(t, s, tarb, "base:v1")
	require.Equal(t, ocispec.MediaTypeImageLayer, base.Manifest.Layers[0].MediaType)
	child, err := s.Commit(ctx, base, bytes.NewReader(smallTar(t, "child")), Config{}, "child:v1", nil)
	require.NoError(t, err)

	got, err := s.Distributable(ctx, base)
	require.NoError(t, err)
	checkClean(t, s)
	assert.Equal(t, base.ID, got.ID, "the ID (config digest) stays")
	assert.NotEqual(t, base.Digest, got.Digest)
	assert.Equal(t, []string{"docker.io/library/base:v1"}, got.Names)
	require.Len(t, got.Manifest.Layers, 1)
	l := got.Manifest.Layers[0]
	assert.Equal(t, ocispec.MediaTypeImageLayerGzip, l.MediaType)
	// The blob is the gzip of the layer tar.
	gz, err := s.ReadBlob(l.Digest)
	require.NoError(t, err)
	assert.Equal(t, digest.FromBytes(gz), l.Digest)
	assert.Equal(t, int64(len(gz)), l.Size)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, tarb, plain)

	// The tag moved to the new manifest; the store reads it back so.
	again, err := s.Resolve("base:v1")
	require.NoError(t, err)
	assert.Equal(t, got.Digest, again.Digest)
	assert.Equal(t, got.Manifest, again.Manifest)
	// ManifestSize is the size of the manifest blob: the imported one's,
	// then the converted one's, as returned and as read back.
	for _, img := range []*Image{base, got, again} {
		mb, err := s.ReadBlob(img.Digest)
		require.NoError(t, err)
		assert.Equal(t, int64(len(mb)), img.ManifestSize, "ManifestSize of %s", img.Digest)
	}
	assert.NotEqual(t, base.ManifestSize, got.ManifestSize)
	_, err = s.Resolve(base.Digest.String())
	assert.ErrorIs(t, err, ErrNotFound, "the old manifest names no image")

	// Converting again changes nothing.
	same, err := s.Distributable(ctx, again)
	require.NoError(t, err)
	assert.Equal(t, got.Digest, same.Digest)

	// The child shares the base layer: its gzip blob is reused, not
	// compressed again (its blob is removed: a new compression would fail).
	require.NoError(t, os.Chmod(s.blobPath(base.Manifest.Layers[0].Digest), 0o644))
	require.NoError(t, os.Remove(s.blobPath(base.Manifest.Layers[0].Digest)))
	c2, err := s.Distributable(ctx, child)
	require.NoError(t, err)
	assert.Equal(t, l, c2.Manifest.Layers[0])
	assert.Equal(t, ocispec.MediaTypeImageLayerGzip, c2.Manifest.Layers[1].MediaType)
	assert.Equal(t, child.ID, c2.ID)
	checkClean(t, s)
}

// A layer blob that is corrupt (or gone) fails the conversion, and nothing
// changes.
func TestDistributableCorrupt(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := importTar(t, s, smallTar(t, "hello"), "base:v1")
	p := s.blobPath(img.Manifest.Layers[0].Digest)
	require.NoError(t, os.Chmod(p, 0o644))
	require.NoError(t, os.WriteFile(p, smallTar(t, "HELLO"), 0o444))
	blobsBefore := listDir(t, s.path("blobs", "sha256"))
	_, err := s.Distributable(ctx, img)
	require.Error(t, err)
	checkClean(t, s)
	assert.Equal(t, blobsBefore, listDir(t, s.path("blobs", "sha256")))
	after, err := s.Resolve("base:v1")
	require.NoError(t, err)
	assert.Equal(t, img.Digest, after.Digest)

	require.NoError(t, os.Remove(p))
	_, err = s.Distributable(ctx, img)
	assert.ErrorIs(t, err, ErrNotFound)
	checkClean(t, s)
}

// An image removed meanwhile is not resurrected.
func TestDistributableRemoved(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := importTar(t, s, smallTar(t, "hello"), "base:v1")
	importTar(t, s, smallTar(t, "other"), "other:v1")
	_, err := s.Remove("base:v1", false, nil)
	require.NoError(t, err)
	_, err = s.Distributable(ctx, img)
	assert.ErrorIs(t, err, ErrNotFound)
	checkClean(t, s)
	imgs, err := s.Images()
	require.NoError(t, err)
	assert.Len(t, imgs, 1)
}
