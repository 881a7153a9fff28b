package dockerapi

import (
	"encoding/json"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

// The key sets below are those of docker inspect of a container run by
// docker run on Docker 28 (API 1.50), less the fields API 1.52 removed
// (NetworkSettings' top-level addresses, which LegacyInspect adds back,
// Config.OnBuild when empty) and HostConfig.Runtime (dock has no OCI
// runtime to name).
var (
	inspectKeys = []string{"AppArmorProfile", "Args", "Config", "Created", "Driver", "ExecIDs", "GraphDriver",
		"HostConfig", "HostnamePath", "HostsPath", "Id", "Image", "LogPath", "MountLabel", "Mounts", "Name",
		"NetworkSettings", "Path", "Platform", "ProcessLabel", "ResolvConfPath", "RestartCount", "State"}
	stateKeys = []string{"Dead", "Error", "ExitCode", "FinishedAt", "OOMKilled", "Paused", "Pid", "Restarting",
		"Running", "StartedAt", "Status"}
	hostConfigKeys = []string{"AutoRemove", "Binds", "BlkioDeviceReadBps", "BlkioDeviceReadIOps",
		"BlkioDeviceWriteBps", "BlkioDeviceWriteIOps", "BlkioWeight", "BlkioWeightDevice", "CapAdd", "CapDrop",
		"Cgroup", "CgroupParent", "CgroupnsMode", "ConsoleSize", "ContainerIDFile", "CpuCount", "CpuPercent",
		"CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpuShares", "CpusetCpus", "CpusetMems",
		"DeviceCgroupRules", "DeviceRequests", "Devices", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd",
		"IOMaximumBandwidth", "IOMaximumIOps", "IpcMode", "Isolation", "Links", "LogConfig", "MaskedPaths", "Memory",
		"MemoryReservation", "MemorySwap", "MemorySwappiness", "NanoCpus", "NetworkMode", "OomKillDisable",
		"OomScoreAdj", "PidMode", "PidsLimit", "PortBindings", "Privileged", "PublishAllPorts", "ReadonlyPaths",
		"ReadonlyRootfs", "RestartPolicy", "SecurityOpt", "ShmSize", "UTSMode", "Ulimits", "UsernsMode",
		"VolumeDriver", "VolumesFrom"}
	configKeys = []string{"AttachStderr", "AttachStdin", "AttachStdout", "Cmd", "Domainname", "Entrypoint", "Env",
		"ExposedPorts", "Hostname", "Image", "Labels", "OpenStdin", "StdinOnce", "StopSignal", "Tty", "User",
		"Volumes", "WorkingDir"}
	endpointKeys = []string{"Aliases", "DNSNames", "DriverOpts", "EndpointID", "Gateway", "GlobalIPv6Address",
		"GlobalIPv6PrefixLen", "GwPriority", "IPAMConfig", "IPAddress", "IPPrefixLen", "IPv6Gateway", "Links",
		"MacAddress", "NetworkID"}
	legacyNetworkKeys = []string{"EndpointID", "Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPAddress",
		"IPPrefixLen", "IPv6Gateway", "MacAddress"}
)

// webInfo is a container as Inspect reports it: running on the default
// bridge and a user network, with a published port, a named volume, a
// bind mount and a tmpfs, from an image with defaults.
func webInfo() *dock.Info {
	id := strings.Repeat("c", 64)
	stop := 5 * time.Second
	return &dock.Info{
		ID: id, Name: "web", Image: "busybox", ImageID: "sha256:" + strings.Repeat("1", 64),
		Created: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), Args: []string{"/bin/httpd", "-f", "-p", "80"},
		Hostname: "c0ffee",
		Config: dock.Config{
			Image: "busybox", Network: "bridge", Cmd: []string{"-f", "-p", "80"},
			Ports:        []dock.PortMapping{{HostPort: 8080, ContainerPort: 80}},
			ExposedPorts: []dock.Port{{Number: 9000, Proto: "udp"}},
			IPv4Address:  netip.MustParseAddr("172.17.0.9"),
			Mounts: []dock.Mount{
				{Type: "volume", Source: "data", Target: "/data"},
				{Type: "bind", Source: "/srv", Target: "/srv", ReadOnly: true},
				{Type: "tmpfs", Target: "/run", Options: []string{"size=64m"}},
				{Type: "volume", Source: "anon1", Target: "/anon"}, // docker run -v /anon, named at create
			},
			Log:         dock.LogConfig{MaxSize: 20_000_000, MaxFiles: 5},
			StopTimeout: &stop, Init: true, DNS: []netip.Addr{netip.MustParseAddr("9.9.9.9")},
		},
		State: dock.State{Status: dock.StatusRunning, Pid: 4242, StartedAt: time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC)},
		Mounts: []dock.MountPoint{
			{Type: "volume", Name: "data", Source: "/var/lib/dock/volumes/data/_data", Target: "/data"},
			{Type: "bind", Source: "/srv", Target: "/srv", ReadOnly: true},
			{Type: "tmpfs", Target: "/run"},
			{Type: "volume", Name: "anon1", Source: "/var/lib/dock/volumes/anon1/_data", Target: "/anon", Anonymous: true},
		},
		Networks: []dock.EndpointInfo{
			{NetworkID: dock.PredefinedNetworkID("bridge"), Network: "bridge",
				IPv4: netip.MustParsePrefix("172.17.0.9/16"), Gateway: netip.MustParseAddr("172.17.0.1"), MacAddress: "02:42:ac:11:00:09"},
			{NetworkID: strings.Repeat("a", 64), Network: "app", Aliases: []string{"www"},
				IPv4: netip.MustParsePrefix("10.89.0.3/24"), Gateway: netip.MustParseAddr("10.89.0.1"),
				IPv6: netip.MustParsePrefix("fd00::3/64"), IPv6Gateway: netip.MustParseAddr("fd00::1"), MacAddress: "02:42:0a:59:00:03"},
		},
		Ports:        []dock.PortMapping{{HostPort: 8080, ContainerPort: 80}},
		ExposedPorts: []dock.Port{{Number: 80, Proto: "tcp"}, {Number: 9000, Proto: "udp"}},
		Resolved: dock.ResolvedConfig{
			Entrypoint: []string{"/bin/httpd"}, Cmd: []string{"-f", "-p", "80"}, Env: []string{"A=1", "PATH=/bin"},
			WorkingDir: "/www", Labels: map[string]string{"l": "v"}, Volumes: []string{"/data"}, StopSignal: "SIGQUIT",
		},
		LogPath:        "/var/lib/dock/containers/" + id + "/json.log",
		ResolvConfPath: "/var/lib/dock/containers/" + id + "/resolv.conf",
		HostnamePath:   "/var/lib/dock/containers/" + id + "/hostname",
		HostsPath:      "/var/lib/dock/containers/" + id + "/hosts",
		Storage: dock.StorageInfo{Driver: "overlay2", LowerDirs: []string{"/l/2", "/l/1"},
			UpperDir: "/c/upper", WorkDir: "/c/work", MergedDir: "/c/rootfs"},
	}
}

