package dockerapi

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/nettest"
	"github.com/go-dock/dock/internal/registrytest"
	"github.com/go-dock/dock/internal/testutil"
)

func dockerfileTar(t *testing.T, dockerfile string, more ...tarEntry) []byte {
	t.Helper()
	return tarOf(t, append([]tarEntry{{name: "Dockerfile", body: dockerfile}}, more...)...)
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestServeBuild(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	ctxTar := dockerfileTar(t, "FROM busybox\nARG WHO=nobody\nCOPY greeting /greeting\nRUN echo hello $WHO && cat /greeting\nLABEL stage=one\n",
		tarEntry{name: "greeting", body: "from the context\n"})
	who := "tester"
	res, err := a.client.ImageBuild(ctx, bytes.NewReader(ctxTar), client.ImageBuildOptions{
		Tags: []string{"built:v1", "localhost:5000/built"}, Remove: true,
		BuildArgs: map[string]*string{"WHO": &who, "UNSET": nil},
		Labels:    map[string]string{"by": "api"},
	})
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	res.Body.Close()
	lines := jsonLines(t, string(body))
	stream := strings.Join(field(lines, "stream"), "")
	img, err := a.engine.Image(ctx, "built:v1")
	require.NoError(t, err, stream)
	short := img.ID[len("sha256:"):][:12]
	assert.Contains(t, stream, "Step 1/6 : FROM busybox\n")
	assert.Contains(t, stream, "Step 4/6 : RUN echo hello $WHO && cat /greeting\n")
	assert.Contains(t, stream, "hello tester\nfrom the context\n")
	assert.Contains(t, stream, " ---> "+short+"\nSuccessfully built "+short+"\nSuccessfully tagged built:v1\nSuccessfully tagged localhost:5000/built:latest\n")
	// The classic builder's lines around the steps: the base's ID after
	// FROM, the RUN's container around its output, the ID of each image
	// a step made; the labels of the query are LABEL steps at the end.
	busybox, err := a.engine.Image(ctx, "busybox")
	require.NoError(t, err)
	assert.Contains(t, stream, "Step 1/6 : FROM busybox\n ---> "+busybox.ID[len("sha256:"):][:12]+"\nStep 2/6 : ARG WHO=nobody\n")
	assert.Regexp(t, `Step 3/6 : COPY greeting /greeting\n ---> [0-9a-f]{12}\n`+
		`Step 4/6 : RUN echo hello \$WHO && cat /greeting\n ---> Running in ([0-9a-f]{12})\n`+
		`hello tester\nfrom the context\n ---> Removed intermediate container ([0-9a-f]{12})\n ---> [0-9a-f]{12}\n`+
		`Step 5/6 : LABEL stage=one\nStep 6/6 : LABEL by=api\n ---> `+short+"\n", stream)
	assert.Equal(t, 1, strings.Count(stream, " ---> "+short+"\n"), "the result's line once")
	// docker history: the classic builder's CreatedBy.
	hist, err := a.client.ImageHistory(ctx, "built:v1")
	require.NoError(t, err)
	var createdBy []string
	for _, h := range hist.Items[:5] { // the base's (imported) after

		createdBy = append(createdBy, h.CreatedBy)
	}
	assert.Equal(t, []string{
		"/bin/sh -c #(nop)  LABEL by=api",
		"/bin/sh -c #(nop)  LABEL stage=one",
		"|1 WHO=tester /bin/sh -c echo hello $WHO && cat /greeting",
		"/bin/sh -c #(nop) COPY file:" + fmt.Sprintf("%x", sha256.Sum256([]byte("from the context\n"))) + " in /greeting ",
		"/bin/sh -c #(nop)  ARG WHO=nobody",
	}, createdBy)
	var ids []string
	for _, l := range lines {
		if aux, ok := l["aux"].(map[string]any); ok {
			ids = append(ids, aux["ID"].(string))
		}
		assert.NotContains(t, l, "errorDetail")
	}
	assert.Equal(t, []string{img.ID}, ids, "the aux the CLI reads the ID from")
	assert.Equal(t, map[string]string{"stage": "one", "by": "api"}, img.Config.Labels)
	_, err = a.engine.Image(ctx, "localhost:5000/built:latest")
	require.NoError(t, err)
	// No context left behind in the engine's tmp/.
	left, _ := filepath.Glob(filepath.Join(a.engine.Root(), "tmp", "build-context-*"))
	assert.Empty(t, left)

	// Raw: a gzip'ed context, a Dockerfile elsewhere in it, the query
	// forms of docker-py and podman's trap (cachefrom=[], ulimits=null,
	// buildargs={}), q=1: the ID alone.
	q := url.Values{"dockerfile": {"sub/Other.dockerfile"}, "t": {"other"}, "cachefrom": {"[]"}, "ulimits": {"null"},
		"buildargs": {"{}"}, "labels": {"{}"}, "rm": {"1"}, "forcerm": {"0"}, "q": {"1"}, "nocache": {"1"},
		"pull": {"0"}, "networkmode": {"default"}, "platform": {"linux"}, "memory": {"0"}, "version": {"1"}}
	other := tarOf(t, tarEntry{name: "sub/", typ: tar.TypeDir}, tarEntry{name: "sub/Other.dockerfile", body: "FROM busybox\nENV X=1\n"})
	status, body2 := a.rawStream(t, "POST", "/v1.38/build?"+q.Encode(), http.Header{"Content-Type": {"application/x-tar"}}, bytes.NewReader(gzipped(t, other)))
	require.Equal(t, http.StatusOK, status, body2)
	built, err := a.engine.Image(ctx, "other")
	require.NoError(t, err, body2)
	lines = jsonLines(t, body2)
	assert.Equal(t, []string{built.ID + "\n"}, field(lines, "stream"), "quiet: the ID alone")
	assert.Contains(t, built.Config.Env, "X=1")
}

// A failure: before the first line, an error answer (Docker's words where
// it has them); after it, an errorDetail line in the 200 answer.
func TestServeBuildErrors(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	ctx := context.Background()
	status, body := a.rawStream(t, "POST", "/build?t=failing", nil, bytes.NewReader(dockerfileTar(t, "FROM busybox\nRUN echo going && exit 3\n")))
	require.Equal(t, http.StatusOK, status)
	lines := jsonLines(t, body)
	last := lines[len(lines)-1]
	require.Contains(t, last, "errorDetail", body)
	msg, _ := last["error"].(string)
	assert.Equal(t, "The command '/bin/sh -c echo going && exit 3' returned a non-zero code: 3", msg)
	assert.Equal(t, map[string]any{"message": msg}, last["errorDetail"])
	assert.Contains(t, strings.Join(field(lines, "stream"), ""), "going\n")
	_, err := a.engine.Image(ctx, "failing")
	assert.ErrorIs(t, err, dock.ErrNotFound)

	good := dockerfileTar(t, "FROM busybox\n")
	for _, tc := range []struct {
		name, query string
		body        []byte
		status      int
		msg         string
	}{
		{"syntax", "", dockerfileTar(t, "FROM busybox\nFROBNICATE x\n"), 400, ""},
		{"no Dockerfile", "", tarOf(t, tarEntry{name: "x", body: "y"}), 500, "Cannot locate specified Dockerfile: Dockerfile"},
		{"Dockerfile elsewhere", "dockerfile=nope", good, 500, "Cannot locate specified Dockerfile: nope"},
		{"Dockerfile a directory", "dockerfile=d", tarOf(t, tarEntry{name: "d/", typ: tar.TypeDir}), 500, "Cannot locate specified Dockerfile: d"},
		{"bad buildargs", "buildargs=%7Bx", good, 400, ""},
		{"bad labels", "labels=%5B1%5D", good, 400, ""},
		{"bad cachefrom", "cachefrom=%7B%7D", good, 400, ""},
		{"bad tag", "t=UPPER", good, 400, ""},
		{"digest tag", "t=a@sha256:" + strings.Repeat("a", 64), good, 400, "build tag cannot contain a digest"},
		{"buildkit", "version=2", good, 400, ""},
		{"remote", "remote=https://127.0.0.1:1/ctx.tar", good, 501, ""},
		{"squash", "squash=1", good, 400, "squash is only supported with experimental mode"},
		{"platform", "platform=linux/s390x", good, 501, ""},
		{"network", "networkmode=container:x", good, 501, ""},
		{"missing target", "target=nope", good, 404, ""},
		{"not a tar", "", []byte("FROM busybox\n"), 400, ""},
		{"xz", "", []byte{0xfd, '7', 'z', 'X', 'Z', 0, 1, 2}, 400, ""},
		{"cut gzip", "", gzipped(t, good)[:20], 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := a.rawStream(t, "POST", "/build?t=refused&"+tc.query, nil, bytes.NewReader(tc.body))
			assert.Equal(t, tc.status, status, body)
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(body), &m), body)
			if tc.msg != "" {
				assert.Equal(t, tc.msg, m["message"])
			}
		})
	}
	_, err = a.engine.Image(ctx, "refused")
	assert.ErrorIs(t, err, dock.ErrNotFound)
}

