package dockerapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/docktest"
	"github.com/go-dock/dock/internal/registrytest"
	"github.com/go-dock/dock/internal/testutil"
)

// newRegistryAPITest is newAPITest on an engine whose Docker config is an
// empty file of the test's: credentials come from the requests only.
func newRegistryAPITest(t *testing.T) *apiTest {
	t.Helper()
	testutil.RequireRoot(t) // pulls unpack layers with their owners
	e := docktest.Engine(t, dock.WithRegistryConfig(dock.RegistryConfig{DockerConfig: filepath.Join(t.TempDir(), "config.json")}))
	return serveEngine(t, e)
}

func encodeAuth(t *testing.T, user, password string) string {
	t.Helper()
	s, err := authconfig.Encode(registry.AuthConfig{Username: user, Password: password})
	require.NoError(t, err)
	return s
}

// rawStream sends a request with headers and returns the status and body.
func (a *apiTest) rawStream(t *testing.T, method, path string, header http.Header, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://docker"+path, body)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestServeImagesPushPull(t *testing.T) {
	a := newRegistryAPITest(t)
	ctx := context.Background()
	reg := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	ref := reg.Host + "/team/app:v1"
	require.NoError(t, a.engine.Tag(ctx, "busybox", ref))
	busybox, err := a.engine.Image(ctx, "busybox")
	require.NoError(t, err)
	auth := encodeAuth(t, "alice", "s3cret")

	// Without credentials: the stream starts, then the registry's refusal
	// is an error line in the 200 answer.
	status, body := a.rawStream(t, "POST", "/images/"+ref+"/push", nil, nil)
	require.Equal(t, http.StatusOK, status)
	lines := jsonLines(t, body)
	require.NotEmpty(t, lines)
	assert.Equal(t, "The push refers to repository ["+reg.Host+"/team/app]", lines[0]["status"])
	last := lines[len(lines)-1]
	require.Contains(t, last, "errorDetail", body)
	assert.Equal(t, last["error"], last["errorDetail"].(map[string]any)["message"])

	push, err := a.client.ImagePush(ctx, reg.Host+"/team/app:v1", client.ImagePushOptions{RegistryAuth: auth})
	require.NoError(t, err)
	var statuses []string
	var aux map[string]any
	for m, err := range push.JSONMessages(ctx) {
		require.NoError(t, err)
		require.Nil(t, m.Error)
		statuses = append(statuses, m.Status)
		if m.Aux != nil {
			require.NoError(t, json.Unmarshal(*m.Aux, &aux))
		}
	}
	assert.Contains(t, statuses, "Pushed")
	pushed, err := a.engine.Image(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, "v1", aux["Tag"])
	assert.Equal(t, pushed.Digest, aux["Digest"])
	// The manifest's size, as the registry has it.
	req, err := http.NewRequest(http.MethodHead, reg.URL+"/v2/team/app/manifests/v1", nil)
	require.NoError(t, err)
	req.SetBasicAuth("alice", "s3cret")
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest)
	resp, err := reg.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Greater(t, resp.ContentLength, int64(0))
	assert.Equal(t, float64(resp.ContentLength), aux["Size"])
	assert.Contains(t, statuses, fmt.Sprintf("v1: digest: %s size: %d", pushed.Digest, resp.ContentLength))

	// Again: the layers are there.
	status, body = a.rawStream(t, "POST", "/images/"+reg.Host+"/team/app/push?tag=v1", http.Header{registry.AuthHeader: {auth}}, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, field(jsonLines(t, body), "status"), "Layer already exists")
	// A missing image: 404 before the stream.
	status, body = a.rawStream(t, "POST", "/images/"+reg.Host+"/team/none/push?tag=v1", http.Header{registry.AuthHeader: {auth}}, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"message":"An image does not exist locally with the tag: `+reg.Host+`/team/none"}`, body)

	// Pull it back into a store that lacks it.
	_, err = a.engine.RemoveImage(ctx, ref)
	require.NoError(t, err)
	_, err = a.engine.RemoveImage(ctx, "busybox")
	require.NoError(t, err)
	_, err = a.engine.Image(ctx, busybox.ID)
	require.ErrorIs(t, err, dock.ErrNotFound)

	// Without credentials: 401 before any line, which makes the client
	// ask for credentials.
	_, err = a.client.ImagePull(ctx, ref, client.ImagePullOptions{})
	require.Error(t, err)
	status, _ = a.rawStream(t, "POST", "/images/create?fromImage="+reg.Host+"/team/app&tag=v1", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	// An unknown tag: 404.
	_, err = a.client.ImagePull(ctx, reg.Host+"/team/app:nope", client.ImagePullOptions{RegistryAuth: auth})
	require.Error(t, err)
	status, _ = a.rawStream(t, "POST", "/images/create?fromImage="+reg.Host+"/team/app&tag=nope", http.Header{registry.AuthHeader: {auth}}, nil)
	assert.Equal(t, http.StatusNotFound, status)

	pull, err := a.client.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: auth})
	require.NoError(t, err)
	var msgs []string
	for m, err := range pull.JSONMessages(ctx) {
		require.NoError(t, err)
		require.Nil(t, m.Error)
		msgs = append(msgs, m.ID+" "+m.Status)
	}
	require.NotEmpty(t, msgs)
	assert.Equal(t, "v1 Pulling from team/app", msgs[0])
	joined := strings.Join(msgs, "\n")
	assert.Contains(t, joined, "Pulling fs layer")
	assert.Contains(t, joined, "Pull complete")
	assert.Equal(t, len(busybox.Layers), strings.Count(joined, "Download complete"), "once a layer:\n%s", joined)
	assert.Equal(t, len(busybox.Layers), strings.Count(joined, "Verifying Checksum"), "once a layer:\n%s", joined)
	assert.Contains(t, msgs, " Digest: "+pushed.Digest)
	assert.Equal(t, " Status: Downloaded newer image for "+ref, msgs[len(msgs)-1])
	got, err := a.engine.Image(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, busybox.ID, got.ID)

	// Again, the legacy way (fromImage and tag apart, digests too).
	status, body = a.rawStream(t, "POST", "/v1.24/images/create?fromImage="+reg.Host+"/team/app&tag=v1", http.Header{registry.AuthHeader: {auth}}, nil)
	require.Equal(t, http.StatusOK, status, body)
	lines = jsonLines(t, body)
	assert.Equal(t, "Status: Image is up to date for "+ref, lines[len(lines)-1]["status"])
	assert.Contains(t, field(lines, "status"), "Already exists")
	status, body = a.rawStream(t, "POST", "/images/create?fromImage="+reg.Host+"/team/app&tag=v1&platform=linux", http.Header{registry.AuthHeader: {auth}}, nil)
	require.Equal(t, http.StatusOK, status, body)
	status, body = a.rawStream(t, "POST", "/images/create?fromImage="+reg.Host+"/team/app&tag="+pushed.Digest, http.Header{registry.AuthHeader: {auth}}, nil)
	require.Equal(t, http.StatusOK, status, body)
	lines = jsonLines(t, body)
	assert.Equal(t, pushed.Digest, lines[0]["id"])

	// Bad input: Docker's statuses, nothing pulled.
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/images/create?fromImage=UPPER", 400},
		{"/images/create?fromImage=" + reg.Host + "/team/app&tag=bad:tag", 400},
		{"/images/create?fromImage=" + reg.Host + "/team/app&tag=v1&platform=linux/", 400},
		{"/images/create?fromImage=" + reg.Host + "/team/app&tag=v1&platform=windows", 404},
	} {
		status, body := a.rawStream(t, "POST", tc.path, http.Header{registry.AuthHeader: {auth}}, nil)
		assert.Equal(t, tc.status, status, "%s: %s", tc.path, body)
	}
	status, body = a.rawStream(t, "POST", "/images/create?fromImage=UPPER", nil, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, 1, strings.Count(body, "invalid reference format"), body)
	// A header that does not decode is ignored, as Docker's pull does.
	status, _ = a.rawStream(t, "POST", "/images/create?fromImage="+reg.Host+"/team/app&tag=v1", http.Header{registry.AuthHeader: {"%%%"}}, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
}

// A failure once the pull's stream has started is an error line in the
// 200 answer, with Docker's two fields.
func TestServeImagesPullErrorLine(t *testing.T) {
	a := newRegistryAPITest(t)
	ctx := context.Background()
	reg := registrytest.Start(t)
	registrytest.PushImage(t, reg, "team/big", "v1", registrytest.RandomLayer(t, 1<<20))
	var blobs atomic.Int32
	proxy := registrytest.NewProxy(t, reg, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		// The first blob is the config; the layer's fails.
		if registrytest.BlobGet(r) && blobs.Add(1) > 1 {
			registrytest.Fail(http.StatusForbidden, nil)(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
	status, body := a.rawStream(t, "POST", "/images/create?fromImage="+proxy.Host+"/team/big&tag=v1", nil, nil)
	require.Equal(t, http.StatusOK, status, body)
	lines := jsonLines(t, body)
	require.GreaterOrEqual(t, len(lines), 2, body)
	assert.Equal(t, "Pulling from team/big", lines[0]["status"])
	last := lines[len(lines)-1]
	require.Contains(t, last, "errorDetail", body)
	msg, _ := last["error"].(string)
	assert.NotEmpty(t, msg)
	assert.Equal(t, map[string]any{"message": msg}, last["errorDetail"])
	_, err := a.engine.Image(ctx, proxy.Host+"/team/big:v1")
	assert.ErrorIs(t, err, dock.ErrNotFound)
}

func TestServeAuth(t *testing.T) {
	a := newRegistryAPITest(t)
	ctx := context.Background()
	reg := registrytest.Start(t, registrytest.WithBasicAuth("alice", "s3cret"))
	res, err := a.client.RegistryLogin(ctx, client.RegistryLoginOptions{ServerAddress: reg.Host, Username: "alice", Password: "s3cret"})
	require.NoError(t, err)
	assert.Equal(t, "Login Succeeded", res.Auth.Status)
	_, err = a.client.RegistryLogin(ctx, client.RegistryLoginOptions{ServerAddress: "http://" + reg.Host + "/v2/", Username: "alice", Password: "wrong"})
	require.Error(t, err)
	status, _, body := a.do(t, "POST", "/auth", `{"serveraddress":"`+reg.Host+`","username":"alice","password":"wrong"}`)
	assert.Equal(t, http.StatusUnauthorized, status, body)

	// The auth field (base64 user:password), as config.json keeps it.
	status, _, body = a.do(t, "POST", "/auth", `{"serveraddress":"`+reg.Host+`","auth":"`+base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))+`"}`)
	assert.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"Status":"Login Succeeded"}`, body)
	for _, b := range []string{`{"serveraddress":`, `{"serveraddress":"` + reg.Host + `","username":"alice"}`, `{"serveraddress":"a b","username":"alice","password":"x"}`, `[1]`} {
		status, _, body := a.do(t, "POST", "/auth", b)
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", b, body)
	}
	// Nothing stored: a pull still needs credentials.
	status, _ = a.rawStream(t, "POST", "/images/create?fromImage="+reg.Host+"/x&tag=v1", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
}
