package dockerapi

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

// At debug level, each request is logged when it comes and when it ends,
// with how long it took: the trace of where a client's time goes.
func TestServeLogRequestDuration(t *testing.T) {
	e, err := dock.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	var buf bytes.Buffer
	h := Handler(e, WithHandlerLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1.41/_ping", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, buf.String(), `msg="api request" method=GET path=/_ping version=1.41`)
	assert.Regexp(t, `msg="api request done" method=GET path=/_ping took=[0-9.]+[µnm]?s`, buf.String())

	// At info level, nothing.
	buf.Reset()
	h = Handler(e, WithHandlerLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/_ping", nil))
	assert.Empty(t, buf.String())
}
