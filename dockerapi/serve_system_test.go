package dockerapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServePing(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()
	p, err := a.client.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	require.NoError(t, err)
	assert.Equal(t, APIVersion, p.APIVersion)
	assert.Equal(t, "linux", p.OSType)
	assert.Equal(t, APIVersion, a.client.ClientVersion(), "negotiated")

	for _, method := range []string{http.MethodGet, http.MethodHead} {
		status, h, body := a.do(t, method, "/_ping", "")
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, APIVersion, h.Get("Api-Version"))
		assert.Equal(t, "1", h.Get("Builder-Version"), "the classic builder")
		assert.Equal(t, "inactive", h.Get("Swarm"))
		if method == http.MethodGet {
			assert.Equal(t, "OK", body)
		} else {
			assert.Empty(t, body)
		}
	}
}

func TestServeVersionPrefix(t *testing.T) {
	a := newAPITest(t)
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/version", http.StatusOK, ""},
		{"/v1.24/version", http.StatusOK, ""},
		{"/v1.38/version", http.StatusOK, ""},
		{"/v" + APIVersion + "/version", http.StatusOK, ""},
		{"/v1.23/version", http.StatusBadRequest, `{"message":"client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"}`},
		{"/v1.99/version", http.StatusBadRequest, `{"message":"client version 1.99 is too new. Maximum supported API version is ` + APIVersion + `"}`},
		{"/v1.38/nosuch", http.StatusNotFound, `{"message":"page not found"}`},
		{"/vx.y/version", http.StatusNotFound, `{"message":"page not found"}`},
	} {
		status, h, body := a.do(t, http.MethodGet, tc.path, "")
		assert.Equal(t, tc.status, status, tc.path)
		if tc.body != "" {
			assert.JSONEq(t, tc.body, body, tc.path)
			assert.Equal(t, "application/json", h.Get("Content-Type"), tc.path)
		}
	}
}

func TestServeVersionAndInfo(t *testing.T) {
	a := newAPITest(t)
	ctx := context.Background()
	v, err := a.client.ServerVersion(ctx, client.ServerVersionOptions{})
	require.NoError(t, err)
	assert.Equal(t, APIVersion, v.APIVersion)
	assert.Equal(t, MinAPIVersion, v.MinAPIVersion)
	assert.Equal(t, "linux", v.Os)

	info, err := a.client.Info(ctx, client.InfoOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, info.Info.Images, "busybox")
	assert.Equal(t, 0, info.Info.Containers)
}

func TestServeUnsupported(t *testing.T) {
	a := newAPITest(t)
	status, _, body := a.do(t, http.MethodGet, "/v1.41/plugins", "")
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `[]`, body)
	for _, p := range []string{"/swarm", "/v1.41/services", "/nodes/x", "/v1.38/secrets/create"} {
		status, _, body = a.do(t, http.MethodGet, p, "")
		assert.Equal(t, http.StatusServiceUnavailable, status, p)
		assert.Contains(t, body, "This node is not a swarm manager", p)
	}
}
