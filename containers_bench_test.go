//go:build linux

package dock

import (
	"context"
	"fmt"
	"testing"

	"github.com/go-dock/dock/internal/testutil"
)

// BenchmarkContainers500 measures Engine.Containers with 500 containers
// created and never started (docker ps -a's case, as bench/dockd.sh
// makes them: on the default bridge), in an engine on a tmpfs as the
// peers' state is (/run): "cached" as a daemon lists them again, "cold"
// as a program that lists once (the cache emptied before each list),
// "active" as docker ps without -a (none runs); "name" is a lookup by
// name (Container), after a list.
func BenchmarkContainers500(b *testing.B) {
	e := benchContainersEngine(b, 500)
	ctx := context.Background()
	list := func(b *testing.B, want int, opts ...ContainersOption) {
		list, err := e.Containers(ctx, opts...)
		if err != nil {
			b.Fatal(err)
		}
		if len(list) != want {
			b.Fatalf("Containers() listed %d, want %d", len(list), want)
		}
	}
	b.Run("cached", func(b *testing.B) {
		list(b, 500)
		testutil.TimeOps(b, func() { list(b, 500) })
	})
	b.Run("cold", func(b *testing.B) {
		testutil.TimeOps(b, func() {
			e.containers.retain(nil)
			list(b, 500)
		})
	})
	b.Run("name", func(b *testing.B) {
		list(b, 500) // the names kept
		testutil.TimeOps(b, func() {
			if _, err := e.Container("ps250"); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("active", func(b *testing.B) {
		e.containers.retain(nil)
		testutil.TimeOps(b, func() {
			list(b, 0, ContainersWhere(func(_ string, st State) bool { return st.Status.active() }))
		})
	})
}

// benchContainersEngine is an engine on a tmpfs holding busybox and n
// containers created from it on the default bridge.
func benchContainersEngine(b *testing.B, n int) *Engine {
	b.Helper()
	e := tmpfsEngine(b)
	ctx := context.Background()
	for i := range n {
		_, err := e.Create(ctx, Config{Image: "busybox", Name: fmt.Sprintf("ps%d", i), Network: "bridge", Cmd: []string{"true"}})
		if err != nil {
			b.Fatal(err)
		}
	}
	return e
}