// The RUN steps of a build through the API are on the default bridge, as
// with Docker's classic builder: a download works with networkmode empty
// or default, and fails with networkmode=none.
func TestServeBuildNetwork(t *testing.T) {
	testutil.RequireRoot(t)
	nettest.Internet(t)
	a := newAPITest(t)
	ctx := context.Background()
	ctxTar := dockerfileTar(t, "FROM busybox\nRUN printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 "+nettest.InternetIP.String()+" 80 > /resp; tail -n 1 /resp > /got; test -s /got\n")
	for _, mode := range []string{"", "default", "bridge", "none"} {
		t.Run("networkmode="+mode, func(t *testing.T) {
			q := url.Values{"t": {"net"}, "nocache": {"1"}}
			if mode != "" {
				q.Set("networkmode", mode)
			}
			status, body := a.rawStream(t, "POST", "/build?"+q.Encode(), nil, bytes.NewReader(ctxTar))
			require.Equal(t, http.StatusOK, status, body)
			if mode == "none" {
				assert.Contains(t, body, "errorDetail", "no network: the download fails")
				return
			}
			require.NotContains(t, body, "errorDetail", body)
			var out bytes.Buffer
			_, err := a.engine.Run(ctx, dock.Config{Image: "net", Cmd: []string{"cat", "/got"}}, nil, &out, nil)
			require.NoError(t, err)
			assert.Equal(t, nettest.HTTPBody, out.String())
		})
	}
}

