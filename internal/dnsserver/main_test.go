package dnsserver

import (
	"testing"

	"github.com/go-dock/dock/internal/nettest"
)

// The tests on loopback run anywhere; those that need the fake internet or
// a namespace of their own call nettest.Require, which skips without root.
func TestMain(m *testing.M) { nettest.Main(m) }