// object decodes JSON of an object into its keys' raw values.
func object(t *testing.T, data []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &m), "%s", data)
	return m
}

func keys(m map[string]json.RawMessage) []string { return slices.Sorted(maps.Keys(m)) }

// sorted is the sorted union of list and more.
func sorted(list []string, more ...string) []string {
	return slices.Sorted(slices.Values(append(slices.Clone(list), more...)))
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}

func TestContainerInspectKeys(t *testing.T) {
	top := object(t, marshal(t, ContainerInspect(webInfo())))
	assert.Equal(t, inspectKeys, keys(top))
	assert.Equal(t, stateKeys, keys(object(t, top["State"])))
	// Init, Tmpfs and StopTimeout are there because webInfo sets them
	// (docker run --init --tmpfs --stop-timeout).
	assert.Equal(t, sorted(hostConfigKeys, "Init", "Tmpfs"), keys(object(t, top["HostConfig"])))
	assert.Equal(t, sorted(configKeys, "StopTimeout"), keys(object(t, top["Config"])))
	ns := object(t, top["NetworkSettings"])
	assert.Equal(t, []string{"Networks", "Ports", "SandboxID", "SandboxKey"}, keys(ns))
	nets := object(t, ns["Networks"])
	assert.Equal(t, []string{"app", "bridge"}, keys(nets))
	assert.Equal(t, endpointKeys, keys(object(t, nets["bridge"])))
	var mounts []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(top["Mounts"], &mounts))
	require.Len(t, mounts, 3, "the tmpfs is in HostConfig.Tmpfs")
	assert.Equal(t, []string{"Destination", "Driver", "Mode", "Name", "Propagation", "RW", "Source", "Type"}, keys(mounts[0]))
	assert.Equal(t, []string{"Destination", "Mode", "Propagation", "RW", "Source", "Type"}, keys(mounts[1]))

	legacy := object(t, marshal(t, LegacyInspect(ContainerInspect(webInfo()))))
	assert.Equal(t, inspectKeys, keys(legacy))
	assert.Equal(t, sorted(legacyNetworkKeys, "Networks", "Ports", "SandboxID", "SandboxKey"), keys(object(t, legacy["NetworkSettings"])))
}

