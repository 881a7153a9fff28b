package dock

import (
	"bytes"
	"context"
	"sync"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// testEngine opens an engine on a fresh state directory holding the
// busybox image (tagged busybox:latest, Cmd sh). Containers need root.
func testEngine(t testing.TB) *Engine {
	t.Helper()
	testutil.RequireRoot(t)
	e, err := Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	importBusybox(t, e)
	return e
}

func importBusybox(t testing.TB, e *Engine) {
	t.Helper()
	_, err := e.ImportDir(context.Background(), testutil.BusyboxRootfs(t), "busybox:latest",
		WithImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}}))
	require.NoError(t, err)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