func TestRunCommand(t *testing.T) {
	for step, want := range map[string]string{
		"RUN exit 3":                            "/bin/sh -c exit 3",
		`RUN ["false", "x"]`:                    "false x",
		"RUN --mount=type=cache,target=/c make": "/bin/sh -c make",
		"RUN --network=none --mount=type=tmpfs,target=/t true": "/bin/sh -c true",
		"RUN <<EOF": "",
		"COPY a b":  "",
	} {
		got, ok := runCommand(step)
		assert.Equal(t, want, got, step)
		assert.Equal(t, want != "", ok, step)
	}
}

// Hostile contexts: names that climb out, absolute names, links that lead
// out, devices. Nothing lands outside the context's directory, and a
// Dockerfile reached through a link out of it is not read.
func TestServeBuildHostileContext(t *testing.T) {
	testutil.RequireRoot(t)
	a := newAPITest(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("FROM busybox\nLABEL leaked=yes\n"), 0o600))
	for _, tc := range []struct {
		name   string
		query  string
		body   []byte
		status int
	}{
		{"dotdot", "", dockerfileTar(t, "FROM busybox\n", tarEntry{name: "../../escaped", body: "x"}), 400},
		{"device", "", dockerfileTar(t, "FROM busybox\n", tarEntry{name: "dev", typ: tar.TypeChar}), 400},
		{"symlink Dockerfile", "", tarOf(t, tarEntry{name: "Dockerfile", typ: tar.TypeSymlink, link: secret}), 500},
		{"dotdot symlink Dockerfile", "", tarOf(t, tarEntry{name: "Dockerfile", typ: tar.TypeSymlink, link: "../../../../../../" + secret}), 500},
		{"dockerfile outside", "dockerfile=" + url.QueryEscape("../../../../../.."+secret), good(t), 500},
		{"absolute dockerfile", "dockerfile=" + url.QueryEscape(secret), good(t), 500},
		{"link then through it", "", dockerfileTar(t, "FROM busybox\n", tarEntry{name: "out", typ: tar.TypeSymlink, link: outside}, tarEntry{name: "out/planted", body: "x"}), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := a.rawStream(t, "POST", "/build?"+tc.query, nil, bytes.NewReader(tc.body))
			assert.Equal(t, tc.status, status, body)
			assert.NotContains(t, body, "leaked")
		})
	}
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing planted outside the context")
	_, err = os.Stat("/escaped")
	assert.ErrorIs(t, err, os.ErrNotExist)
	imgs, err := a.engine.Images(context.Background(), dock.ImagesAll())
	require.NoError(t, err)
	for _, img := range imgs {
		assert.NotContains(t, img.Config.Labels, "leaked")
	}

	// An absolute entry lands inside the context, as Docker takes it.
	ctxTar := dockerfileTar(t, "FROM busybox\nCOPY abs/file /copied\n", tarEntry{name: "/abs/file", body: "inside"})
	status, body := a.rawStream(t, "POST", "/build?t=absolute", nil, bytes.NewReader(ctxTar))
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, "errorDetail", body)
	_, err = os.Stat("/abs/file")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func good(t *testing.T) []byte { return dockerfileTar(t, "FROM busybox\n") }

