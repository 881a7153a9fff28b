package portres

import (
	"testing"

	"github.com/go-dock/dock/internal/nettest"
)

// The tests bind ports: they run in nettest's private network namespace.
func TestMain(m *testing.M) { nettest.Main(m) }
