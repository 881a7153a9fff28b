package dockerapi

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

// tarEntry is a file of a test archive: a regular file unless typ says.
type tarEntry struct {
	name, body string
	typ        byte
	link       string
}

// tarOf writes entries as a tar.
func tarOf(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typ, Linkname: e.link, ModTime: time.Unix(1700000000, 0)}
		switch e.typ {
		case 0:
			h.Typeflag = tar.TypeReg
		case tar.TypeDir:
			h.Mode, h.Size = 0o755, 0
		case tar.TypeSymlink, tar.TypeChar, tar.TypeBlock:
			h.Size = 0
		}
		require.NoError(t, tw.WriteHeader(h))
		if h.Size > 0 {
			_, err := tw.Write([]byte(e.body))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

// jsonLines decodes a JSON stream's lines.
func jsonLines(t *testing.T, body string) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(strings.NewReader(body))
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("stream %q: %v", body, err)
		}
		out = append(out, m)
	}
}

// field collects a string field of a stream's lines.
func field(lines []map[string]any, key string) []string {
	var out []string
	for _, l := range lines {
		if s, ok := l[key].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// importUntagged adds an untagged image with labels, created at created.
func importUntagged(t *testing.T, e *dock.Engine, ref string, labels map[string]string) *dock.Image {
	t.Helper()
	img, err := e.Import(context.Background(), bytes.NewReader(tarOf(t, tarEntry{name: "f", body: ref})), ref,
		dock.ImportConfig(ocispec.ImageConfig{Labels: labels}))
	require.NoError(t, err)
	return img
}

func TestServeImagesList(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()
	busybox, err := a.engine.Image(ctx, "busybox")
	require.NoError(t, err)
	dangling := importUntagged(t, a.engine, "", map[string]string{"team": "x"})

	res, err := a.client.ImageList(ctx, client.ImageListOptions{})
	require.NoError(t, err)
	byID := map[string]image.Summary{}
	for _, s := range res.Items {
		byID[s.ID] = s
	}
	require.Contains(t, byID, busybox.ID)
	bb := byID[busybox.ID]
	assert.Equal(t, []string{"busybox:latest"}, bb.RepoTags)
	assert.Equal(t, int64(0), bb.Containers, "counted from API 1.51")
	assert.Equal(t, int64(-1), bb.SharedSize)
	assert.Equal(t, busybox.Size, bb.Size)
	assert.Equal(t, busybox.Created.Unix(), bb.Created)
	require.Contains(t, byID, dangling.ID)
	assert.Equal(t, []string{}, byID[dangling.ID].RepoTags)
	assert.Equal(t, map[string]string{"team": "x"}, byID[dangling.ID].Labels)

	// Filters, in both JSON forms.
	for _, f := range []string{`{"reference":{"busybox":true}}`, `{"reference":["busybox"]}`} {
		status, _, body := a.do(t, "GET", "/images/json?filters="+url.QueryEscape(f), "")
		require.Equal(t, http.StatusOK, status, body)
		var list []image.Summary
		require.NoError(t, json.Unmarshal([]byte(body), &list))
		require.Len(t, list, 1, f)
		assert.Equal(t, busybox.ID, list[0].ID, f)
	}
	res, err = a.client.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("label", "team=x")})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	assert.Equal(t, dangling.ID, res.Items[0].ID)
	// Docker's refusals.
	status, _, body := a.do(t, "GET", "/images/json?filters="+url.QueryEscape(`{"frob":["x"]}`), "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"message":"invalid filter 'frob'"}`, body)
	status, _, _ = a.do(t, "GET", "/images/json?filters=%7Bnot-json", "")
	assert.Equal(t, http.StatusBadRequest, status)
	status, _, body = a.do(t, "GET", "/images/json?filters="+url.QueryEscape(`{"before":["nope"]}`), "")
	assert.Equal(t, http.StatusNotFound, status, body)

	// Before 1.44: VirtualSize and <none> for the untagged; before 1.51
	// Containers is -1; before 1.41, filter= is a reference.
	status, _, body = a.do(t, "GET", "/v1.40/images/json?filter=busybox", "")
	require.Equal(t, http.StatusOK, status, body)
	var legacy []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &legacy))
	require.Len(t, legacy, 1)
	assert.Equal(t, float64(busybox.Size), legacy[0]["VirtualSize"])
	assert.Equal(t, float64(-1), legacy[0]["Containers"])
	status, _, body = a.do(t, "GET", "/v1.43/images/json?filters="+url.QueryEscape(`{"dangling":["true"]}`), "")
	require.Equal(t, http.StatusOK, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), &legacy))
	require.Len(t, legacy, 1)
	assert.Equal(t, []any{"<none>:<none>"}, legacy[0]["RepoTags"])
	assert.Equal(t, []any{"<none>@<none>"}, legacy[0]["RepoDigests"])
	status, _, body = a.do(t, "GET", "/v1.44/images/json", "")
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, body, "VirtualSize")

	// Containers counts the containers created from the image.
	_, err = a.engine.Create(ctx, dock.Config{Image: "busybox", Cmd: []string{"true"}})
	require.NoError(t, err)
	res, err = a.client.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", "busybox")})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	assert.Equal(t, int64(1), res.Items[0].Containers)
}

