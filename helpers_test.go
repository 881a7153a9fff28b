package dock

import (
	"context"
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
