package dockerapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// PUT /containers/{id}/archive takes a compressed tar as Docker's daemon
// does (testcontainers' CopyToContainer and WithFiles send gzip); xz is
// refused with a 400, and nothing is written.
func TestServeContainersArchiveCompressed(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "cpz", &container.Config{Cmd: []string{"true"}}, &container.HostConfig{NetworkMode: "none"})

	var zst bytes.Buffer
	zw, err := zstd.NewWriter(&zst)
	require.NoError(t, err)
	_, err = zw.Write(archiveOf(t, 0, "z").Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	for name, body := range map[string][]byte{
		"g": testutil.Gzip(t, archiveOf(t, 0, "g").Bytes()),
		"z": zst.Bytes(),
	} {
		_, err := a.client.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/tmp", Content: bytes.NewReader(body)})
		require.NoError(t, err, name)
		st, err := a.client.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: "/tmp/" + name})
		require.NoError(t, err, name)
		require.Equal(t, int64(len(name)), st.Stat.Size, name)
	}

	xz := append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, bytes.Repeat([]byte{0}, 100)...)
	req, err := http.NewRequest("PUT", "http://docker/containers/cpz/archive?path=/tmp", bytes.NewReader(xz))
	require.NoError(t, err)
	resp, err := a.http.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	requireError(t, resp.StatusCode, string(b), http.StatusBadRequest, "extract archive: xz compression is not supported (plain, gzip, bzip2 or zstd tar)")
	status, _, body := a.do(t, "PUT", "/containers/cpz/archive?path=/tmp", "\x1f\x8bnot gzip at all")
	require.Equal(t, http.StatusBadRequest, status, body)
}