// Names with slashes, colons and a "json" of their own reach the
// endpoints under /images/{name}/; the literal routes stay theirs.
func TestServeImagesInspectRouting(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()
	busybox, err := a.engine.Image(ctx, "busybox")
	require.NoError(t, err)
	for _, name := range []string{"localhost:5000/a/b:v1", "json", "a/json:json", "history/get:tag"} {
		require.NoError(t, a.engine.Tag(ctx, "busybox", name))
		got, err := a.client.ImageInspect(ctx, name)
		require.NoError(t, err, name)
		assert.Equal(t, busybox.ID, got.ID, name)
		h, err := a.client.ImageHistory(ctx, name)
		require.NoError(t, err, name)
		require.NotEmpty(t, h.Items, name)
	}
	got, err := a.client.ImageInspect(ctx, busybox.ID[len("sha256:"):][:12])
	require.NoError(t, err)
	assert.Equal(t, busybox.ID, got.ID)
	assert.Equal(t, "sh", got.Config.Cmd[0])

	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/images/nope/json", 404, `{"message":"No such image: nope:latest"}`},
		{"GET", "/images/localhost:5000/nope:v2/json", 404, `{"message":"No such image: localhost:5000/nope:v2"}`},
		{"GET", "/images/nope/history", 404, `{"message":"No such image: nope:latest"}`},
		{"GET", "/images/busybox/frob", 404, `{"message":"page not found"}`},
		{"POST", "/images/busybox/frob", 404, `{"message":"page not found"}`},
		{"GET", "/images/busybox", 404, `{"message":"page not found"}`},
		{"GET", "/images/search?term=x", 501, ""},
		{"GET", "/images/UPPER/json", 400, ""},
	} {
		status, _, body := a.do(t, tc.method, tc.path, "")
		assert.Equal(t, tc.status, status, "%s %s: %s", tc.method, tc.path, body)
		if tc.body != "" {
			assert.JSONEq(t, tc.body, body, tc.path)
		}
	}
	// docker-py escapes "@"; a name by digest is found both ways.
	byDigest := "busybox@" + busybox.Digest
	for _, p := range []string{"/images/" + byDigest + "/json", "/images/" + url.PathEscape(byDigest) + "/json", "/v1.41/images/" + url.PathEscape(byDigest) + "/json"} {
		status, _, body := a.do(t, "GET", p, "")
		assert.Equal(t, http.StatusOK, status, "%s: %s", p, body)
	}

	// VirtualSize before 1.44.
	status, _, body := a.do(t, "GET", "/v1.43/images/busybox/json", "")
	require.Equal(t, http.StatusOK, status)
	var legacy map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &legacy))
	assert.Equal(t, float64(busybox.Size), legacy["VirtualSize"])
	assert.Equal(t, busybox.ID, legacy["Id"])
	_, _, body = a.do(t, "GET", "/v1.44/images/busybox/json", "")
	assert.NotContains(t, body, "VirtualSize")

	// The literal route wins over a name "json".
	status, _, body = a.do(t, "GET", "/images/json", "")
	require.Equal(t, http.StatusOK, status)
	assert.True(t, strings.HasPrefix(body, "["), body)
}

func TestServeImagesHistory(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()
	img, err := a.engine.Import(ctx, bytes.NewReader(tarOf(t, tarEntry{name: "f", body: "x"})), "hist:v1", dock.ImportMessage("imported by the test"))
	require.NoError(t, err)
	res, err := a.client.ImageHistory(ctx, "hist:v1")
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	h := res.Items[0]
	assert.Equal(t, img.ID, h.ID)
	assert.Equal(t, []string{"hist:v1"}, h.Tags)
	assert.Equal(t, "imported by the test", h.Comment)
	assert.Equal(t, img.Created.Unix(), h.Created)
	assert.Positive(t, h.Size)
}

