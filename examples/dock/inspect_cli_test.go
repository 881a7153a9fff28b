package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// TestCLIInspectDockerConfig: inspect shows HEALTHCHECK, SHELL and ONBUILD
// inside Config, as docker inspect does, with durations in nanoseconds;
// an image without them has none of the keys.
func TestCLIInspectDockerConfig(t *testing.T) {
	testutil.RequireRoot(t)
	e := newEnv(t)
	ctx := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(
		"FROM busybox\nSHELL [\"/bin/sh\", \"-ec\"]\nHEALTHCHECK --interval=5s --retries=2 CMD [\"true\"]\nONBUILD RUN true\n"), 0o644))
	e.ok(nil, "build", "-q", "-t", "hc", ctx)

	var info []struct {
		Config      map[string]json.RawMessage
		Healthcheck any
		Shell       any
		OnBuild     any
	}
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "inspect", "hc", "busybox")), &info))
	require.Len(t, info, 2)
	hc := info[0]
	require.JSONEq(t, `{"Test":["CMD","true"],"Interval":5000000000,"Retries":2}`, string(hc.Config["Healthcheck"]))
	require.JSONEq(t, `["/bin/sh","-ec"]`, string(hc.Config["Shell"]))
	require.JSONEq(t, `["RUN true"]`, string(hc.Config["OnBuild"]))
	require.Nil(t, hc.Healthcheck, "only under Config")
	require.Nil(t, hc.Shell, "only under Config")
	require.Nil(t, hc.OnBuild, "only under Config")
	require.Contains(t, hc.Config, "Env", "the OCI fields stay in Config")
	for _, k := range []string{"Healthcheck", "Shell", "OnBuild"} {
		require.NotContains(t, info[1].Config, k)
	}
}

// dockerInspectKeys are the top-level keys of docker inspect of a
// container run by docker run (Docker 28).
var dockerInspectKeys = []string{"AppArmorProfile", "Args", "Config", "Created", "Driver", "ExecIDs", "GraphDriver",
	"HostConfig", "HostnamePath", "HostsPath", "Id", "Image", "LogPath", "MountLabel", "Mounts", "Name",
	"NetworkSettings", "Path", "Platform", "ProcessLabel", "ResolvConfPath", "RestartCount", "State"}

