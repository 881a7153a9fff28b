package dockerapi

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// archiveOf makes a tar of the entries: a name ending in "/" is a directory.
func archiveOf(t *testing.T, uid int, entries ...string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range entries {
		h := &tar.Header{Name: name, Mode: 0o644, Uid: uid, Gid: uid, Typeflag: tar.TypeReg, Size: int64(len(name))}
		if strings.HasSuffix(name, "/") {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		require.NoError(t, tw.WriteHeader(h))
		if h.Typeflag == tar.TypeReg {
			_, err := tw.Write([]byte(name))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	return &buf
}

// tarNames lists a tar's entries, and the content of its files.
func tarNames(t *testing.T, r io.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		out[h.Name] = string(b)
	}
}

// TestServeContainersArchive is docker cp's use of the archive endpoints
// (HEAD stat, GET tar, PUT tar), then the changes and the export that
// show what it wrote.
func TestServeContainersArchive(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "cp", &container.Config{Cmd: []string{"true"}}, &container.HostConfig{NetworkMode: "none"})

	_, err := a.client.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/tmp", Content: archiveOf(t, 1234, "d/", "d/f"), CopyUIDGID: true})
	require.NoError(t, err)
	st, err := a.client.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: "/tmp/d/f"})
	require.NoError(t, err)
	require.Equal(t, "f", st.Stat.Name)
	require.Equal(t, int64(len("d/f")), st.Stat.Size)

	status, h, body := a.do(t, "HEAD", "/containers/cp/archive?path=/tmp/d", "")
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, body)
	raw, err := base64.StdEncoding.DecodeString(h.Get(pathStatHeader))
	require.NoError(t, err)
	var ps container.PathStat
	require.NoError(t, json.Unmarshal(raw, &ps))
	require.Equal(t, "d", ps.Name)
	require.True(t, ps.Mode.IsDir())

	from, err := a.client.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: "/tmp/d"})
	require.NoError(t, err)
	require.Equal(t, "d", from.Stat.Name)
	require.Equal(t, map[string]string{"d/": "", "d/f": "d/f"}, tarNames(t, from.Content))
	from.Content.Close()

	diff, err := a.client.ContainerDiff(ctx, id, client.ContainerDiffOptions{})
	require.NoError(t, err)
	require.Contains(t, diff.Changes, container.FilesystemChange{Path: "/tmp/d", Kind: container.ChangeAdd})
	require.Contains(t, diff.Changes, container.FilesystemChange{Path: "/tmp/d/f", Kind: container.ChangeAdd})

	exp, err := a.client.ContainerExport(ctx, id, client.ContainerExportOptions{})
	require.NoError(t, err)
	names := tarNames(t, exp)
	exp.Close()
	require.Equal(t, "d/f", names["tmp/d/f"])
	require.Contains(t, names, "bin/sh")

	// Refusals: Docker's statuses, and the container unchanged.
	status, _, body = a.do(t, "HEAD", "/containers/cp/archive?path=/nope", "")
	require.Equal(t, http.StatusNotFound, status, body)
	_, err = a.client.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: "/nope"})
	require.True(t, cerrdefs.IsNotFound(err), "%v", err)
	status, _, body = a.do(t, "GET", "/containers/cp/archive?path=/nope", "")
	requireError(t, status, body, http.StatusNotFound, "Could not find the file /nope in container cp")
	status, _, body = a.do(t, "GET", "/containers/cp/archive", "")
	requireError(t, status, body, http.StatusBadRequest, "bad parameter: path cannot be empty")
	for _, tt := range []struct {
		name, path string
		body       io.Reader
		status     int
	}{
		{"not a directory", "/tmp/d/f", archiveOf(t, 0, "x"), http.StatusBadRequest},
		{"missing directory", "/nope", archiveOf(t, 0, "x"), http.StatusNotFound},
		{"a file over a directory", "/tmp", archiveOf(t, 0, "d"), http.StatusBadRequest},
		{"not a tar", "/tmp", strings.NewReader(strings.Repeat("garbage ", 200)), http.StatusBadRequest},
		{"cut tar", "/tmp", io.LimitReader(archiveOf(t, 0, "cut"), 700), http.StatusBadRequest},
		{"escaping names", "/tmp", archiveOf(t, 0, "../../escaped"), http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("PUT", "http://docker/containers/cp/archive?noOverwriteDirNonDir=true&path="+tt.path, tt.body)
			require.NoError(t, err)
			resp, err := a.http.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tt.status, resp.StatusCode, string(b))
		})
	}
	// The escaping entry went nowhere.
	for _, p := range []string{"/escaped", "/tmp/escaped"} {
		_, err = a.client.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: p})
		require.True(t, cerrdefs.IsNotFound(err), "%s: %v", p, err)
	}
	st, err = a.client.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: "/tmp/d"})
	require.NoError(t, err)
	require.True(t, st.Stat.Mode.IsDir(), "a refused entry leaves the directory")
}

// PUT into a read-only root filesystem or a read-only volume is refused
// as Docker's daemon refuses it (since Docker 23: an invalid parameter,
// 400, with these words; the 403 of the API's description was never its
// answer), and writes nothing; a writable volume of that container takes
// it.
func TestServeContainersArchiveReadOnly(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	id := a.create(t, "rocp", &container.Config{Cmd: []string{"true"}},
		&container.HostConfig{NetworkMode: "none", ReadonlyRootfs: true, Binds: []string{"rovol:/ro:ro", "rwvol:/rw"}})
	for _, tt := range []struct{ path, msg string }{
		{"/tmp", "container rootfs is marked read-only"},
		{"/ro", "mounted volume is marked read-only"},
	} {
		req, err := http.NewRequest("PUT", "http://docker/containers/rocp/archive?path="+tt.path, archiveOf(t, 0, "planted"))
		require.NoError(t, err)
		resp, err := a.http.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		requireError(t, resp.StatusCode, string(b), http.StatusBadRequest, tt.msg)
		_, err = a.client.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: tt.path, Content: archiveOf(t, 0, "planted")})
		require.True(t, cerrdefs.IsInvalidArgument(err), "%v", err)
		_, err = a.client.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: tt.path + "/planted"})
		require.True(t, cerrdefs.IsNotFound(err), "nothing written: %v", err)
	}
	_, err := a.client.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/rw", Content: archiveOf(t, 0, "planted")})
	require.NoError(t, err)
	_, err = a.client.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: "/rw/planted"})
	require.NoError(t, err)
}
