package dock

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/nettest"
)

// On a bridge that is up, a start makes the container's pair before its
// addresses are allocated, and the init sets its MAC address: the given
// one, or the one derived from its address, as when the bridge comes up
// with the container.
func TestBridgeEarlyPair(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	keep := startDetached(t, e, Config{Network: "bridge", Cmd: []string{"sleep", "600"}})
	n := earlyPairs.Load()
	got := sh(t, e, Config{Network: "bridge", MacAddress: "02:42:0a:00:00:98"}, `cat /sys/class/net/eth0/address`)
	assert.Equal(t, "02:42:0a:00:00:98\n", got)
	got = sh(t, e, Config{Network: "bridge", Ports: []PortMapping{{ContainerPort: 80}}},
		`ip -o -4 addr show eth0 | awk '{print $4}'; cat /sys/class/net/eth0/address; ip route | grep default`)
	lines := strings.Split(got, "\n")
	require.Len(t, lines, 4, got)
	addr, err := netip.ParsePrefix(lines[0])
	require.NoError(t, err, got)
	assert.Equal(t, defaultMAC(addr.Addr()).String(), lines[1])
	assert.Contains(t, lines[2], "default via 172.17.0.1 dev eth0")
	assert.Equal(t, n+2, earlyPairs.Load(), "pairs made before their addresses")
	require.NoError(t, keep.Remove(context.Background(), RemoveForce()))
	assertNoNetLeak(t, before)
}

// A table that cannot change once the init has its plan fails the start:
// the container is killed, its host port is free again, and nothing of
// its network is left, on a bridge the start made (cold) and on one
// that was up (warm).
func TestBridgeTableFails(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	refused := errors.New("table refused")
	testHookTable = func() error { return refused }
	defer func() { testHookTable = nil }()
	try := func(warm bool) {
		c, err := e.Create(ctx, Config{Image: "busybox", Network: "bridge", Cmd: []string{"sleep", "600"},
			Ports: []PortMapping{{HostPort: 8095, ContainerPort: 80}}})
		require.NoError(t, err)
		err = c.Start(ctx)
		require.Error(t, err)
		if warm {
			// Cold, the pair may fail first: its bridge goes with the
			// change.
			assert.ErrorIs(t, err, refused)
		}
		st, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, StatusCreated, st.Status)
		ln, err := net.Listen("tcp", ":8095")
		require.NoError(t, err, "the host port is still held")
		ln.Close()
		require.NoError(t, c.Remove(ctx))
	}
	try(false)
	st, err := netStore.Read()
	require.NoError(t, err)
	assert.Empty(t, st.Networks, "the network the failed start made")

	testHookTable = nil
	keep := startDetached(t, e, Config{Network: "bridge", Cmd: []string{"sleep", "600"}})
	testHookTable = func() error { return refused }
	try(true)
	testHookTable = nil
	st, err = netStore.Read()
	require.NoError(t, err)
	for _, n := range st.Networks {
		assert.Len(t, n.Endpoints, 1, "only the kept container's endpoint")
	}
	require.NoError(t, keep.Remove(ctx, RemoveForce()))
	assertNoNetLeak(t, before)
}
