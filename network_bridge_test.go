package dock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/bridge"
	"github.com/go-dock/dock/internal/firewall"
	"github.com/go-dock/dock/internal/netstate"
	"github.com/go-dock/dock/internal/nettest"
	"github.com/go-dock/dock/internal/procstat"
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
	before := quietSnapshot(t)
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
	// (the bridge goes a moment later, in a process of its own).
	assert.Eventually(t, func() bool { return !bridge.Exists("dock0") }, 10*time.Second, 10*time.Millisecond,
		"dock0 outlived its last container")
	assertNoNetLeak(t, before)
}

// quietSnapshot is the host namespace once what earlier tests' containers
// left is gone: bridges go in a process of their own, veths with their
// namespaces, held ports with their monitors, all a moment after the
// containers. It waits a bounded while for no dock bridge, veth, table
// or network state.
func quietSnapshot(t *testing.T) *nettest.State {
	t.Helper()
	return nettest.QuietSnapshot(t, func() bool {
		st, err := netStore.Read()
		return err == nil && len(st.Networks) == 0
	})
}

// assertNoNetLeak compares the host namespace with a snapshot taken
// before: veths die with their namespaces, asynchronously (the kernel's
// cleanup_net, slower when many namespaces die at once, as in a full
// parallel test run), so it waits a bounded while for them to go.
func assertNoNetLeak(t *testing.T, before *nettest.State) {
	t.Helper()
	var diff []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if diff = nettest.Diff(before, nettest.Snapshot(t)); len(diff) == 0 {
			return
		}
	}
	ns, err := netStore.Read()
	t.Errorf("the host's network changed:\n%s\nnetwork state: %s", strings.Join(diff, "\n"), netStateString(ns, err))
}