// The values, in Docker's JSON: compared with what docker inspect prints
// for the same container.
func TestContainerInspectValues(t *testing.T) {
	info := webInfo()
	r := ContainerInspect(info)
	top := object(t, marshal(t, r))
	for k, want := range map[string]string{
		"Id":           `"` + info.ID + `"`,
		"Created":      `"2024-01-02T03:04:05.000000006Z"`,
		"Path":         `"/bin/httpd"`,
		"Args":         `["-f","-p","80"]`,
		"Image":        `"sha256:` + strings.Repeat("1", 64) + `"`,
		"Name":         `"/web"`,
		"RestartCount": `0`,
		"Driver":       `"overlay2"`,
		"Platform":     `"linux"`,
		"ExecIDs":      `null`,
		"LogPath":      `"/var/lib/dock/containers/` + info.ID + `/json.log"`,
		"GraphDriver":  `{"Data":{"LowerDir":"/l/2:/l/1","MergedDir":"/c/rootfs","UpperDir":"/c/upper","WorkDir":"/c/work"},"Name":"overlay2"}`,
		"State": `{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,` +
			`"Pid":4242,"ExitCode":0,"Error":"","StartedAt":"2024-01-02T03:04:06Z","FinishedAt":"0001-01-01T00:00:00Z"}`,
		"Mounts": `[{"Type":"volume","Name":"data","Source":"/var/lib/dock/volumes/data/_data","Destination":"/data","Driver":"local","Mode":"","RW":true,"Propagation":""},` +
			`{"Type":"bind","Source":"/srv","Destination":"/srv","Mode":"ro","RW":false,"Propagation":"rprivate"},` +
			`{"Type":"volume","Name":"anon1","Source":"/var/lib/dock/volumes/anon1/_data","Destination":"/anon","Driver":"local","Mode":"","RW":true,"Propagation":""}]`,
	} {
		assert.JSONEq(t, want, string(top[k]), k)
	}
	cfg := object(t, top["Config"])
	for k, want := range map[string]string{
		"Hostname":     `"c0ffee"`,
		"Entrypoint":   `["/bin/httpd"]`,
		"Cmd":          `["-f","-p","80"]`,
		"Env":          `["A=1","PATH=/bin"]`,
		"WorkingDir":   `"/www"`,
		"Image":        `"busybox"`,
		"Labels":       `{"l":"v"}`,
		"Volumes":      `{"/data":{}}`,
		"ExposedPorts": `{"80/tcp":{},"9000/udp":{}}`,
		"StopSignal":   `"SIGQUIT"`,
		"StopTimeout":  `5`,
		"User":         `""`,
	} {
		assert.JSONEq(t, want, string(cfg[k]), "Config."+k)
	}
	hc := object(t, top["HostConfig"])
	for k, want := range map[string]string{
		"Binds": `["data:/data","/srv:/srv:ro"]`, // not the anonymous volume

		"Tmpfs":         `{"/run":"size=64m"}`,
		"NetworkMode":   `"bridge"`,
		"PortBindings":  `{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}`,
		"RestartPolicy": `{"Name":"no","MaximumRetryCount":0}`,
		"LogConfig":     `{"Type":"json-file","Config":{"max-size":"20m","max-file":"5"}}`,
		"Dns":           `["9.9.9.9"]`,
		"DnsSearch":     `[]`,
		"Init":          `true`,
		"SecurityOpt":   `["no-new-privileges"]`,
		"PidsLimit":     `2048`,
		"ShmSize":       `67108864`,
		"IpcMode":       `"private"`,
		"CgroupnsMode":  `"private"`,
		"Ulimits":       `[]`,
	} {
		assert.JSONEq(t, want, string(hc[k]), "HostConfig."+k)
	}
	ns := object(t, top["NetworkSettings"])
	assert.JSONEq(t, `"/proc/4242/ns/net"`, string(ns["SandboxKey"]))
	assert.JSONEq(t, `{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}],"9000/udp":null}`, string(ns["Ports"]))
	nets := object(t, ns["Networks"])
	bridge := object(t, nets["bridge"])
	for k, want := range map[string]string{
		"IPAMConfig":  `{"IPv4Address":"172.17.0.9"}`,
		"IPAddress":   `"172.17.0.9"`,
		"IPPrefixLen": `16`,
		"Gateway":     `"172.17.0.1"`,
		"MacAddress":  `"02:42:ac:11:00:09"`,
		"NetworkID":   `"` + dock.PredefinedNetworkID("bridge") + `"`,
		"DNSNames":    `null`,
		"Aliases":     `null`,
	} {
		assert.JSONEq(t, want, string(bridge[k]), "Networks.bridge."+k)
	}
	app := object(t, nets["app"])
	for k, want := range map[string]string{
		"IPAMConfig":          `null`,
		"Aliases":             `["www"]`,
		"DNSNames":            `["web","www","cccccccccccc"]`,
		"GlobalIPv6Address":   `"fd00::3"`,
		"GlobalIPv6PrefixLen": `64`,
		"IPv6Gateway":         `"fd00::1"`,
	} {
		assert.JSONEq(t, want, string(app[k]), "Networks.app."+k)
	}
	var bridgeEP, appEP string
	require.NoError(t, json.Unmarshal(bridge["EndpointID"], &bridgeEP))
	require.NoError(t, json.Unmarshal(app["EndpointID"], &appEP))
	assert.Regexp(t, `^[0-9a-f]{64}$`, bridgeEP)
	assert.NotEqual(t, bridgeEP, appEP, "one endpoint per network")

	// The legacy fields are the default bridge's.
	legacy := object(t, marshal(t, LegacyInspect(r)))
	lns := object(t, legacy["NetworkSettings"])
	for k, want := range map[string]string{
		"IPAddress": `"172.17.0.9"`, "IPPrefixLen": `16`, "Gateway": `"172.17.0.1"`, "MacAddress": `"02:42:ac:11:00:09"`,
		"EndpointID": `"` + bridgeEP + `"`, "GlobalIPv6Address": `""`, "IPv6Gateway": `""`,
	} {
		assert.JSONEq(t, want, string(lns[k]), "legacy NetworkSettings."+k)
	}
	assert.Equal(t, ns["Networks"], lns["Networks"])
}

