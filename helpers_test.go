package dock

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// testEngine opens an engine on a fresh state directory holding the
// busybox image (tagged busybox:latest, Cmd sh), to run containers: it
// needs root.
func testEngine(t testing.TB) *Engine {
	t.Helper()
	testutil.RequireRoot(t)
	return testStore(t)
}

// testStore is testEngine for tests that run no container nor unpack a
// layer (image store, configuration, creates): they need no root.
func testStore(t testing.TB) *Engine {
	t.Helper()
	e, err := Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { waitRemovals(t, e) })
	t.Cleanup(func() { e.Close() })
	t.Cleanup(func() { removeContainers(t, e) })
	importBusybox(t, e)
	return e
}

// removeContainers removes, forcibly, every container the test left in e:
// their cgroups would outlive the state directory otherwise.
// (internal/docktest has it, and importBusybox, for the tests of the
// packages over dock; this package's cannot import it: it imports dock.)
func removeContainers(t testing.TB, e *Engine) {
	ctx := context.Background()
	infos, err := e.Containers(ctx)
	if err != nil {
		t.Errorf("list the containers left: %v", err)
		return
	}
	for _, info := range infos {
		c, err := e.Container(info.ID)
		if err == nil {
			err = c.Remove(ctx, RemoveForce())
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("remove container %s left by the test: %v", info.ID, err)
		}
	}
}

// waitRemovals waits (at most 20 s) until the removals under way in e are
// over: an AutoRemove container's monitor deletes its cgroup and its
// files after its destroy, and the next test may look at the host's
// cgroups.
func waitRemovals(t testing.TB, e *Engine) {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		des, err := os.ReadDir(e.path("tmp"))
		if err != nil || !slices.ContainsFunc(des, func(de os.DirEntry) bool { return strings.HasPrefix(de.Name(), removalPrefix) }) {
			return
		}
	}
	t.Errorf("removals in %s still under way", e.path("tmp"))
}

func importBusybox(t testing.TB, e *Engine) {
	t.Helper()
	_, err := e.ImportDir(context.Background(), testutil.BusyboxRootfs(t), "busybox:latest",
		ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}}))
	require.NoError(t, err)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer = testutil.SyncBuffer
