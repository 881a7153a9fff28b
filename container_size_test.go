package dock

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContainerSize counts the writable layer's files once each (hard
// links), symbolic links by their target's length, not directories; the
// virtual size adds the image's.
func TestContainerSize(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"true"}})
	require.NoError(t, err)
	img, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	require.Positive(t, img.Size)

	size, err := c.Size(ctx)
	require.NoError(t, err)
	assert.Equal(t, ContainerSize{RW: 0, RootFS: img.Size}, size, "a new container")

	// What a container's writes leave in its layer.
	upper := c.dir("upper")
	require.NoError(t, os.MkdirAll(filepath.Join(upper, "a", "b"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(upper, "a", "b", "f"), []byte(strings.Repeat("x", 1000)), 0o644))
	require.NoError(t, os.Link(filepath.Join(upper, "a", "b", "f"), filepath.Join(upper, "hardlink")))
	require.NoError(t, os.Symlink("/a/b/f", filepath.Join(upper, "link")))
	require.NoError(t, os.WriteFile(filepath.Join(upper, "empty"), nil, 0o644))
	size, err = c.Size(ctx)
	require.NoError(t, err)
	want := int64(1000 + len("/a/b/f"))
	assert.Equal(t, ContainerSize{RW: want, RootFS: want + img.Size}, size)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.Size(cancelled)
	assert.ErrorIs(t, err, context.Canceled)

	require.NoError(t, c.Remove(ctx))
	_, err = c.Size(ctx)
	assert.ErrorIs(t, err, ErrNotFound)
}

// TestContainerSizeRun measures what a running container wrote.
func TestContainerSizeRun(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "head -c 5000 /dev/zero > /big"}})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	st, err := c.Wait(ctx)
	require.NoError(t, err)
	require.Zero(t, st.Code)
	size, err := c.Size(ctx)
	require.NoError(t, err)
	// /big, and the stubs the mounts of a start may leave (empty files
	// and directories, symbolic links).
	assert.GreaterOrEqual(t, size.RW, int64(5000))
	assert.Less(t, size.RW, int64(5000+4096))
}
