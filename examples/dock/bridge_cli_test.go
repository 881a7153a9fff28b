package main

import (
	"bufio"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/nettest"
)

// server is a busybox TCP server on port 80 that answers hello to each
// connection (nc serves one, the loop starts the next).
var server = []string{"busybox", "sh", "-c", "while :; do echo hello | nc -l -p 80; done"}

// TestCLIBridge drives docker's networking through the CLI, in nettest's
// host namespace: a published port reached from the host's loopback,
// port, ps and inspect as docker shows them, a port in use, names on a
// user-defined network, connect and disconnect of a running container,
// network inspect's Containers; and after everything is removed, the
// host's network as it was.
func TestCLIBridge(t *testing.T) {
	e := newEnv(t)
	before := nettest.QuietSnapshot(t, nil)

	e.ok(nil, append([]string{"run", "-d", "--name", "web", "-p", "8080:80", "--expose", "9000"}, server...)...)
	assert.Equal(t, "hello\n", hello(t, "127.0.0.1:8080"), "the published port, from the host's loopback")

	// dock port, as docker port.
	e.expect(0, "80/tcp -> 0.0.0.0:8080\n", "port", "web")
	e.expect(0, "0.0.0.0:8080\n", "port", "web", "80")
	e.expect(0, "0.0.0.0:8080\n", "port", "web", "80/tcp")
	errOut := e.expect(1, "", "port", "web", "80/udp")
	assert.Equal(t, "dock: No public port '80/udp' published for web\n", errOut)
	errOut = e.expect(1, "", "port", "web", "9000") // exposed, not published
	assert.Equal(t, "dock: No public port '9000' published for web\n", errOut)
	errOut = e.expect(1, "", "port", "web", "x")
	assert.Contains(t, errOut, "invalid port (x)")

	// ps: the PORTS column.
	ps := e.ok(nil, "ps")
	assert.Regexp(t, `^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n`, ps)
	assert.Regexp(t, `\s9000/tcp, 0\.0\.0\.0:8080->80/tcp\s+web\n`, ps)

	// inspect: NetworkSettings, HostConfig and Config in Docker's shape.
	var info []struct {
		HostConfig struct {
			NetworkMode     string
			PortBindings    map[string][]portBinding
			PublishAllPorts bool
			Dns             []string
		}
		Config struct {
			ExposedPorts map[string]struct{}
		}
		NetworkSettings struct {
			IPAddress   string
			IPPrefixLen int
			Gateway     string
			MacAddress  string
			Ports       map[string][]portBinding
			Networks    map[string]struct {
				IPAddress, Gateway, MacAddress, NetworkID, EndpointID string
				IPPrefixLen                                           int
				Aliases, DNSNames                                     []string
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "inspect", "web")), &info))
	require.Len(t, info, 1)
	ns, hc := info[0].NetworkSettings, info[0].HostConfig
	assert.Regexp(t, `^172\.17\.0\.\d+$`, ns.IPAddress)
	assert.Equal(t, 16, ns.IPPrefixLen)
	assert.Equal(t, "172.17.0.1", ns.Gateway)
	assert.Regexp(t, `^02:42:ac:11:`, ns.MacAddress)
	assert.Equal(t, map[string][]portBinding{"80/tcp": {{"0.0.0.0", "8080"}}, "9000/tcp": nil}, ns.Ports)
	require.Contains(t, ns.Networks, "bridge")
	br := ns.Networks["bridge"]
	assert.Equal(t, ns.IPAddress, br.IPAddress)
	assert.Equal(t, ns.MacAddress, br.MacAddress)
	assert.Regexp(t, `^[0-9a-f]{64}$`, br.NetworkID)
	assert.Regexp(t, `^[0-9a-f]{64}$`, br.EndpointID)
	assert.Nil(t, br.DNSNames, "the default bridge resolves no names")
	assert.Equal(t, "bridge", hc.NetworkMode)
	assert.Equal(t, map[string][]portBinding{"80/tcp": {{"", "8080"}}}, hc.PortBindings)
	assert.Equal(t, []string{}, hc.Dns)
	assert.Equal(t, map[string]struct{}{"80/tcp": {}, "9000/tcp": {}}, info[0].Config.ExposedPorts)
	e.expect(0, ns.IPAddress+"\n", "inspect", "--format", "{{.NetworkSettings.IPAddress}}", "web")
	e.expect(0, ns.IPAddress+"\n", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "web")
	// The container sees the address inspect shows.
	e.expect(0, ns.IPAddress+"/16\n", "exec", "web", "sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'")

	// A host port in use: docker's message, exit 125, nothing left
	// running; the holder keeps its port.
	_, errOut, code := e.dock(nil, "run", "-d", "--name", "clash", "-p", "8080:81", "busybox", "sleep", "60")
	assert.Equal(t, 125, code)
	assert.Equal(t, "dock: failed to set up container networking: Bind for 0.0.0.0:8080 failed: port is already allocated\n", errOut)
	assert.Regexp(t, `\sCreated\s+clash\n`, e.ok(nil, "ps", "-a"), "as docker, the container stays, created")
	_, errOut, code = e.dock(nil, "run", "--rm", "-p", "8080:80", "busybox", "true")
	assert.Equal(t, 125, code)
	assert.Contains(t, errOut, "port is already allocated")
	assert.Len(t, strings.Fields(e.ok(nil, "ps", "-q")), 1, "only web runs")
	assert.Len(t, strings.Fields(e.ok(nil, "ps", "-aq")), 2, "web and clash, not the --rm one")
	e.expect(0, "clash\n", "rm", "clash")
	assert.Equal(t, "hello\n", hello(t, "127.0.0.1:8080"), "web still has its port")

	// -P: the exposed ports on ephemeral host ports.
	e.ok(nil, append([]string{"run", "-d", "--name", "eph", "-P", "--expose", "80"}, server...)...)
	m := regexp.MustCompile(`^0\.0\.0\.0:(\d+)\n$`).FindStringSubmatch(e.ok(nil, "port", "eph", "80"))
	require.NotNil(t, m, "port eph 80")
	assert.NotEqual(t, "8080", m[1])
	assert.Equal(t, "hello\n", hello(t, "127.0.0.1:"+m[1]))
	assert.Regexp(t, `\s0\.0\.0\.0:`+m[1]+`->80/tcp\s+eph\n`, e.ok(nil, "ps"))
	e.expect(0, "eph\n", "rm", "-f", "eph")

	// On a network with IPv6, a port is published on both families.
	e.ok(nil, "network", "create", "--ipv6", "--subnet", "fd00:89::/64", "dual")
	e.ok(nil, append([]string{"run", "-d", "--name", "dual", "--network", "dual", "-p", "8081:80"}, server...)...)
	e.expect(0, "80/tcp -> 0.0.0.0:8081\n80/tcp -> [::]:8081\n", "port", "dual")
	e.expect(0, "0.0.0.0:8081\n[::]:8081\n", "port", "dual", "80")
	assert.Regexp(t, `\s0\.0\.0\.0:8081->80/tcp, \[::\]:8081->80/tcp\s+dual\n`, e.ok(nil, "ps"))
	assert.Regexp(t, `^fd00:89::\S+ 64 fd00:89::1\n$`, e.ok(nil, "inspect", "-f",
		"{{with .NetworkSettings.Networks.dual}}{{.GlobalIPv6Address}} {{.GlobalIPv6PrefixLen}} {{.IPv6Gateway}}{{end}}", "dual"))
	assert.Equal(t, "hello\n", hello(t, "127.0.0.1:8081"))
	e.expect(0, "dual\n", "rm", "-f", "dual")
	e.expect(0, "dual\n", "network", "rm", "dual")

	// A user-defined network: containers find each other by name and
	// alias.
	e.ok(nil, "network", "create", "--subnet", "10.89.0.0/24", "app")
	e.ok(nil, "run", "-d", "--name", "db", "--network", "app", "--network-alias", "pg", "--ip", "10.89.0.10", "busybox", "sleep", "300")
	e.ok(nil, "run", "-d", "--name", "api", "--network", "app", "busybox", "sleep", "300")
	assert.Contains(t, lookup(t, e, "api", "db"), "10.89.0.10")
	assert.Contains(t, lookup(t, e, "api", "pg"), "10.89.0.10")
	apiIP := strings.TrimSpace(e.ok(nil, "inspect", "-f", "{{.NetworkSettings.Networks.app.IPAddress}}", "api"))
	assert.Regexp(t, `^10\.89\.0\.\d+$`, apiIP)
	assert.Contains(t, lookup(t, e, "db", "api"), apiIP)
	e.expect(0, "\n", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", "db") // not on the default bridge
	e.expect(0, `{"IPv4Address":"10.89.0.10"}`+"\n", "inspect", "-f", "{{json .NetworkSettings.Networks.app.IPAMConfig}}", "db")
	e.expect(0, "[db pg "+shortIDOf(t, e, "db")+"]\n", "inspect", "-f", "{{.NetworkSettings.Networks.app.DNSNames}}", "db")

	// network connect: web, running, joins app under an alias; the
	// others resolve it at once. network inspect lists it.
	e.expect(0, "", "network", "connect", "--alias", "www", "app", "web")
	webApp := strings.TrimSpace(e.ok(nil, "inspect", "-f", "{{.NetworkSettings.Networks.app.IPAddress}}", "web"))
	assert.Regexp(t, `^10\.89\.0\.\d+$`, webApp)
	assert.Contains(t, lookup(t, e, "api", "www"), webApp)
	assert.Contains(t, lookup(t, e, "api", "web"), webApp)
	e.expect(0, "eth0\neth1\nlo\n", "exec", "web", "ls", "/sys/class/net")
	type endpoint struct{ Name, EndpointID, MacAddress, IPv4Address, IPv6Address string }
	var nets []struct {
		Name       string
		Containers map[string]endpoint
	}
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "network", "inspect", "app")), &nets))
	require.Len(t, nets, 1)
	byName := map[string]endpoint{}
	for id, c := range nets[0].Containers {
		assert.Regexp(t, `^[0-9a-f]{64}$`, id)
		assert.Regexp(t, `^[0-9a-f]{64}$`, c.EndpointID)
		assert.Regexp(t, `^02:42:0a:59:00:`, c.MacAddress)
		byName[c.Name] = c
	}
	assert.Len(t, byName, 3, "db, api and web")
	assert.Equal(t, "10.89.0.10/24", byName["db"].IPv4Address)
	assert.Equal(t, webApp+"/24", byName["web"].IPv4Address)
	assert.Equal(t, "", byName["web"].IPv6Address)
	errOut = e.expect(1, "", "network", "connect", "app", "web")
	assert.Contains(t, errOut, "already exists in network app")
	errOut = e.expect(1, "", "network", "connect", "nope", "web")
	assert.Equal(t, "dock: No such network: nope\n", errOut)
	errOut = e.expect(1, "", "network", "connect", "--ip", "10.1.2.3.4", "app", "api")
	assert.Contains(t, errOut, "invalid IPv4 address: 10.1.2.3.4")

	// network disconnect: gone at once, from the container and the
	// network.
	e.expect(0, "", "network", "disconnect", "app", "web")
	e.expect(0, "eth0\nlo\n", "exec", "web", "ls", "/sys/class/net")
	e.expect(0, "bridge \n", "inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "web")
	out := e.ok(nil, "network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "app")
	assert.Regexp(t, `^(api db|db api) \n$`, out)
	errOut = e.expect(1, "", "network", "disconnect", "-f", "app", "web")
	assert.Contains(t, errOut, "is not connected to network app")
	assert.Equal(t, "hello\n", hello(t, "127.0.0.1:8080"), "web serves on through it all")

	// Everything removed: the host's network is as it was.
	e.ok(nil, "rm", "-f", "web", "db", "api")
	e.expect(0, "app\n", "network", "rm", "app")
	assertNoNetLeak(t, before)
}

// hello connects to addr until a connection is answered (the server's nc
// may be between two connections) and returns the first line read.
func hello(t *testing.T, addr string) string {
	t.Helper()
	var last error
	for range 50 {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil {
				return line
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no answer from %s: %v", addr, last)
	return ""
}

// lookup resolves name with nslookup in the container from and returns
// the addresses of the answer.
func lookup(t *testing.T, e *env, from, name string) []string {
	t.Helper()
	out := e.ok(nil, "exec", from, "nslookup", name)
	_, answer, ok := strings.Cut(out, "Name:")
	if !ok {
		t.Fatalf("nslookup %s in %s: no answer:\n%s", name, from, out)
	}
	var addrs []string
	for _, m := range regexp.MustCompile(`Address: (\S+)`).FindAllStringSubmatch(answer, -1) {
		addrs = append(addrs, m[1])
	}
	return addrs
}

// shortIDOf is a container's short ID.
func shortIDOf(t *testing.T, e *env, name string) string {
	t.Helper()
	return strings.TrimSpace(e.ok(nil, "inspect", "-f", "{{.Id}}", name))[:12]
}

// assertNoNetLeak compares the host namespace with a snapshot taken
// before: veths die with their namespaces, asynchronously, and the name
// server leaves when idle, so it waits a bounded while for them to go.
func assertNoNetLeak(t *testing.T, before *nettest.State) {
	t.Helper()
	var diff []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if diff = nettest.Diff(before, nettest.Snapshot(t)); len(diff) == 0 {
			return
		}
	}
	t.Errorf("the host's network changed:\n%s", strings.Join(diff, "\n"))
}
