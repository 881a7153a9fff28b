package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCLINetwork: create, ls, inspect, rm and prune, and their errors, as
// docker network prints them. No image is needed.
func TestCLINetwork(t *testing.T) {
	e := &env{t: t, bin: dockBinary(t), root: t.TempDir()}

	id := e.ok(nil, "network", "create", "--subnet", "10.77.0.0/16", "--gateway", "10.77.0.254",
		"--ip-range", "10.77.1.0/24", "--label", "team=a", "--label", "flag", "-o", "com.docker.network.bridge.name=br-x",
		"--internal", "--ipv6", "--subnet", "fd00:77::/64", "x")
	require.Regexp(t, `^[0-9a-f]{64}\n$`, id)
	id = strings.TrimSpace(id)
	e.ok(nil, "network", "create", "-d", "bridge", "y")

	out := e.ok(nil, "network", "ls")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6, out)
	assert.Regexp(t, `^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$`, lines[0])
	assert.Regexp(t, `^[0-9a-f]{12}\s+bridge\s+bridge\s+local$`, lines[1])
	assert.Regexp(t, `^[0-9a-f]{12}\s+host\s+host\s+local$`, lines[2])
	assert.Regexp(t, `^[0-9a-f]{12}\s+none\s+null\s+local$`, lines[3])
	assert.Regexp(t, `^`+id[:12]+`\s+x\s+bridge\s+local$`, lines[4])
	assert.Contains(t, e.ok(nil, "network", "ls", "-q"), id[:12]+"\n")
	assert.Contains(t, e.ok(nil, "network", "ls", "-q", "--no-trunc"), id+"\n")
	assert.Len(t, strings.Fields(e.ok(nil, "network", "ls", "-q")), 5)

	// inspect: by name and by ID prefix, Docker's shape.
	var info []map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "network", "inspect", "x", id[:6])), &info))
	require.Len(t, info, 2)
	x := info[0]
	for _, k := range []string{"Name", "Id", "Created", "Scope", "Driver", "EnableIPv6", "IPAM", "Internal",
		"Attachable", "Ingress", "ConfigFrom", "ConfigOnly", "Containers", "Options", "Labels"} {
		assert.Contains(t, x, k)
	}
	assert.Equal(t, "x", x["Name"])
	assert.Equal(t, id, x["Id"])
	assert.Equal(t, "local", x["Scope"])
	assert.Equal(t, "bridge", x["Driver"])
	assert.Equal(t, true, x["EnableIPv6"])
	assert.Equal(t, true, x["Internal"])
	assert.Equal(t, false, x["Attachable"])
	assert.Equal(t, map[string]any{"Network": ""}, x["ConfigFrom"])
	assert.Equal(t, map[string]any{}, x["Containers"])
	assert.Equal(t, map[string]any{"team": "a", "flag": ""}, x["Labels"])
	assert.Equal(t, map[string]any{"com.docker.network.bridge.name": "br-x"}, x["Options"])
	assert.Equal(t, map[string]any{"Driver": "default", "Options": map[string]any{}, "Config": []any{
		map[string]any{"Subnet": "10.77.0.0/16", "Gateway": "10.77.0.254", "IPRange": "10.77.1.0/24"},
		map[string]any{"Subnet": "fd00:77::/64", "Gateway": "fd00:77::1"},
	}}, x["IPAM"])
	assert.Equal(t, info[0], info[1])
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "network", "inspect", "host")), &info))
	assert.Equal(t, "host", info[0]["Driver"])
	assert.Equal(t, []any{}, info[0]["IPAM"].(map[string]any)["Config"])

	// Errors, in docker's words, with docker's exit codes.
	errOut := e.expect(1, "", "network", "create", "x")
	assert.Contains(t, errOut, "network with name x already exists")
	errOut = e.expect(1, "", "network", "create", "bridge")
	assert.Contains(t, errOut, "network with name bridge already exists")
	for args, msg := range map[string]string{
		"--subnet 10.77.128.0/17 z":                     "overlaps 10.77.0.0/16 of network x",
		"--subnet 10.0.0.1/8 z":                         "it should be 10.0.0.0/8",
		"--subnet nonsense z":                           "not a CIDR",
		"--subnet 10.1.0.0/16 --gateway 10.2.0.1 z":     "no matching subnet for gateway 10.2.0.1",
		"--subnet 10.1.0.0/16 --ip-range 10.2.0.0/24 z": "no matching subnet for ip range 10.2.0.0/24",
		"--subnet fd00:1::/64 z":                        "needs IPv6 enabled",
		"-d overlay z":                                  "only bridge is supported",
		"-- -z":                                         "invalid name",
	} {
		errOut := e.expect(1, "", append([]string{"network", "create"}, strings.Fields(args)...)...)
		assert.Contains(t, errOut, msg, args)
	}
	errOut = e.expect(1, "", "network", "create")
	assert.Contains(t, errOut, `"dock network create" requires exactly 1 argument.`)
	out, errOut, code := e.dock(nil, "network", "inspect", "x", "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "dock: No such network: nope\n")
	assert.Contains(t, out, `"Name": "x"`, "what was found is printed")
	errOut = e.expect(1, "", "network", "rm", "nope")
	assert.Contains(t, errOut, "network nope not found")
	errOut = e.expect(1, "", "network", "rm", "bridge")
	assert.Contains(t, errOut, "bridge is a pre-defined network and cannot be removed")
	errOut = e.expect(1, "", "network", "frob")
	assert.Contains(t, errOut, `unknown command "frob" for "dock network"`)

	// rm prints what it removed and goes on past failures; prune the rest.
	e.ok(nil, "network", "create", "z")
	errOut = e.expect(1, "x\n", "network", "rm", "x", "nope")
	assert.Contains(t, errOut, "network nope not found")
	out = e.ok(nil, "network", "prune", "-f")
	assert.Regexp(t, regexp.MustCompile(`^Deleted Networks:\n(y\nz|z\ny)\n\n$`), out)
	e.expect(0, "", "network", "prune")
	assert.Len(t, strings.Fields(e.ok(nil, "network", "ls", "-q")), 3)
}
