package dock

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/bridge"
	"github.com/go-dock/dock/internal/nettest"
)

// The bridge tier, end to end: containers on the default bridge and on
// user-defined networks, in the nettest harness (a private "host"
// namespace with a fake internet on 203.0.113.0/24).

// echoPeer is a script that prints the address the internet's echo
// server saw the container's connection come from.
const echoPeer = `echo | nc -w 5 203.0.113.1 7 | head -n 1`

func TestBridgeNAT(t *testing.T) {
	nettest.Require(t)
	nettest.Internet(t)
	before := nettest.Snapshot(t)
	e := testEngine(t)
	out := sh(t, e, Config{Network: "bridge"}, `ip -4 -o addr show eth0 | awk '{print $4}'; ip route | grep default; `+echoPeer)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, "output %q", out)
	assert.Equal(t, "172.17.0.2/16", lines[0])
	assert.Contains(t, lines[1], "default via 172.17.0.1 dev eth0")
	// Masqueraded: the internet sees the host's address.
	assert.True(t, strings.HasPrefix(lines[2], nettest.HostIP.String()+":"), "echo saw %q", lines[2])
	// The container gone, its network is too: the bridge, the table,
	// the forwarding sysctl.
	assert.False(t, bridge.Exists("dock0"), "dock0 outlived its last container")
	assertNoNetLeak(t, before)
}

// assertNoNetLeak compares the host namespace with a snapshot taken
// before: veths die with their namespaces, asynchronously, so it waits a
// bounded while for them to go.
func assertNoNetLeak(t *testing.T, before *nettest.State) {
	t.Helper()
	var diff []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if diff = nettest.Diff(before, nettest.Snapshot(t)); len(diff) == 0 {
			return
		}
	}
	t.Errorf("the host's network changed:\n%s", strings.Join(diff, "\n"))
}

func TestBridgeUserNetworks(t *testing.T) {
	nettest.Require(t)
	nettest.Internet(t)
	before := nettest.Snapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	a, err := e.CreateNetwork(ctx, "neta", NetworkSubnet("10.50.0.0/24"))
	require.NoError(t, err)
	_, err = e.CreateNetwork(ctx, "netb", NetworkSubnet("10.51.0.0/24"))
	require.NoError(t, err)
	_, err = e.CreateNetwork(ctx, "inside", NetworkSubnet("10.52.0.0/24"), NetworkInternal())
	require.NoError(t, err)

	// A server on neta, detached.
	srv, err := e.Create(ctx, Config{Image: "busybox", Network: "neta", IPv4Address: mustAddr("10.50.0.10"),
		Cmd: []string{"sh", "-c", "while :; do echo hello | nc -l -p 8080; done"}})
	require.NoError(t, err)
	require.NoError(t, srv.StartDetached(ctx))
	t.Cleanup(func() { srv.Remove(ctx, RemoveForce()) })

	// Same network: reachable. Other network: not. Internal: no way out.
	got := sh(t, e, Config{Network: "neta"}, `for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 2 10.50.0.10 8080 && break; sleep 0.2; done`)
	assert.Equal(t, "hello\n", got)
	got = sh(t, e, Config{Network: "netb"}, `nc -w 2 10.50.0.10 8080 || echo unreachable`)
	assert.Equal(t, "unreachable\n", got)
	got = sh(t, e, Config{Network: "inside"}, `ip -4 -o addr show eth0 | awk '{print $4}'; ip route | grep -c default; nc -w 2 203.0.113.1 7 </dev/null || echo unreachable`)
	assert.Equal(t, "10.52.0.2/24\n0\nunreachable\n", got)
	// The outside world sees neta's containers through NAT.
	got = sh(t, e, Config{Network: "neta"}, echoPeer)
	assert.True(t, strings.HasPrefix(got, nettest.HostIP.String()+":"), "echo saw %q", got)

	// In use: not removable.
	err = e.RemoveNetwork(ctx, a.ID)
	assert.ErrorIs(t, err, ErrInUse)
	require.NoError(t, srv.Remove(ctx, RemoveForce()))
	for _, n := range []string{"neta", "netb", "inside"} {
		require.NoError(t, e.RemoveNetwork(ctx, n))
	}
	assertNoNetLeak(t, before)
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
