package firewall

import (
	"testing"

	"github.com/go-dock/dock/internal/nettest"
)

// TestMain runs the tests in nettest's private "host" namespace: the table
// they write is never the machine's.
func TestMain(m *testing.M) { nettest.Main(m) }
