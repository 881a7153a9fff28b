//go:build linux

package dockerapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/testutil"
)

// BenchmarkServeContainersList500 measures the handler's answer to GET
// /containers/json with 500 containers created and never started, as
// bench/dockd.sh makes them (docker create --name psN busybox true: on
// the default bridge), in an engine on a tmpfs: "all" is docker ps -a
// (500 rows), "running" docker ps (0 rows). The server side only: no
// socket, no client.
func BenchmarkServeContainersList500(b *testing.B) {
	testutil.RequireRoot(b)
	dir := b.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, ""); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	e, err := dock.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	ctx := context.Background()
	if _, err := e.ImportDir(ctx, testutil.BusyboxRootfs(b), "busybox:latest",
		dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}})); err != nil {
		b.Fatal(err)
	}
	for i := range 500 {
		if _, err := e.Create(ctx, dock.Config{Image: "busybox", Name: fmt.Sprintf("ps%d", i), Network: "bridge", Cmd: []string{"true"}}); err != nil {
			b.Fatal(err)
		}
	}
	h := Handler(e)
	list := func(b *testing.B, query string, want int) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1.41/containers/json"+query, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /containers/json%s: %d %s", query, rec.Code, rec.Body)
		}
		if n := bytes.Count(rec.Body.Bytes(), []byte(`"Id":`)); n != want {
			b.Fatalf("GET /containers/json%s: %d rows, want %d", query, n, want)
		}
	}
	b.Run("all", func(b *testing.B) {
		list(b, "?all=1", 500)
		testutil.TimeOps(b, func() { list(b, "?all=1", 500) })
	})
	b.Run("running", func(b *testing.B) {
		list(b, "", 0)
		testutil.TimeOps(b, func() { list(b, "", 0) })
	})
}