// A stopped container: no ports, no addresses, its exit; the legacy
// fields empty strings (as Docker 28 showed them), never absent.
func TestContainerInspectStopped(t *testing.T) {
	info := webInfo()
	info.State = dock.State{Status: dock.StatusExited, StartedAt: time.Unix(1, 0), FinishedAt: time.Unix(2, 0),
		Exit: dock.ExitStatus{Code: 137, OOMKilled: true}}
	for i := range info.Networks {
		ep := &info.Networks[i]
		ep.IPv4, ep.IPv6, ep.Gateway, ep.IPv6Gateway, ep.MacAddress = netip.Prefix{}, netip.Prefix{}, netip.Addr{}, netip.Addr{}, ""
	}
	info.Ports = nil
	r := ContainerInspect(info)
	assert.Equal(t, "exited", string(r.State.Status))
	assert.False(t, r.State.Running)
	assert.Equal(t, 137, r.State.ExitCode)
	assert.True(t, r.State.OOMKilled)
	assert.Equal(t, "1970-01-01T00:00:02Z", r.State.FinishedAt)
	assert.Zero(t, r.State.Pid)
	assert.Empty(t, r.NetworkSettings.Ports)
	assert.Empty(t, r.NetworkSettings.SandboxKey)
	bridge := object(t, marshal(t, r.NetworkSettings.Networks["bridge"]))
	assert.JSONEq(t, `""`, string(bridge["IPAddress"]))
	assert.JSONEq(t, `""`, string(bridge["EndpointID"]))
	lns := object(t, object(t, marshal(t, LegacyInspect(r)))["NetworkSettings"])
	assert.JSONEq(t, `""`, string(lns["IPAddress"]))
	assert.JSONEq(t, `0`, string(lns["IPPrefixLen"]))
}