// TestCLIInspectFormat: inspect of a running container in Docker's
// schema (keys and JSON types), --format templates as docker runs them,
// and docker's errors and exit codes.
func TestCLIInspectFormat(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok(nil, "run", "-d", "--name", "web", "-e", "FOO=bar", "-l", "team=a",
		"-p", "8080:80", "--expose", "9000", "-v", "/data", "-v", "named:/named", "busybox", "sleep", "300"))

	raw := e.ok(nil, "inspect", "web")
	var list []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(raw), &list))
	require.Len(t, list, 1)
	assert.Equal(t, dockerInspectKeys, slices.Sorted(maps.Keys(list[0])))
	var c struct {
		ID      string `json:"Id"`
		Created time.Time
		Path    string
		Args    []string
		State   struct {
			Status          string
			Running, Paused bool
			Pid, ExitCode   int
			StartedAt       time.Time
			FinishedAt      string
		}
		Image      string
		Name       string
		LogPath    string
		HostConfig struct {
			Binds        []string
			NetworkMode  string
			PortBindings map[string][]struct{ HostIp, HostPort string }
			LogConfig    struct{ Type string }
		}
		Config struct {
			Env          []string
			Cmd          []string
			Entrypoint   []string
			Image        string
			Labels       map[string]string
			Volumes      map[string]struct{}
			ExposedPorts map[string]struct{}
		}
		Mounts []struct {
			Type, Name, Source, Destination, Driver string
			RW                                      bool
		}
		NetworkSettings struct {
			IPAddress string
			Ports     map[string][]struct{ HostIp, HostPort string }
			Networks  map[string]struct{ IPAddress, Gateway, MacAddress, NetworkID, EndpointID string }
		}
	}
	var cs []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(raw), &cs))
	require.NoError(t, json.Unmarshal(cs[0], &c), "the JSON's types are Docker's")
	assert.Equal(t, id, c.ID)
	assert.WithinDuration(t, time.Now(), c.Created, time.Minute)
	assert.Equal(t, "sleep", c.Path)
	assert.Equal(t, []string{"300"}, c.Args)
	assert.Equal(t, "running", c.State.Status)
	assert.True(t, c.State.Running)
	assert.Positive(t, c.State.Pid)
	assert.Equal(t, "0001-01-01T00:00:00Z", c.State.FinishedAt)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, c.Image)
	assert.Equal(t, "/web", c.Name)
	assert.FileExists(t, c.LogPath)
	assert.Equal(t, []string{"named:/named"}, c.HostConfig.Binds, "an anonymous volume is no bind")
	assert.Equal(t, "bridge", c.HostConfig.NetworkMode)
	assert.Equal(t, "json-file", c.HostConfig.LogConfig.Type)
	assert.Equal(t, "8080", c.HostConfig.PortBindings["80/tcp"][0].HostPort)
	assert.Equal(t, "FOO=bar", c.Config.Env[0], "the container's variables first, as docker")
	assert.Equal(t, []string{"sleep", "300"}, c.Config.Cmd)
	assert.Equal(t, "busybox", c.Config.Image)
	assert.Equal(t, map[string]string{"team": "a"}, c.Config.Labels)
	assert.Equal(t, map[string]struct{}{"/data": {}}, c.Config.Volumes)
	assert.Equal(t, map[string]struct{}{"80/tcp": {}, "9000/tcp": {}}, c.Config.ExposedPorts)
	require.Len(t, c.Mounts, 2)
	assert.Equal(t, "/data", c.Mounts[0].Destination)
	assert.Equal(t, "named", c.Mounts[1].Name)
	assert.Equal(t, "local", c.Mounts[1].Driver)
	assert.DirExists(t, c.Mounts[1].Source)
	assert.Regexp(t, `^172\.17\.0\.\d+$`, c.NetworkSettings.IPAddress)
	assert.Equal(t, c.NetworkSettings.IPAddress, c.NetworkSettings.Networks["bridge"].IPAddress)
	assert.Equal(t, "8080", c.NetworkSettings.Ports["80/tcp"][0].HostPort)
	assert.Contains(t, c.NetworkSettings.Ports, "9000/tcp")

	// --format: the templates of docker's documentation and scripts.
	ip := c.NetworkSettings.IPAddress
	for format, want := range map[string]string{
		"{{.State.Running}} {{.State.Status}}": "true running",
		"{{.Id}}":                              id,
		"{{.ID}}":                              id,
		"{{.Name}} {{.Config.Image}}":          "/web busybox",
		"{{json .Config.Cmd}}":                 `["sleep","300"]`,
		"{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}":            ip,
		"{{.NetworkSettings.IPAddress}}":                                      ip,
		`{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}`:      "8080",
		`{{range $p, $b := .NetworkSettings.Ports}}{{$p}} {{end}}`:            "80/tcp 9000/tcp ",
		"{{.NetworkSettings.Ports}}":                                          "map[80/tcp:[{0.0.0.0 8080}] 9000/tcp:[]]",
		"{{.Config.Labels.team}} {{index .Config.Labels \"team\"}}":           "a a",
		"{{.HostConfig.RestartPolicy.Name}} {{.RestartCount}}":                "no 0",
		"{{.GraphDriver.Name}} {{.Driver}} {{.Platform}}":                     "overlay2 overlay2 linux",
		"{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}":                 "volume:/data volume:/named ",
		"{{upper .State.Status}} {{title .Config.Image}} {{truncate .Id 12}}": "RUNNING Busybox " + id[:12],
		"{{join .Config.Cmd \",\"}}":                                          "sleep,300",
	} {
		e.expect(0, want+"\n", "inspect", "--format", format, "web")
	}
	// --format json: the array on one line.
	out := e.ok(nil, "inspect", "-f", "json", "web", id[:12])
	require.Equal(t, 1, strings.Count(out, "\n"))
	require.NoError(t, json.Unmarshal([]byte(out), &cs))
	require.Len(t, cs, 2)

	// Errors: a template that does not parse (exit 64, nothing done), a
	// field that is nowhere, an object that is not there.
	errOut := e.expect(64, "", "inspect", "--format", "{{", "web")
	assert.Equal(t, "dock: template parsing error: template: :1: unclosed action\n", errOut)
	errOut = e.expect(1, "\n", "inspect", "--format", "{{.Nope}}", "web")
	assert.Equal(t, "dock: template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"\n", errOut)
	errOut = e.expect(1, "/web\n", "inspect", "--format", "{{.Name}}", "web", "nosuch")
	assert.Equal(t, "dock: No such object: nosuch\n", errOut)
	errOut = e.expect(1, "[]\n", "inspect", "--type", "image", "web")
	assert.Equal(t, "dock: No such image: web\n", errOut)
	errOut = e.expect(1, "", "inspect", "--type", "nope", "web")
	assert.Contains(t, errOut, `unknown type: "nope"`)

	// Any kind: an image, a volume, a network, by docker's order.
	e.expect(0, "[busybox:latest] linux layers 1\n", "inspect", "-f", "{{.RepoTags}} {{.Os}} {{.RootFS.Type}} {{len .RootFS.Layers}}", "busybox")
	e.expect(0, "named local\nbridge bridge\n", "inspect", "-f", "{{.Name}} {{.Driver}}", "named", "bridge")

	// Stopped: the exit, no address, no ports; IPAddress empty, not absent.
	e.ok(nil, "kill", "web")
	e.ok(nil, "wait", "web")
	e.expect(0, "exited false 137  map[]\n", "inspect", "-f",
		"{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.NetworkSettings.IPAddress}} {{.NetworkSettings.Ports}}", "web")
}