// X-Registry-Config gives the pulls of FROM their credentials, each for
// its registry.
func TestServeBuildRegistryConfig(t *testing.T) {
	a := newRegistryAPITest(t)
	ctx := context.Background()
	reg := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	base := reg.Host + "/team/base:v1"
	require.NoError(t, a.engine.Tag(ctx, "busybox", base))
	_, err := a.engine.Push(ctx, base, dock.WithCredentials("alice", "s3cret"))
	require.NoError(t, err)
	_, err = a.engine.RemoveImage(ctx, base)
	require.NoError(t, err)

	ctxTar := dockerfileTar(t, "FROM "+base+"\nLABEL from=registry\n")
	// Without credentials, the pull of FROM is refused.
	status, body := a.rawStream(t, "POST", "/build?t=fromreg", nil, bytes.NewReader(ctxTar))
	assert.NotContains(t, body, "Successfully built")
	assert.True(t, status != http.StatusOK || strings.Contains(body, "errorDetail"), "%d %s", status, body)

	configs := map[string]registry.AuthConfig{
		reg.Host:                      {Username: "alice", Password: "s3cret"},
		"https://index.docker.io/v1/": {Username: "bob", Password: "hub"},
	}
	b, err := json.Marshal(configs)
	require.NoError(t, err)
	res, err := a.client.ImageBuild(ctx, bytes.NewReader(ctxTar), client.ImageBuildOptions{Tags: []string{"fromreg"}, AuthConfigs: configs})
	require.NoError(t, err)
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	res.Body.Close()
	require.Contains(t, string(out), "Successfully tagged fromreg:latest", string(out))
	img, err := a.engine.Image(ctx, "fromreg")
	require.NoError(t, err)
	assert.Equal(t, "registry", img.Config.Labels["from"])

	// A header that does not decode is ignored, as Docker ignores it.
	status, body = a.rawStream(t, "POST", "/build?t=fromreg2", http.Header{"X-Registry-Config": {"%%%" + base64.URLEncoding.EncodeToString(b)}}, bytes.NewReader(good(t)))
	assert.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, "Successfully tagged fromreg2:latest")
}
