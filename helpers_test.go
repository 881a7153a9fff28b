package dock

import (
	"context"
	"os"
	"testing"

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
	_, err := e.ImportDir(context.Background(), testutil.BusyboxRootfs(t), "busybox:latest")
	require.NoError(t, err)
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