// TestCLIListFormat: volume ls, network ls, volume inspect, info and
// version with --format, as docker's.
func TestCLIListFormat(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "volume", "create", "v1")
	e.ok(nil, "volume", "create", "v2")

	e.expect(0, "DRIVER    VOLUME NAME\nlocal     v1\nlocal     v2\n", "volume", "ls")
	e.expect(0, "VOLUME NAME   DRIVER    SCOPE\nv1            local     local\nv2            local     local\n",
		"volume", "ls", "--format", `table {{.Name}}\t{{.Driver}}\t{{.Scope}}`)
	e.expect(0, "v1:local\nv2:local\n", "volume", "ls", "--format", "{{.Name}}:{{.Driver}}")
	e.expect(0, "v1\nv2\n", "volume", "ls", "-q")
	e.expect(0, "local\nlocal\n", "volume", "ls", "-q", "--format", "{{.Driver}}") // --format wins, as docker
	out := e.ok(nil, "volume", "ls", "--format", "json")
	var row map[string]string
	require.NoError(t, json.Unmarshal([]byte(strings.Split(out, "\n")[0]), &row))
	assert.Equal(t, []string{"Availability", "Driver", "Group", "Labels", "Links", "Mountpoint", "Name", "Scope", "Size", "Status"},
		slices.Sorted(maps.Keys(row)), "docker's keys")
	assert.Equal(t, "v1", row["Name"])
	errOut := e.expect(1, "", "volume", "ls", "--format", "{{")
	assert.Equal(t, "dock: template parsing error: template: :1: unclosed action\n", errOut)
	errOut = e.expect(1, "", "volume", "ls", "--format", "{{.Nope}}")
	assert.Contains(t, errOut, "can't evaluate field Nope")

	mountpoint := filepath.Join(e.root, "volumes", "v1", "_data")
	e.expect(0, "v1 local "+mountpoint+" local\n", "volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Mountpoint}} {{.Scope}}", "v1")
	var vols []map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "volume", "inspect", "v1")), &vols))
	require.Len(t, vols, 1)
	assert.Equal(t, []string{"CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"}, slices.Sorted(maps.Keys(vols[0])))
	errOut = e.expect(1, "v1\n", "volume", "inspect", "-f", "{{.Name}}", "v1", "nosuch")
	assert.Equal(t, "dock: get nosuch: no such volume\n", errOut)
	errOut = e.expect(64, "", "volume", "inspect", "-f", "{{", "v1")
	assert.Contains(t, errOut, "template parsing error")

	e.expect(0, "bridge bridge\nhost host\nnone null\n", "network", "ls", "--format", "{{.Name}} {{.Driver}}")
	out = e.ok(nil, "network", "ls", "--format", `table {{.Name}}\t{{.IPv6}}\t{{.Label "com.example.team"}}`)
	assert.Equal(t, "NAME      IPV6      team\nbridge    false     \nhost      false     \nnone      false     \n", out)
	e.expect(0, "bridge\n", "network", "inspect", "-f", "{{.Name}}", "bridge")

	e.expect(0, "0 overlay2 "+e.root+"\n", "info", "--format", "{{.Containers}} {{.Driver}} {{.DockerRootDir}}")
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "info", "--format", "json")), &info))
	for _, k := range []string{"Containers", "Images", "Driver", "KernelVersion", "OperatingSystem", "NCPU", "MemTotal", "ServerVersion", "ClientInfo"} {
		assert.Contains(t, info, k)
	}
	assert.EqualValues(t, 1, info["Images"])
	e.expect(64, "", "info", "--format", "{{")
	assert.Contains(t, e.ok(nil, "info"), "\n Storage Driver: overlay2\n")

	e.expect(0, "1.57 linux\n", "version", "--format", "{{.Server.APIVersion}} {{.Client.Os}}")
	var version map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "version", "--format", "{{json .}}")), &version))
	assert.Equal(t, []string{"Client", "Server"}, slices.Sorted(maps.Keys(version)))
	errOut = e.expect(64, "", "version", "--format", "{{")
	assert.Equal(t, "dock: template parsing error: template: version:1: unclosed action\n", errOut)
}