// A restarting container with a restart policy and a health check: Docker's
// State (Running and Restarting, the last exit), RestartCount, Health,
// HostConfig.RestartPolicy and Config.Healthcheck.
func TestContainerInspectRestartAndHealth(t *testing.T) {
	info := webInfo()
	info.Config.RestartPolicy = dock.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5}
	info.Config.Healthcheck = &dock.Healthcheck{Test: []string{"CMD-SHELL", "wget -q localhost"}, Interval: time.Second, Retries: 2}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	info.State = dock.State{Status: dock.StatusRestarting, StartedAt: start, FinishedAt: start.Add(time.Second),
		Exit: dock.ExitStatus{Code: 3}, RestartCount: 4}
	info.Health = &dock.Health{Status: dock.HealthUnhealthy, FailingStreak: 2, Log: []dock.HealthResult{
		{Start: start, End: start.Add(time.Millisecond), ExitCode: 1, Output: "no\n"}}}
	r := ContainerInspect(info)
	assert.Equal(t, "restarting", string(r.State.Status))
	assert.True(t, r.State.Running)
	assert.True(t, r.State.Restarting)
	assert.Equal(t, 3, r.State.ExitCode)
	assert.Equal(t, 4, r.RestartCount)
	assert.Equal(t, "on-failure", string(r.HostConfig.RestartPolicy.Name))
	assert.Equal(t, 5, r.HostConfig.RestartPolicy.MaximumRetryCount)
	require.NotNil(t, r.Config.Healthcheck)
	assert.Equal(t, []string{"CMD-SHELL", "wget -q localhost"}, r.Config.Healthcheck.Test)
	assert.Equal(t, time.Second, r.Config.Healthcheck.Interval)
	assert.Equal(t, 2, r.Config.Healthcheck.Retries)
	state := object(t, marshal(t, r.State))
	assert.JSONEq(t, `{"Status":"unhealthy","FailingStreak":2,"Log":[{"Start":"2024-01-01T00:00:00Z",`+
		`"End":"2024-01-01T00:00:00.001Z","ExitCode":1,"Output":"no\n"}]}`, string(state["Health"]))

	// Without: no Health key, policy "no".
	r = ContainerInspect(webInfo())
	assert.NotContains(t, object(t, marshal(t, r.State)), "Health")
	assert.Equal(t, "no", string(r.HostConfig.RestartPolicy.Name))
	assert.Nil(t, r.Config.Healthcheck)
}

// The host and none modes show their predefined network; a library
// container with no Network is on none.
func TestContainerInspectModes(t *testing.T) {
	for mode, want := range map[string]string{"host": "host", "none": "none", "": "none"} {
		info := &dock.Info{ID: strings.Repeat("d", 64), Config: dock.Config{Network: mode}, State: dock.State{Status: dock.StatusCreated}}
		r := ContainerInspect(info)
		assert.Equal(t, want, string(r.HostConfig.NetworkMode), mode)
		require.Contains(t, r.NetworkSettings.Networks, want, mode)
		assert.Equal(t, dock.PredefinedNetworkID(want), r.NetworkSettings.Networks[want].NetworkID)
		assert.Equal(t, []string{}, r.Args, "Docker shows [] without arguments")
		assert.Empty(t, r.Name)
		assert.Equal(t, map[string]string{}, r.Config.Labels)
	}
	info := &dock.Info{ID: strings.Repeat("d", 64), Config: dock.Config{Network: "container:web"}}
	assert.Empty(t, ContainerInspect(info).NetworkSettings.Networks, "another container's namespace")
}

func TestSizeString(t *testing.T) {
	for n, want := range map[int64]string{20_000_000: "20m", 3_000_000_000: "3g", 512_000: "512k", 20 << 20: "20971520", 1: "1"} {
		assert.Equal(t, want, sizeString(n), n)
	}
}
