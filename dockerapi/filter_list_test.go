package dockerapi

import (
	"context"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// testEngine opens an engine on a fresh state directory with busybox
// imported (labelled from=image, made on 2024-01-01) as busybox:latest.
// Creating containers needs no root; running them would.
func testEngine(t *testing.T) *dock.Engine {
	t.Helper()
	e, err := dock.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	_, err = e.ImportDir(context.Background(), testutil.BusyboxRootfs(t), "busybox:latest",
		dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}, Labels: map[string]string{"from": "image", "over": "image"}}),
		dock.ImportCreated(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	return e
}

// TestListContainers runs the listing on an engine's containers: what it
// derives for each (image name, command, labels, networks, size) and the
// errors of its filters.
func TestListContainers(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	first, err := e.Create(ctx, dock.Config{Image: "busybox", Name: "first", Cmd: []string{"sh", "-c", "sleep 1"},
		Labels: map[string]string{"over": "container", "mine": "1"}})
	require.NoError(t, err)
	second, err := e.Create(ctx, dock.Config{Image: "busybox:latest", Network: "host", Cmd: []string{"true"}})
	require.NoError(t, err)

	// Not running: listed with All, or with a Limit.
	list, err := ListContainers(ctx, e, ContainerListOptions{})
	require.NoError(t, err)
	assert.Empty(t, list)
	list, err = ListContainers(ctx, e, ContainerListOptions{Limit: 1})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, second.ID(), list[0].Info.ID, "the newest")

	list, err = ListContainers(ctx, e, ContainerListOptions{All: true, Size: true})
	require.NoError(t, err)
	require.Len(t, list, 2)
	c2, c1 := list[0], list[1]
	assert.Equal(t, first.ID(), c1.Info.ID)
	assert.Equal(t, "sh -c 'sleep 1'", c1.Command)
	assert.Equal(t, map[string]string{"from": "image", "over": "container", "mine": "1"}, c1.Labels, "the container's labels over the image's")
	assert.Equal(t, "busybox", c1.ImageName)
	assert.Equal(t, "busybox:latest", c2.ImageName)
	assert.Equal(t, busybox.ID, c1.Image.ID)
	assert.Equal(t, "none", c1.Health)
	require.Len(t, c1.Networks, 1)
	assert.Equal(t, "none", c1.Networks[0].Network)
	require.Len(t, c2.Networks, 1)
	assert.Equal(t, "host", c2.Networks[0].Network)
	assert.Len(t, c2.Networks[0].NetworkID, 64)
	require.NotNil(t, c1.Size)
	assert.Equal(t, dock.ContainerSize{RW: 0, RootFS: busybox.Size}, *c1.Size)

	// The filters, with the names resolved by the engine.
	names := func(filters ...string) string {
		t.Helper()
		opts := ContainerListOptions{All: true}
		for _, f := range filters {
			require.NoError(t, opts.Filters.Set(f))
		}
		list, err := ListContainers(ctx, e, opts)
		require.NoError(t, err)
		var out []string
		for _, lc := range list {
			out = append(out, lc.Info.Name)
		}
		return strings.Join(out, " ")
	}
	assert.Equal(t, "first", names("label=from=image", "label=mine"))
	assert.Equal(t, "first", names("before="+c2.Info.Name))
	assert.Equal(t, c2.Info.Name, names("since=first"))
	assert.Equal(t, c2.Info.Name, names("network=host"))
	assert.Equal(t, c2.Info.Name+" first", names("ancestor=busybox"))
	assert.Equal(t, c2.Info.Name+" first", names("ancestor="+busybox.ID[7:19]))
	assert.Equal(t, "", names("ancestor=nosuch"))

	// When busybox:latest names another image, the containers show
	// their image's ID.
	_, err = e.ImportDir(ctx, testutil.BusyboxRootfs(t), "busybox:latest", dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"ls"}}))
	require.NoError(t, err)
	list, err = ListContainers(ctx, e, ContainerListOptions{All: true})
	require.NoError(t, err)
	assert.Equal(t, busybox.ID, list[0].ImageName)
	assert.Equal(t, busybox.ID, list[1].ImageName)
	assert.Nil(t, list[0].Size, "no size unless asked")

	_, err = ListContainers(ctx, e, ContainerListOptions{Filters: filtersOf("colour", "red")})
	assert.EqualError(t, err, "invalid filter 'colour'")
	_, err = ListContainers(ctx, e, ContainerListOptions{Filters: filtersOf("since", "nosuch")})
	assert.ErrorIs(t, err, dock.ErrNotFound)
}

// TestListImages runs the listing on an engine's images.
func TestListImages(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	require.NoError(t, e.Tag(ctx, "busybox", "mine:v1"))
	newer, err := e.ImportDir(ctx, testutil.BusyboxRootfs(t), "app:v1",
		dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"ls"}, Labels: map[string]string{"team": "a"}}),
		dock.ImportCreated(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	list := func(filters ...string) string {
		t.Helper()
		var opts ImageListOptions
		for _, f := range filters {
			require.NoError(t, opts.Filters.Set(f))
		}
		imgs, err := ListImages(ctx, e, opts)
		require.NoError(t, err)
		var out []string
		for _, img := range imgs {
			out = append(out, strings.Join(img.RepoTags, ",")+"/"+img.ID[7:11])
		}
		return strings.Join(out, " ")
	}
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	b, n := busybox.ID[7:11], newer.ID[7:11]
	assert.Equal(t, "app:v1/"+n+" busybox:latest,mine:v1/"+b, list())
	assert.Equal(t, "busybox:latest/"+b, list("reference=busybox"))
	assert.Equal(t, "mine:v1/"+b, list("reference=mine:v1"))
	assert.Equal(t, "app:v1/"+n, list("label=team=a"))
	assert.Equal(t, "app:v1/"+n, list("since=busybox"))
	assert.Equal(t, "busybox:latest,mine:v1/"+b, list("before=app:v1"))
	assert.Equal(t, "", list("dangling=true"))
	// app:v1 moves to busybox: the image it named dangles.
	require.NoError(t, e.Tag(ctx, "busybox", "app:v1"))
	assert.Equal(t, "/"+n, list("dangling=true"))
	assert.Equal(t, "busybox:latest,mine:v1,app:v1/"+b, list("dangling=false"))

	_, err = ListImages(ctx, e, ImageListOptions{Filters: filtersOf("status", "x")})
	assert.EqualError(t, err, "invalid filter 'status'")
	_, err = ListImages(ctx, e, ImageListOptions{Filters: filtersOf("before", "nosuch")})
	assert.ErrorIs(t, err, dock.ErrNotFound)
}
