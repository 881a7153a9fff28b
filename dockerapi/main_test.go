package dockerapi

import (
	"testing"

	"github.com/go-dock/dock/internal/nettest"
)

// The server's tests run containers on bridge networks (Docker's default
// for a container that names none): in nettest's private namespaces.
func TestMain(m *testing.M) { nettest.Main(m) }
