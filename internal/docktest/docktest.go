// Package docktest holds the test helpers that need package dock itself:
// an engine holding busybox, as the tests of the packages over the
// library (dockerapi, the example daemon) start from, and the removal
// of the containers a test left.
//
// The root package's own tests cannot import it (it imports dock): they
// keep their copies in helpers_test.go.
package docktest

import (
	"context"
	"errors"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// Engine opens an engine with opts on a state directory of the test's,
// holding busybox:latest (ImportBusybox). At the test's end it removes
// the containers left (RemoveContainers) and closes the engine.
func Engine(t testing.TB, opts ...dock.Option) *dock.Engine {
	t.Helper()
	e, err := dock.Open(t.TempDir(), opts...)
	if err != nil {
		t.Fatalf("open the engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	t.Cleanup(func() { RemoveContainers(t, e) })
	ImportBusybox(t, e)
	return e
}

// ImportBusybox imports testutil's busybox root filesystem into e as
// busybox:latest, with Cmd sh, as a pull of Docker Hub's would give it.
func ImportBusybox(t testing.TB, e *dock.Engine) *dock.Image {
	t.Helper()
	img, err := e.ImportDir(context.Background(), testutil.BusyboxRootfs(t), "busybox:latest",
		dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}}))
	if err != nil {
		t.Fatalf("import busybox: %v", err)
	}
	return img
}

// RemoveContainers removes, forcibly, every container left in e: their
// cgroups and monitors would outlive the state directory otherwise. A
// failure is the test's error.
func RemoveContainers(t testing.TB, e *dock.Engine) {
	ctx := context.Background()
	infos, err := e.Containers(ctx)
	if err != nil {
		t.Errorf("list the containers left: %v", err)
		return
	}
	for _, info := range infos {
		c, err := e.Container(info.ID)
		if err == nil {
			err = c.Remove(ctx, dock.RemoveForce())
		}
		if err != nil && !errors.Is(err, dock.ErrNotFound) {
			t.Errorf("remove container %s left by the test: %v", info.ID, err)
		}
	}
}