// netStateString shows the host-wide network state, for a failure.
func netStateString(st *netstate.State, err error) string {
	if err != nil {
		return err.Error()
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	return string(b)
}

func TestBridgeUserNetworks(t *testing.T) {
	nettest.Require(t)
	nettest.Internet(t)
	before := quietSnapshot(t)
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

	// An address taken, or outside the subnet: a clear error, at start
	// or at create.
	dup, err := e.Create(ctx, Config{Image: "busybox", Network: "neta", IPv4Address: mustAddr("10.50.0.10"), Cmd: []string{"true"}})
	require.NoError(t, err)
	err = dup.Start(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "address 10.50.0.10 is already in use")
	require.NoError(t, dup.Remove(ctx))
	_, err = e.Create(ctx, Config{Image: "busybox", Network: "neta", IPv4Address: mustAddr("10.99.0.10")})
	assert.ErrorIs(t, err, ErrInvalid)

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

// startDetached creates and starts cfg (busybox) detached, removed with
// the test.
func startDetached(t *testing.T, e *Engine, cfg Config) *Container {
	t.Helper()
	ctx := context.Background()
	cfg.Image = "busybox"
	c, err := e.Create(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Remove(ctx, RemoveForce()) })
	require.NoError(t, c.StartDetached(ctx))
	return c
}

func TestBridgeNames(t *testing.T) {
	nettest.Require(t)
	nettest.Internet(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	_, err := e.CreateNetwork(ctx, "app", NetworkSubnet("10.60.0.0/24"))
	require.NoError(t, err)
	db := startDetached(t, e, Config{Name: "db", Network: "app", NetworkAliases: []string{"database"},
		IPv4Address: mustAddr("10.60.0.20"), Cmd: []string{"sleep", "60"}})

	resolve := `for n in db database ` + db.ID()[:12] + ` db.app x.example.test; do
		nslookup $n 2>/dev/null | awk -v n=$n '/^Address/ && !/#53/ {print n, $2}'; done; cat /etc/resolv.conf`
	got := sh(t, e, Config{Network: "app"}, resolve)
	assert.Contains(t, got, "db 10.60.0.20\n")
	assert.Contains(t, got, "database 10.60.0.20\n")
	assert.Contains(t, got, db.ID()[:12]+" 10.60.0.20\n")
	assert.Contains(t, got, "db.app 10.60.0.20\n")
	// Other names go to the host's name servers (the internet's).
	assert.Contains(t, got, "x.example.test "+nettest.ExampleIPv4.String()+"\n")
	assert.Contains(t, got, "nameserver 127.0.0.11\n")

	// A container started later is found too; the container may bind
	// :53 itself.
	later := startDetached(t, e, Config{Name: "later", Network: "app", Cmd: []string{"sleep", "60"}})
	_ = later
	got = sh(t, e, Config{Network: "app"}, `nslookup later | grep -c 10.60.0; (timeout 1 nc -l -p 53 2>&1) 2>/dev/null | grep -ci "in use" || true`)
	assert.Equal(t, "1\n0\n", got, "nc could not bind :53")

	// The default bridge resolves no container names, but other names.
	got = sh(t, e, Config{Network: "bridge"}, `nslookup db >/dev/null 2>&1 && echo found || echo none; grep -c 127.0.0.11 /etc/resolv.conf || true`)
	assert.Equal(t, "none\n0\n", got)

	require.NoError(t, db.Remove(ctx, RemoveForce()))
	require.NoError(t, later.Remove(ctx, RemoveForce()))
	require.NoError(t, e.RemoveNetwork(ctx, "app"))
	assertNoNetLeak(t, before)
}

// readAll dials addr (from ns, or the host when nil) and returns what the
// server says, or the error's text.
func readAll(ns *os.File, addr string) string {
	var c net.Conn
	var err error
	if ns == nil {
		c, err = net.DialTimeout("tcp", addr, 5*time.Second)
	} else {
		c, err = nettest.DialFrom(ns, "tcp", addr)
	}
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// retry calls f until it returns want, a bounded number of times (the
// server in the container may not listen yet), and returns the last.
func retry(want string, f func() string) string {
	var got string
	for range 50 {
		if got = f(); got == want {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return got
}

const helloServer = "while :; do echo hello | nc -l -p 80; done"

func TestBridgePorts(t *testing.T) {
	nettest.Require(t)
	inet := nettest.Internet(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()

	web := startDetached(t, e, Config{Network: "bridge", Cmd: []string{"sh", "-c", helloServer},
		Ports: []PortMapping{{HostPort: 8080, ContainerPort: 80}, {HostIP: mustAddr("127.0.0.1"), HostPort: 8081, ContainerPort: 80}}})
	// From the host's loopback, and from the internet to the host's
	// address; the loopback-only port is not reachable from outside.
	assert.Equal(t, "hello\n", retry("hello\n", func() string { return readAll(nil, "127.0.0.1:8080") }))
	assert.Equal(t, "hello\n", retry("hello\n", func() string { return readAll(inet.NS, "203.0.113.2:8080") }))
	assert.Equal(t, "hello\n", retry("hello\n", func() string { return readAll(nil, "127.0.0.1:8081") }))
	assert.NotEqual(t, "hello\n", readAll(inet.NS, "203.0.113.2:8081"))
	// Hairpin: a container reaches a published port through the host.
	got := sh(t, e, Config{Network: "bridge"}, `for i in $(seq 20); do nc -w 2 203.0.113.2 8080 2>/dev/null && break; sleep 0.1; done`)
	assert.Equal(t, "hello\n", got)
	// The host ports are held while the container runs.
	_, err := net.Listen("tcp", ":8080")
	assert.Error(t, err, "port 8080 could be bound while published")

	// Inspect shows them, as taken.
	info, err := web.Inspect(ctx)
	require.NoError(t, err)
	require.Len(t, info.Ports, 2)
	assert.Equal(t, uint16(8080), info.Ports[0].HostPort)
	require.Len(t, info.Networks, 1)
	assert.Equal(t, "bridge", info.Networks[0].Network)
	assert.Equal(t, "172.17.0.1", info.Networks[0].Gateway.String())

	// A port in use: refused before anything starts, in Docker's words.
	ln, err := net.Listen("tcp", "0.0.0.0:8090")
	require.NoError(t, err)
	defer ln.Close()
	c, err := e.Create(ctx, Config{Image: "busybox", Network: "bridge", Cmd: []string{"true"},
		Ports: []PortMapping{{HostPort: 8090, ContainerPort: 80}}})
	require.NoError(t, err)
	err = c.StartDetached(ctx)
	require.ErrorIs(t, err, ErrPortAllocated)
	assert.Contains(t, err.Error(), "Bind for 0.0.0.0:8090 failed: port is already allocated")
	st, err := c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusCreated, st.Status)
	require.NoError(t, c.Remove(ctx))

	// -P: every exposed port on an ephemeral one.
	all := startDetached(t, e, Config{Network: "bridge", Cmd: []string{"sh", "-c", helloServer},
		ExposedPorts: []Port{{Number: 80}}, PublishAllPorts: true})
	info, err = all.Inspect(ctx)
	require.NoError(t, err)
	require.Len(t, info.Ports, 1)
	port := info.Ports[0].HostPort
	require.NotZero(t, port)
	assert.Equal(t, "hello\n", retry("hello\n", func() string { return readAll(nil, fmt.Sprintf("127.0.0.1:%d", port)) }))

	require.NoError(t, web.Remove(ctx, RemoveForce()))
	require.NoError(t, all.Remove(ctx, RemoveForce()))
	ln.Close()
	assertNoNetLeak(t, before)
}

func TestBridgeConnectDisconnect(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	_, err := e.CreateNetwork(ctx, "front", NetworkSubnet("10.70.0.0/24"))
	require.NoError(t, err)
	_, err = e.CreateNetwork(ctx, "back", NetworkSubnet("10.71.0.0/24"))
	require.NoError(t, err)
	db := startDetached(t, e, Config{Name: "db", Network: "back", Cmd: []string{"sh", "-c", helloServer}})
	app := startDetached(t, e, Config{Name: "app", Network: "front", Cmd: []string{"sleep", "60"}})
	exec := func(c *Container, script string) string {
		var out bytes.Buffer
		p := c.Exec(ExecConfig{Cmd: []string{"sh", "-c", script}})
		p.Stdout, p.Stderr = &out, &out
		require.NoError(t, p.Start(ctx))
		_, err := p.Wait(ctx)
		require.NoError(t, err)
		return out.String()
	}
	assert.Equal(t, "none\n", exec(app, `nslookup db >/dev/null 2>&1 && echo found || echo none`))
	// Connected while it runs: a new interface, and db by name.
	require.NoError(t, app.Connect(ctx, "back", ConnectAliases("web")))
	assert.Equal(t, "hello\n", retry("hello\n", func() string {
		return exec(app, `nc -w 2 db 80 2>/dev/null`)
	}))
	assert.Contains(t, exec(app, `ip -o -4 addr show eth1`), "10.71.0.")
	assert.Contains(t, exec(db, `nslookup web`), "10.71.0.")
	err = app.Connect(ctx, "back")
	assert.ErrorIs(t, err, ErrExist)
	info, err := app.Inspect(ctx)
	require.NoError(t, err)
	require.Len(t, info.Networks, 2)
	assert.Equal(t, "back", info.Networks[1].Network)
	assert.True(t, info.Networks[1].IPv4.IsValid())
	// Disconnected: gone at once.
	require.NoError(t, app.Disconnect(ctx, "back"))
	assert.Equal(t, "gone\n", exec(app, `ip link show eth1 >/dev/null 2>&1 && echo there || echo gone`))
	assert.Error(t, app.Disconnect(ctx, "back"))
	// A stopped container: at its next start.
	require.NoError(t, app.Stop(ctx, time.Second))
	require.NoError(t, app.Connect(ctx, "back", ConnectIP("10.71.0.99")))
	require.NoError(t, app.StartDetached(ctx))
	assert.Contains(t, exec(app, `ip -o -4 addr show eth1`), "10.71.0.99/24")
	// Host and none containers join nothing.
	none, err := e.Create(ctx, Config{Image: "busybox"})
	require.NoError(t, err)
	assert.ErrorIs(t, none.Connect(ctx, "back"), ErrInvalid)

	require.NoError(t, app.Remove(ctx, RemoveForce()))
	require.NoError(t, db.Remove(ctx, RemoveForce()))
	require.NoError(t, none.Remove(ctx))
	require.NoError(t, e.RemoveNetwork(ctx, "front"))
	require.NoError(t, e.RemoveNetwork(ctx, "back"))
	assertNoNetLeak(t, before)
}

// TestBridgeContainerNetwork: --network container:NAME shares the other
// container's namespace.
func TestBridgeContainerNetwork(t *testing.T) {
	nettest.Require(t)
	quietSnapshot(t) // earlier tests' networks gone: addresses start at .2 again
	e := testEngine(t)
	ctx := context.Background()
	srv := startDetached(t, e, Config{Name: "srv", Network: "bridge", Hostname: "srvhost", Cmd: []string{"sh", "-c", helloServer}})
	// Its namespace, and its hostname and /etc files, as in Docker.
	got := sh(t, e, Config{Network: "container:srv"}, `ip -o -4 addr show eth0 | awk '{print $4}'; nc -w 2 127.0.0.1 80; hostname; cat /etc/hostname; grep srvhost /etc/hosts`)
	assert.Equal(t, "172.17.0.2/16\nhello\nsrvhost\nsrvhost\n172.17.0.2\tsrvhost\n", got)
	_, err := e.Create(ctx, Config{Image: "busybox", Network: "container:srv", Ports: []PortMapping{{ContainerPort: 80}}})
	assert.ErrorIs(t, err, ErrInvalid)
	require.NoError(t, srv.Stop(ctx, time.Second))
	c, err := e.Create(ctx, Config{Image: "busybox", Network: "container:srv"})
	require.NoError(t, err)
	assert.ErrorIs(t, c.Start(ctx), ErrNotRunning)
}

// TestBridgeIPv6: a network with an IPv6 subnet gives containers an
// address in it and a route out (masqueraded).
func TestBridgeIPv6(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	_, err := e.CreateNetwork(ctx, "six", NetworkIPv6(), NetworkSubnet("10.80.0.0/24"), NetworkSubnet("fd00:80::/64"))
	require.NoError(t, err)
	got := sh(t, e, Config{Network: "six"}, `ip -o -6 addr show eth0 scope global | awk '{print $4}'; ip -6 route | grep default | awk '{print $3}'; ping6 -c 1 -W 2 fd00:80::1 >/dev/null && echo gateway`)
	assert.Equal(t, "fd00:80::2/64\nfd00:80::1\ngateway\n", got)
	require.NoError(t, e.RemoveNetwork(ctx, "six"))
	assertNoNetLeak(t, before)
}

// TestBridgeKilledMonitor: a detached container whose monitor is killed
// (so no hook runs) is taken back by the next network operation once it
// has gone.
func TestBridgeKilledMonitor(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	c := startDetached(t, e, Config{Network: "bridge", Cmd: []string{"sleep", "60"},
		Ports: []PortMapping{{HostPort: 8085, ContainerPort: 80}}})
	killUnseen(t, c)
	// Its endpoint is still recorded; the next operation drops it.
	got := sh(t, e, Config{Network: "bridge"}, `ip -o -4 addr show eth0 | awk '{print $4}'`)
	assert.Equal(t, "172.17.0.3/16\n", got, "round robin after .2")
	s, err := netStore.Read()
	require.NoError(t, err)
	for _, n := range s.Networks {
		assert.Nil(t, n.Endpoint(c.ID()), "the dead container's endpoint is still there")
	}
	require.NoError(t, c.Remove(ctx, RemoveForce()))
	assertNoNetLeak(t, before)
}

// A network left idle with no collector (the collector could not start:
// TestRestartPolicyBridge's default bridge stayed up for good) is taken
// down after the next change of the network state: a collector starts
// while a network is idle, not only when one becomes idle.
func TestBridgeIdleWithoutCollector(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	c := startDetached(t, e, Config{Network: "bridge", Cmd: []string{"sleep", "60"}})
	// What a teardown whose collector did not start leaves.
	require.NoError(t, netStore.Update(func(st *netstate.State) error {
		for _, n := range st.Networks {
			delete(n.Endpoints, c.ID())
			n.Idle = time.Now()
		}
		st.Collector, st.CollectorStart = 0, 0
		return nil
	}))
	require.NoError(t, c.Remove(ctx, RemoveForce())) // the next change
	assertNoNetLeak(t, before)
}

// killUnseen kills a detached container's monitor, then its init: it
// dies with no one to see it (no exit hook, no exit record).
func killUnseen(t *testing.T, c *Container) {
	t.Helper()
	st, err := c.State(context.Background())
	require.NoError(t, err)
	monitor, err := procstat.Parent(st.Pid)
	require.NoError(t, err)
	require.NoError(t, syscall.Kill(monitor, syscall.SIGKILL))
	require.NoError(t, syscall.Kill(st.Pid, syscall.SIGKILL))
	require.Eventually(t, func() bool { return !procstat.Alive(st.Pid, st.PidStart) }, 10*time.Second, 10*time.Millisecond)
}

// TestBridgeReload: `nft flush ruleset` (an nftables restart) takes the
// table away; ReloadNetworks puts it back, published ports work again.
func TestBridgeReload(t *testing.T) {
	nettest.Require(t)
	inet := nettest.Internet(t)
	e := testEngine(t)
	ctx := context.Background()
	startDetached(t, e, Config{Network: "bridge", Cmd: []string{"sh", "-c", helloServer},
		Ports: []PortMapping{{HostPort: 8086, ContainerPort: 80}}})
	require.Equal(t, "hello\n", retry("hello\n", func() string { return readAll(inet.NS, "203.0.113.2:8086") }))
	require.NoError(t, firewall.Apply(nil)) // what a flush does to dock's table
	require.NotEqual(t, "hello\n", readAll(inet.NS, "203.0.113.2:8086"))
	require.NoError(t, e.ReloadNetworks(ctx))
	assert.Equal(t, "hello\n", retry("hello\n", func() string { return readAll(inet.NS, "203.0.113.2:8086") }))
}

// TestBridgeTwoEngines: engines on two roots share the host's default
// bridge, its addresses and its ports, through the host-wide lock.
func TestBridgeTwoEngines(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	engines := []*Engine{testEngine(t), testEngine(t)}
	ctx := context.Background()
	var mu sync.Mutex
	var addrs []string
	var allocated int
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := engines[i%2]
			c, err := e.Create(ctx, Config{Image: "busybox", Network: "bridge", Cmd: []string{"sleep", "60"},
				Ports: []PortMapping{{HostPort: 8087, ContainerPort: 80}}[:i%3/2]})
			if err != nil {
				t.Error(err)
				return
			}
			err = c.StartDetached(ctx)
			if errors.Is(err, ErrPortAllocated) {
				mu.Lock()
				allocated++
				mu.Unlock()
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			info, err := c.Inspect(ctx)
			if err != nil || len(info.Networks) != 1 {
				t.Error(err)
				return
			}
			mu.Lock()
			addrs = append(addrs, info.Networks[0].IPv4.Addr().String())
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Containers 2 and 5 ask for port 8087: exactly one gets it.
	assert.Equal(t, 1, allocated, "port conflicts")
	slices.Sort(addrs)
	assert.Len(t, slices.Compact(slices.Clone(addrs)), len(addrs), "an address given twice: %v", addrs)
	assert.Len(t, addrs, 5)
	for _, e := range engines {
		removeContainers(t, e)
	}
	assertNoNetLeak(t, before)
}

// TestBridgeBesideDocker: with Docker's docker0 on 172.17.0.0/16, dock's
// default bridge takes the next free pool; a user network on a routed
// subnet is refused with a clear error, and nothing is left.
func TestBridgeBesideDocker(t *testing.T) {
	nettest.Require(t)
	require.NoError(t, bridge.Ensure("docker0", []netip.Prefix{netip.MustParsePrefix("172.17.0.1/16"), netip.MustParsePrefix("10.99.0.1/24")}))
	t.Cleanup(func() { bridge.Delete("docker0") })
	// No IPv6 link-local address, which would come a moment later, after
	// the snapshot.
	require.NoError(t, bridge.WriteSysctl("net/ipv6/conf/docker0/disable_ipv6", "1"))
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	got := sh(t, e, Config{Network: "bridge"}, `ip -o -4 addr show eth0 | awk '{print $4}'`)
	assert.Equal(t, "172.18.0.2/16\n", got)
	_, err := e.CreateNetwork(ctx, "clash", NetworkSubnet("10.99.0.0/24"))
	require.NoError(t, err) // CreateNetwork checks this root's networks; the host's routes are checked at start
	c, err := e.Create(ctx, Config{Image: "busybox", Network: "clash", Cmd: []string{"true"}})
	require.NoError(t, err)
	err = c.Start(ctx)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "overlaps the host's route to 10.99.0.0/24")
	require.NoError(t, c.Remove(ctx))
	require.NoError(t, e.RemoveNetwork(ctx, "clash"))
	assertNoNetLeak(t, before)
}

// TestBridgeKilledEngine: the program that runs an attached container is
// killed (kill -9): its container dies with it, and the next network
// operation takes back the address, the rules, the name server's sockets
// and the bridge.
func TestBridgeKilledEngine(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	_, err := e.CreateNetwork(ctx, "doomed", NetworkSubnet("10.90.0.0/24"))
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DOCK_TEST_HELPER=run-network", "DOCK_TEST_ROOT="+e.Root(), "DOCK_TEST_NETWORK=doomed")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "helper: %s", stderr.String())
	require.Equal(t, "started\n", line)
	s, err := netStore.Read()
	require.NoError(t, err)
	require.Len(t, s.Networks, 1)

	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	require.NoError(t, e.ReloadNetworks(ctx)) // a network operation
	s, err = netStore.Read()
	require.NoError(t, err)
	for _, n := range s.Networks {
		assert.Empty(t, n.Endpoints, "network %s", n.Name)
	}
	removeContainers(t, e)
	require.NoError(t, e.RemoveNetwork(ctx, "doomed"))
	assertNoNetLeak(t, before)
}

// TestBridgeEtcFiles: --add-host (host-gateway too), --dns-search,
// --dns-option, --mac-address, --hostname; and Docker's refusals.
func TestBridgeEtcFiles(t *testing.T) {
	nettest.Require(t)
	quietSnapshot(t) // earlier tests' networks gone: addresses start at .2 again
	e := testEngine(t)
	ctx := context.Background()
	got := sh(t, e, Config{Network: "bridge", Hostname: "web", MacAddress: "02:42:0a:00:00:99",
		ExtraHosts: []string{"gw:host-gateway", "db:192.0.2.5"}, DNS: []netip.Addr{mustAddr("192.0.2.53")},
		DNSSearch: []string{"example.test"}, DNSOptions: []string{"ndots:2"}},
		`grep -E 'gw|db|web' /etc/hosts; cat /etc/resolv.conf; cat /sys/class/net/eth0/address`)
	assert.Equal(t, "172.17.0.2\tweb\n172.17.0.1\tgw\n192.0.2.5\tdb\n"+
		"nameserver 192.0.2.53\nsearch example.test\noptions ndots:2\n02:42:0a:00:00:99\n", got)
	for _, cfg := range []Config{
		{Network: "bridge", IPv4Address: mustAddr("172.17.0.50")}, // the default bridge takes no --ip
		{Network: "bridge", NetworkAliases: []string{"x"}},
		{Network: "host", MacAddress: "02:42:0a:00:00:99"},
		{Network: "bridge", ExtraHosts: []string{"nocolon"}},
		{Network: "nosuchnetwork"},
	} {
		cfg.Image = "busybox"
		_, err := e.Create(ctx, cfg)
		assert.Error(t, err, "Create(%+v)", cfg)
	}
}

// TestBridgeAfterReboot: a reboot takes every process, /run and the
// kernel's objects; the network definitions survive in the root, and
// the bridges come back with the first container.
func TestBridgeAfterReboot(t *testing.T) {
	nettest.Require(t)
	before := quietSnapshot(t)
	e := testEngine(t)
	ctx := context.Background()
	_, err := e.CreateNetwork(ctx, "kept", NetworkSubnet("10.91.0.0/24"))
	require.NoError(t, err)
	c := startDetached(t, e, Config{Name: "old", Network: "kept", Cmd: []string{"sleep", "60"},
		Ports: []PortMapping{{HostPort: 8091, ContainerPort: 80}}})
	// The "reboot": the processes die without a word, /run is new, the
	// kernel has no bridge and no table.
	killUnseen(t, c)
	require.NoError(t, os.RemoveAll(netStore.Dir()))
	require.NoError(t, firewall.Apply(nil))
	require.NoError(t, bridge.Delete("br-"+mustNetwork(t, e, "kept").ID[:12]))

	st, err := c.State(ctx)
	require.NoError(t, err)
	assert.Equal(t, StatusExited, st.Status)
	got := sh(t, e, Config{Network: "kept", Ports: []PortMapping{{HostPort: 8091, ContainerPort: 80}}},
		`ip -o -4 addr show eth0 | awk '{print $4}'`)
	assert.Equal(t, "10.91.0.2/24\n", got)
	require.NoError(t, c.Remove(ctx, RemoveForce()))
	require.NoError(t, e.RemoveNetwork(ctx, "kept"))
	assertNoNetLeak(t, before)
}

func mustNetwork(t *testing.T, e *Engine, name string) *Network {
	n, err := e.Network(context.Background(), name)
	require.NoError(t, err)
	return n
}

// TestBridgeUserNamespace: a container in a user namespace on the bridge
// gets its address and its way out.
func TestBridgeUserNamespace(t *testing.T) {
	nettest.Require(t)
	nettest.Internet(t)
	e := testEngine(t)
	maps := []IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	got := sh(t, e, Config{Network: "bridge", UIDMap: maps, GIDMap: maps}, `id -u; ip -4 -o addr show eth0 | awk '{print $4}'; `+echoPeer)
	assert.Regexp(t, `^0\n172\.1[78]\.0\.\d+/16\n203\.0\.113\.2:\d+\n$`, got)
}
