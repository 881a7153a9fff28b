package dockerapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// onlyReader hides a reader's length: the request goes chunked, with no
// Content-Length for the server to refuse it by.
type onlyReader struct{ io.Reader }

// TestServeSafetyBodyLimit: a JSON body past maxJSONBody is a 413 with a
// message, whether its length is announced or not, on every endpoint that
// reads one, and nothing is created.
func TestServeSafetyBodyLimit(t *testing.T) {
	a := newAPITest(t)
	huge := `{"Name":"x","Labels":{"a":"` + strings.Repeat("A", maxJSONBody) + `"}}`
	for _, path := range []string{
		"/containers/create", "/volumes/create", "/networks/create", "/auth",
		"/containers/nosuch/update", "/containers/nosuch/exec", "/networks/bridge/connect",
	} {
		for _, chunked := range []bool{false, true} {
			var body io.Reader = strings.NewReader(huge)
			if chunked {
				body = onlyReader{body}
			}
			req, err := http.NewRequest("POST", "http://docker/v1.45"+path, body)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			resp, err := a.http.Do(req)
			require.NoError(t, err)
			var e struct{ Message string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&e), path)
			resp.Body.Close()
			require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s chunked=%v: %s", path, chunked, e.Message)
			require.Contains(t, e.Message, "request body too large", path)
		}
	}
	ctx := context.Background()
	cs, err := a.engine.Containers(ctx)
	require.NoError(t, err)
	require.Empty(t, cs)
	vs, err := a.engine.Volumes(ctx)
	require.NoError(t, err)
	require.Empty(t, vs)
	code, _, _ := a.do(t, "GET", "/networks/x", "")
	require.Equal(t, http.StatusNotFound, code)
}

// TestServeSafetyBadJSON: bad JSON, wrong types and a body that is not
// JSON at all are 400s with a message, and nothing is created; unknown
// fields are ignored, as Docker's daemon does.
func TestServeSafetyBadJSON(t *testing.T) {
	a := newAPITest(t)
	for _, tt := range []struct{ path, body string }{
		{"/volumes/create", `{"Name":`},
		{"/volumes/create", `{"Name":5}`},
		{"/volumes/create", `[1,2]`},
		{"/volumes/create", "\x00\xff"},
		{"/networks/create", `{"Name":"n","Labels":"x"}`},
		{"/containers/create", `{"Image":"busybox","Cmd":{}}`},
		{"/containers/create", `{"Image":"busybox","HostConfig":{"Memory":"lots"}}`},
		{"/containers/create", `{"Image":"busybox","HostConfig":{"Memory":1e400}}`},
	} {
		code, _, body := a.do(t, "POST", tt.path, tt.body)
		require.Equal(t, http.StatusBadRequest, code, "%s %s: %s", tt.path, tt.body, body)
		var e struct{ Message string }
		require.NoError(t, json.Unmarshal([]byte(body), &e))
		require.NotEmpty(t, e.Message)
	}
	ctx := context.Background()
	cs, err := a.engine.Containers(ctx)
	require.NoError(t, err)
	require.Empty(t, cs)
	vs, err := a.engine.Volumes(ctx)
	require.NoError(t, err)
	require.Empty(t, vs)

	code, _, body := a.do(t, "POST", "/volumes/create", `{"Name":"v1","NoSuchField":{"x":[1]}}`)
	require.Equal(t, http.StatusCreated, code, body)
}