func TestServeImagesTagRemove(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()
	busybox, err := a.engine.Image(ctx, "busybox")
	require.NoError(t, err)
	_, err = a.client.ImageTag(ctx, client.ImageTagOptions{Source: "busybox", Target: "localhost:5000/a/b:v1"})
	require.NoError(t, err)
	got, err := a.engine.Image(ctx, "localhost:5000/a/b:v1")
	require.NoError(t, err)
	assert.Equal(t, busybox.ID, got.ID)

	status, _, body := a.do(t, "POST", "/images/busybox/tag?repo=other&tag=v2", "")
	assert.Equal(t, http.StatusCreated, status, body)
	assert.Empty(t, body)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/images/nope/tag?repo=x&tag=y", 404},
		{"/images/busybox/tag?tag=y", 400},
		{"/images/busybox/tag?repo=UP&tag=y", 400},
		{"/images/busybox/tag?repo=x&tag=bad:tag", 400},
	} {
		status, _, body := a.do(t, "POST", tc.path, "")
		assert.Equal(t, tc.status, status, "%s: %s", tc.path, body)
	}
	_, err = a.engine.Image(ctx, "x")
	assert.ErrorIs(t, err, dock.ErrNotFound, "nothing tagged by the refusals")

	// By name: untagged.
	rm, err := a.client.ImageRemove(ctx, "localhost:5000/a/b:v1", client.ImageRemoveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []image.DeleteResponse{{Untagged: "localhost:5000/a/b:v1"}}, rm.Items)
	// By ID with two tags: Docker's conflict, nothing removed.
	short := busybox.ID[len("sha256:"):][:12]
	status, _, body = a.do(t, "DELETE", "/images/"+short, "")
	assert.Equal(t, http.StatusConflict, status)
	assert.JSONEq(t, `{"message":"conflict: unable to delete `+short+` (must be forced) - image is referenced in multiple repositories"}`, body)
	// A container uses it: by its last name, Docker's conflict naming it.
	_, err = a.client.ImageRemove(ctx, "other:v2", client.ImageRemoveOptions{})
	require.NoError(t, err)
	c, err := a.engine.Create(ctx, dock.Config{Image: "busybox", Cmd: []string{"true"}})
	require.NoError(t, err)
	status, _, body = a.do(t, "DELETE", "/images/busybox", "")
	assert.Equal(t, http.StatusConflict, status)
	assert.JSONEq(t, `{"message":"conflict: unable to remove repository reference \"busybox\" (must force) - container `+c.ID()[:12]+` is using its referenced image `+short+`"}`, body)
	status, _, body = a.do(t, "DELETE", "/images/"+short, "")
	assert.Equal(t, http.StatusConflict, status)
	assert.JSONEq(t, `{"message":"conflict: unable to delete `+short+` (must be forced) - image is being used by stopped container `+c.ID()[:12]+`"}`, body)
	_, err = a.engine.Image(ctx, "busybox")
	require.NoError(t, err, "still there")
	// Forced: untagged, kept for the container.
	rm, err = a.client.ImageRemove(ctx, "busybox", client.ImageRemoveOptions{Force: true})
	require.NoError(t, err)
	assert.Equal(t, []image.DeleteResponse{{Untagged: "busybox:latest"}}, rm.Items)

	status, _, body = a.do(t, "DELETE", "/images/nope", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"message":"No such image: nope:latest"}`, body)

	// An unused image goes: Untagged, then Deleted.
	img := importUntagged(t, a.engine, "gone:v1", nil)
	rm, err = a.client.ImageRemove(ctx, "gone:v1", client.ImageRemoveOptions{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(rm.Items), 2)
	assert.Equal(t, image.DeleteResponse{Untagged: "gone:v1"}, rm.Items[0])
	assert.Equal(t, image.DeleteResponse{Deleted: img.ID}, rm.Items[1])
}

func TestServeImagesPrune(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()
	x := importUntagged(t, a.engine, "", map[string]string{"team": "x"})
	y := importUntagged(t, a.engine, "", map[string]string{"team": "y"})

	res, err := a.client.ImagePrune(ctx, client.ImagePruneOptions{Filters: make(client.Filters).Add("label", "team=x")})
	require.NoError(t, err)
	assert.Contains(t, res.Report.ImagesDeleted, image.DeleteResponse{Deleted: x.ID})
	assert.NotContains(t, res.Report.ImagesDeleted, image.DeleteResponse{Deleted: y.ID})
	assert.Positive(t, res.Report.SpaceReclaimed)
	_, err = a.engine.Image(ctx, y.ID)
	require.NoError(t, err, "y kept")

	for _, f := range []string{`{"frob":["x"]}`, `{"dangling":["maybe"]}`, `{"until":["soon"]}`} {
		status, _, body := a.do(t, "POST", "/images/prune?filters="+url.QueryEscape(f), "")
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", f, body)
	}
	_, err = a.engine.Image(ctx, y.ID)
	require.NoError(t, err, "y kept by the refusals")

	// dangling=false (prune -a) takes tagged images no container uses.
	status, _, body := a.do(t, "POST", "/images/prune?filters="+url.QueryEscape(`{"dangling":{"false":true}}`), "")
	require.Equal(t, http.StatusOK, status, body)
	var rep image.PruneReport
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	assert.Contains(t, rep.ImagesDeleted, image.DeleteResponse{Untagged: "busybox:latest"})
	assert.Contains(t, rep.ImagesDeleted, image.DeleteResponse{Deleted: y.ID})
}

func TestServeImagesSaveLoad(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()
	busybox, err := a.engine.Image(ctx, "busybox")
	require.NoError(t, err)
	require.NoError(t, a.engine.Tag(ctx, "busybox", "localhost:5000/a/b:v1"))
	rc, err := a.client.ImageSave(ctx, []string{"busybox", "localhost:5000/a/b:v1"})
	require.NoError(t, err)
	archive, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	require.NotEmpty(t, archive)

	status, h, body := a.do(t, "GET", "/images/localhost:5000/a/b:v1/get", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "application/x-tar", h.Get("Content-Type"))
	tr := tar.NewReader(strings.NewReader(body))
	var names []string
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, hd.Name)
	}
	assert.Contains(t, names, "manifest.json")
	for p, want := range map[string]int{"/images/get?names=busybox&names=nope": 404, "/images/nope/get": 404, "/images/get": 400} {
		status, _, body := a.do(t, "GET", p, "")
		assert.Equal(t, want, status, "%s: %s", p, body)
	}
	// A bare repository name saves its tags.
	status, _, body = a.do(t, "GET", "/images/localhost:5000/a/b/get", "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, "localhost:5000/a/b:v1")

	for _, ref := range []string{"busybox", "localhost:5000/a/b:v1"} {
		_, err = a.client.ImageRemove(ctx, ref, client.ImageRemoveOptions{})
		require.NoError(t, err)
	}
	lr, err := a.client.ImageLoad(ctx, bytes.NewReader(archive))
	require.NoError(t, err)
	out, err := io.ReadAll(lr)
	require.NoError(t, err)
	lr.Close()
	assert.ElementsMatch(t, []string{"Loaded image: busybox:latest\n", "Loaded image: localhost:5000/a/b:v1\n"}, field(jsonLines(t, string(out)), "stream"))
	got, err := a.engine.Image(ctx, "busybox")
	require.NoError(t, err)
	assert.Equal(t, busybox.ID, got.ID)

	// A broken or hostile archive: 400, nothing loaded.
	for name, body := range map[string][]byte{
		"garbage": []byte("this is no tar"),
		"escape":  tarOf(t, tarEntry{name: "../manifest.json", body: "[]"}),
		"cut":     archive[:len(archive)/2],
	} {
		status, _, resp := a.do(t, "POST", "/images/load?quiet=1", string(body))
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", name, resp)
	}
	imgs, err := a.engine.Images(ctx, dock.ImagesAll())
	require.NoError(t, err)
	assert.Len(t, imgs, 1)
}

func TestServeImagesImport(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()
	src := tarOf(t, tarEntry{name: "hello", body: "hi"})
	rc, err := a.client.ImageImport(ctx, client.ImageImportSource{Source: bytes.NewReader(src), SourceName: "-"}, "imported:v1",
		client.ImageImportOptions{Message: "from the test", Changes: []string{`CMD ["/hello"]`, "ENV A=b"}})
	require.NoError(t, err)
	out, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	img, err := a.engine.Image(ctx, "imported:v1")
	require.NoError(t, err)
	assert.Equal(t, []string{img.ID}, field(jsonLines(t, string(out)), "status"))
	got, err := a.client.ImageInspect(ctx, "imported:v1")
	require.NoError(t, err)
	assert.Equal(t, []string{"/hello"}, got.Config.Cmd)
	assert.Contains(t, got.Config.Env, "A=b")
	assert.Equal(t, "from the test", got.Comment)

	// Legacy repo + tag, and untagged.
	status, _, body := a.do(t, "POST", "/v1.24/images/create?fromSrc=-&repo=legacy&tag=v2", string(src))
	require.Equal(t, http.StatusOK, status, body)
	_, err = a.engine.Image(ctx, "legacy:v2")
	require.NoError(t, err)
	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{"/images/create?fromSrc=http://127.0.0.1:1/x.tar", "", 501},
		{"/images/create?fromSrc=-&repo=imported2", "not a tar", 400},
		{"/images/create?fromSrc=-&repo=imported2", string(tarOf(t, tarEntry{name: "../x", body: "y"})), 400},
		{"/images/create?fromSrc=-&repo=imported2&changes=FROBNICATE+x", string(src), 400},
		{"/images/create", "", 400},
	} {
		status, _, body := a.do(t, "POST", tc.path, tc.body)
		assert.Equal(t, tc.status, status, "%s: %s", tc.path, body)
	}
	_, err = a.engine.Image(ctx, "imported2")
	assert.ErrorIs(t, err, dock.ErrNotFound)
}
