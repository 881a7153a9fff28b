package dock

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// testNetworks opens a root for network definitions (no root needed, no
// image) whose host has the given routes and nameservers.
func testNetworks(t *testing.T, host ...string) *Engine {
	t.Helper()
	e, err := Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	var nets []netip.Prefix
	for _, h := range host {
		nets = append(nets, netip.MustParsePrefix(h))
	}
	e.hostNets = func() []netip.Prefix { return nets }
	return e
}

func names(nets []*Network) []string {
	var out []string
	for _, n := range nets {
		out = append(out, n.Name)
	}
	return out
}

func TestNetworkCreateListInspectRemove(t *testing.T) {
	ctx := context.Background()
	e := testNetworks(t)

	nets, err := e.Networks(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"bridge", "host", "none"}, names(nets))
	assert.Equal(t, "172.17.0.0/16", nets[0].IPAM[0].Subnet.String())
	assert.Equal(t, "172.17.0.1", nets[0].IPAM[0].Gateway.String())
	assert.Equal(t, []string{"bridge", "host", "null"}, []string{nets[0].Driver, nets[1].Driver, nets[2].Driver})

	a, err := e.CreateNetwork(ctx, "alpha", NetworkLabel("k", "v"), NetworkDriverOpt("com.docker.network.bridge.name", "br-a"), NetworkInternal())
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{64}$`, a.ID)
	assert.Equal(t, "bridge", a.Driver)
	assert.Equal(t, []IPAMConfig{{Subnet: netip.MustParsePrefix("172.18.0.0/16"), Gateway: netip.MustParseAddr("172.18.0.1")}}, a.IPAM)
	assert.True(t, a.Internal)
	assert.False(t, a.EnableIPv6)
	assert.Equal(t, map[string]string{"k": "v"}, a.Labels)
	assert.Equal(t, map[string]string{"com.docker.network.bridge.name": "br-a"}, a.Options)
	assert.FileExists(t, e.path("networks", a.ID+".json"))

	b, err := e.CreateNetwork(ctx, "B", NetworkIPv6())
	require.NoError(t, err)
	require.Len(t, b.IPAM, 2)
	assert.Equal(t, "172.19.0.0/16", b.IPAM[0].Subnet.String(), "the next free /16")
	ula := b.IPAM[1].Subnet
	assert.True(t, netip.MustParsePrefix("fd00::/8").Overlaps(ula) && ula.Bits() == 64, "ULA /64: %s", ula)
	assert.Equal(t, ula.Addr().Next(), b.IPAM[1].Gateway)

	c, err := e.CreateNetwork(ctx, "c", NetworkSubnet("10.1.0.0/16"), NetworkGateway("10.1.255.254"), NetworkIPRange("10.1.2.0/24"),
		NetworkIPv6(), NetworkSubnet("fd00:1::/64"), NetworkDriver("bridge"))
	require.NoError(t, err)
	assert.Equal(t, []IPAMConfig{
		{Subnet: netip.MustParsePrefix("10.1.0.0/16"), Gateway: netip.MustParseAddr("10.1.255.254"), IPRange: netip.MustParsePrefix("10.1.2.0/24")},
		{Subnet: netip.MustParsePrefix("fd00:1::/64"), Gateway: netip.MustParseAddr("fd00:1::1")},
	}, c.IPAM)

	nets, err = e.Networks(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"B", "alpha", "bridge", "c", "host", "none"}, names(nets), "sorted by name")
	i := slices.IndexFunc(nets, func(n *Network) bool { return n.Name == "alpha" })
	assert.Equal(t, a.ID, nets[i].ID)
	assert.Equal(t, a.IPAM, nets[i].IPAM, "read back as written")
	assert.Equal(t, a.Created, nets[i].Created)

	// Lookup: full ID, name, unique prefix; missing and ambiguous.
	for _, ref := range []string{a.ID, "alpha", a.ID[:12]} {
		n, err := e.Network(ctx, ref)
		if assert.NoError(t, err, ref) {
			assert.Equal(t, a.ID, n.ID, ref)
		}
	}
	n, err := e.Network(ctx, "host")
	require.NoError(t, err)
	assert.True(t, n.Predefined())
	assert.False(t, a.Predefined())
	_, err = e.Network(ctx, "zz")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.EqualError(t, err, "network zz not found")
	_, err = e.Network(ctx, "")
	assert.ErrorIs(t, err, ErrInvalid)
	// An ambiguous prefix: two definitions whose IDs share a first digit
	// are likely with 6 networks, certain with 17.
	for i := range 11 {
		_, err := e.CreateNetwork(ctx, fmt.Sprintf("n%d", i), NetworkSubnet(fmt.Sprintf("10.%d.0.0/16", 100+i)))
		require.NoError(t, err)
	}
	nets, err = e.Networks(ctx)
	require.NoError(t, err)
	first := map[byte]int{}
	for _, n := range nets {
		first[n.ID[0]]++
	}
	for d, count := range first {
		if count > 1 {
			_, err := e.Network(ctx, string(d))
			assert.ErrorIs(t, err, ErrInvalid, "prefix %c of %d networks", d, count)
			break
		}
	}

	// Remove: by name and by prefix; predefined ones are refused.
	require.NoError(t, e.RemoveNetwork(ctx, "alpha"))
	assert.NoFileExists(t, e.path("networks", a.ID+".json"))
	require.NoError(t, e.RemoveNetwork(ctx, b.ID[:10]))
	assert.ErrorIs(t, e.RemoveNetwork(ctx, "alpha"), ErrNotFound, "not a hexadecimal prefix either")
	for _, name := range []string{"bridge", "host", "none"} {
		err := e.RemoveNetwork(ctx, name)
		assert.ErrorIs(t, err, ErrInvalid, name)
		assert.ErrorContains(t, err, name+" is a pre-defined network and cannot be removed")
	}

	// The name is free again, and so is the subnet.
	a2, err := e.CreateNetwork(ctx, "alpha")
	require.NoError(t, err)
	assert.Equal(t, "172.18.0.0/16", a2.IPAM[0].Subnet.String())

	// Prune: every user network (none can be used yet); predefined stay.
	removed, err := e.PruneNetworks(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"alpha", "c", "n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10"}, removed)
	nets, err = e.Networks(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"bridge", "host", "none"}, names(nets))
	entries, err := os.ReadDir(e.path("networks"))
	require.NoError(t, err)
	assert.Empty(t, entries)
	removed, err = e.PruneNetworks(ctx)
	assert.NoError(t, err)
	assert.Empty(t, removed)

	// A second Engine on the root sees the same definitions.
	_, err = e.CreateNetwork(ctx, "shared")
	require.NoError(t, err)
	e2, err := Open(e.Root())
	require.NoError(t, err)
	defer e2.Close()
	n, err = e2.Network(ctx, "shared")
	require.NoError(t, err)
	assert.Equal(t, "shared", n.Name)
}

// TestNetworkCreateErrors: each bad input fails with its sentinel and
// writes nothing.
func TestNetworkCreateErrors(t *testing.T) {
	ctx := context.Background()
	e := testNetworks(t)
	_, err := e.CreateNetwork(ctx, "taken", NetworkSubnet("10.9.0.0/16"))
	require.NoError(t, err)
	before, err := os.ReadDir(e.path("networks"))
	require.NoError(t, err)

	tests := []struct {
		name    string
		netName string
		opts    []NetworkOption
		want    error
		msg     string
	}{
		{"taken name", "taken", nil, ErrExist, "network with name taken already exists"},
		{"predefined name", "bridge", nil, ErrExist, "network with name bridge already exists"},
		{"host name", "host", nil, ErrExist, ""},
		{"empty name", "", nil, ErrInvalid, "invalid name"},
		{"bad name", "-x", nil, ErrInvalid, "invalid name"},
		{"slash in name", "a/b", nil, ErrInvalid, "invalid name"},
		{"malformed subnet", "x", []NetworkOption{NetworkSubnet("10.0.0.0")}, ErrInvalid, "not a CIDR"},
		{"subnet not a network address", "x", []NetworkOption{NetworkSubnet("10.0.0.1/16")}, ErrInvalid, "it should be 10.0.0.0/16"},
		{"subnet too small", "x", []NetworkOption{NetworkSubnet("10.0.0.0/31")}, ErrInvalid, "too small"},
		{"mapped subnet", "x", []NetworkOption{NetworkSubnet("::ffff:10.0.0.0/112")}, ErrInvalid, "IPv4-mapped"},
		{"two ipv4 subnets", "x", []NetworkOption{NetworkSubnet("10.0.0.0/16"), NetworkSubnet("10.1.0.0/16")}, ErrInvalid, "one subnet per address family"},
		{"malformed gateway", "x", []NetworkOption{NetworkSubnet("10.0.0.0/16"), NetworkGateway("10.0.0")}, ErrInvalid, "invalid gateway"},
		{"gateway outside", "x", []NetworkOption{NetworkSubnet("10.0.0.0/16"), NetworkGateway("10.1.0.1")}, ErrInvalid, "no matching subnet for gateway 10.1.0.1"},
		{"gateway without subnet", "x", []NetworkOption{NetworkGateway("10.1.0.1")}, ErrInvalid, "no matching subnet"},
		{"two gateways", "x", []NetworkOption{NetworkSubnet("10.0.0.0/16"), NetworkGateway("10.0.0.1"), NetworkGateway("10.0.0.2")}, ErrInvalid, "multiple gateways"},
		{"malformed range", "x", []NetworkOption{NetworkSubnet("10.0.0.0/16"), NetworkIPRange("10.0.1.0/33")}, ErrInvalid, "invalid ip range"},
		{"range outside", "x", []NetworkOption{NetworkSubnet("10.0.0.0/16"), NetworkIPRange("10.1.0.0/24")}, ErrInvalid, "no matching subnet for ip range 10.1.0.0/24"},
		{"range larger than subnet", "x", []NetworkOption{NetworkSubnet("10.0.0.0/16"), NetworkIPRange("10.0.0.0/8")}, ErrInvalid, "no matching subnet"},
		{"two ranges", "x", []NetworkOption{NetworkSubnet("10.0.0.0/16"), NetworkIPRange("10.0.1.0/24"), NetworkIPRange("10.0.2.0/24")}, ErrInvalid, "multiple ranges"},
		{"overlaps a network", "x", []NetworkOption{NetworkSubnet("10.9.128.0/17")}, ErrInvalid, "overlaps 10.9.0.0/16 of network taken"},
		{"overlaps the default bridge", "x", []NetworkOption{NetworkSubnet("172.16.0.0/12")}, ErrInvalid, "of network bridge"},
		{"ipv6 subnet without ipv6", "x", []NetworkOption{NetworkSubnet("fd00:2::/64")}, ErrInvalid, "needs IPv6 enabled"},
		{"unknown driver", "x", []NetworkOption{NetworkDriver("overlay")}, ErrInvalid, "only bridge"},
		{"empty label key", "x", []NetworkOption{NetworkLabel("", "v")}, ErrInvalid, "empty key"},
		{"empty option key", "x", []NetworkOption{NetworkDriverOpt("", "v")}, ErrInvalid, "empty key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := e.CreateNetwork(ctx, tt.netName, tt.opts...)
			require.ErrorIs(t, err, tt.want, "CreateNetwork = %v", n)
			if tt.msg != "" {
				assert.ErrorContains(t, err, tt.msg)
			}
			after, err := os.ReadDir(e.path("networks"))
			require.NoError(t, err)
			assert.Equal(t, before, after, "networks/ changed")
			tmp, err := os.ReadDir(e.path("tmp"))
			require.NoError(t, err)
			assert.Empty(t, tmp, "tmp/ has leftovers")
		})
	}
}

// TestNetworkSubnetChoice: the default subnet skips the host's routes and
// nameservers and the other networks, and runs out as Docker's pools do.
func TestNetworkSubnetChoice(t *testing.T) {
	ctx := context.Background()
	e := testNetworks(t, "172.18.0.0/16", "172.19.3.0/24", "172.20.0.53/32", "fd00::/8")
	n, err := e.CreateNetwork(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "172.21.0.0/16", n.IPAM[0].Subnet.String())
	_, err = e.CreateNetwork(ctx, "b", NetworkIPv6())
	require.ErrorContains(t, err, "no free unique local IPv6 /64", "fd00::/8 is a route of the host")

	// Given subnets need no free pool; the host's routes are not checked
	// against them (as with Docker).
	e = testNetworks(t, "172.16.0.0/12", "192.168.0.0/16")
	_, err = e.CreateNetwork(ctx, "full")
	require.ErrorContains(t, err, "all predefined address pools have been fully subnetted")
	n, err = e.CreateNetwork(ctx, "given", NetworkSubnet("192.168.7.0/24"))
	require.NoError(t, err)
	assert.Equal(t, "192.168.7.1", n.IPAM[0].Gateway.String())
}

// TestNetworkCreateConcurrent: two Engines on one root create the same
// name at once; exactly one wins, and no two networks get one subnet.
func TestNetworkCreateConcurrent(t *testing.T) {
	ctx := context.Background()
	e1 := testNetworks(t)
	e2, err := Open(e1.Root())
	require.NoError(t, err)
	defer e2.Close()
	e2.hostNets = e1.hostNets
	for round := range 10 {
		name := fmt.Sprintf("n%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, e := range []*Engine{e1, e2} {
			wg.Go(func() { _, errs[i] = e.CreateNetwork(ctx, name) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				assert.ErrorIs(t, err, ErrExist)
			}
		}
		assert.Equal(t, 1, won, "round %d: %v", round, errs)
		// Different names at once get different subnets.
		for i, e := range []*Engine{e1, e2} {
			wg.Go(func() { _, errs[i] = e.CreateNetwork(ctx, fmt.Sprintf("%s-%d", name, i)) })
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
	}
	nets, err := e1.Networks(ctx)
	require.NoError(t, err)
	assert.Len(t, nets, 3+30)
	seen := map[netip.Prefix]string{}
	for _, n := range nets {
		for _, c := range n.IPAM {
			if other, ok := seen[c.Subnet]; ok {
				t.Errorf("networks %s and %s share %s", other, n.Name, c.Subnet)
			}
			seen[c.Subnet] = n.Name
		}
	}
}

// TestNetworkSubnetSkipsHostRouteNetns reads the real route table: it
// re-executes itself in a new network namespace, adds a route to
// 172.18.0.0/16 there, and checks that CreateNetwork skips that subnet.
// The host's own namespace is only read (its inode, for the check).
func TestNetworkSubnetSkipsHostRouteNetns(t *testing.T) {
	const marker = "DOCK_TEST_NETNS_PARENT"
	if parent := os.Getenv(marker); parent != "" {
		netnsChild(t, parent)
		return
	}
	testutil.RequireRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		testutil.Missing(t, "ip (iproute2) is needed")
	}
	self, err := os.Readlink("/proc/self/ns/net")
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestNetworkSubnetSkipsHostRouteNetns$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), marker+"="+self)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child in a new netns:\n%s", out)
	require.Contains(t, string(out), "--- PASS: TestNetworkSubnetSkipsHostRouteNetns", "child output:\n%s", out)
}

func netnsChild(t *testing.T, parent string) {
	self, err := os.Readlink("/proc/self/ns/net")
	require.NoError(t, err)
	if self == parent {
		t.Fatalf("child's netns %s is the parent's: refusing to touch it", self)
	}
	for _, args := range [][]string{{"link", "set", "lo", "up"}, {"route", "add", "172.18.0.0/16", "dev", "lo"}} {
		out, err := exec.Command("ip", args...).CombinedOutput()
		require.NoError(t, err, "ip %v: %s", args, out)
	}
	e, err := Open(t.TempDir())
	require.NoError(t, err)
	defer e.Close()
	assert.Contains(t, e.hostNetworks(), netip.MustParsePrefix("172.18.0.0/16"))
	n, err := e.CreateNetwork(context.Background(), "x")
	require.NoError(t, err)
	assert.NotEqual(t, "172.18.0.0/16", n.IPAM[0].Subnet.String())
	sub := n.IPAM[0].Subnet
	assert.False(t, sub.Overlaps(netip.MustParsePrefix("172.18.0.0/16")))
	// The only routes here are lo's and the one added, and the pools
	// go in order; /etc/resolv.conf is the host's and may hold a
	// nameserver in the next /16s, so the subnet is the first after
	// 172.18 that holds none.
	want := netip.MustParsePrefix("172.19.0.0/16")
	for _, p := range e.hostNetworks() {
		if p.Overlaps(want) {
			t.Skipf("the host's resolv.conf has a nameserver in %s", want)
		}
	}
	assert.Equal(t, want, sub)
}
