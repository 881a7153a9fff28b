//go:build !linux

package nettest

import (
	"os"
	"testing"

	"github.com/go-dock/dock/internal/testutil"
)

// Main runs the tests unchanged: there are no network namespaces here, and
// every helper skips.
func Main(m *testing.M) { os.Exit(m.Run()) }

// Require skips the test (or fails it in CI): it needs Linux.
func Require(t testing.TB) {
	t.Helper()
	testutil.Missing(t, "network namespaces need Linux")
}
