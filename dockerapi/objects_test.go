package dockerapi

import (
	"context"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

func TestImageInspect(t *testing.T) {
	img := &dock.Image{
		ID: "sha256:" + strings.Repeat("1", 64), RepoTags: []string{"app:1"}, Created: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		Size: 1234, Architecture: "arm", OS: "linux", Variant: "v7", Author: "me",
		Config:      ocispec.ImageConfig{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}, Labels: map[string]string{"a": "b"}},
		Healthcheck: &dock.Healthcheck{Test: []string{"CMD", "true"}, Interval: 5 * time.Second, Retries: 2},
		Shell:       []string{"/bin/sh", "-ec"}, OnBuild: []string{"RUN true"},
		Layers:  []string{"sha256:" + strings.Repeat("a", 64)},
		History: []ocispec.History{{Comment: "first"}, {Comment: "buildkit.dockerfile.v0"}},
		Parent:  "sha256:" + strings.Repeat("2", 64),
	}
	top := object(t, marshal(t, ImageInspect(img)))
	// docker image inspect's keys (API 1.52: Parent, DockerVersion and
	// the empty Config fields are gone).
	assert.Equal(t, []string{"Architecture", "Author", "Comment", "Config", "Created", "Id", "Metadata", "Os",
		"RepoDigests", "RepoTags", "RootFS", "Size", "Variant"}, keys(top))
	for k, want := range map[string]string{
		"Id":           `"` + img.ID + `"`,
		"RepoTags":     `["app:1"]`,
		"RepoDigests":  `[]`,
		"Created":      `"2024-05-06T07:08:09Z"`,
		"Author":       `"me"`,
		"Comment":      `"buildkit.dockerfile.v0"`,
		"Architecture": `"arm"`, "Variant": `"v7"`, "Os": `"linux"`, "Size": `1234`,
		"RootFS":   `{"Type":"layers","Layers":["sha256:` + strings.Repeat("a", 64) + `"]}`,
		"Metadata": `{"LastTagTime":"0001-01-01T00:00:00Z"}`,
		"Config": `{"Cmd":["sh"],"Env":["PATH=/bin"],"Labels":{"a":"b"},` +
			`"Healthcheck":{"Test":["CMD","true"],"Interval":5000000000,"Retries":2},"OnBuild":["RUN true"],"Shell":["/bin/sh","-ec"]}`,
	} {
		assert.JSONEq(t, want, string(top[k]), k)
	}
	// The answer is a copy.
	r := ImageInspect(img)
	r.Config.Env[0], r.RepoTags[0] = "changed", "changed"
	assert.Equal(t, "PATH=/bin", img.Config.Env[0])
	assert.Equal(t, "app:1", img.RepoTags[0])

	bare := object(t, marshal(t, ImageInspect(&dock.Image{ID: img.ID})))
	assert.NotContains(t, bare, "Created", "no creation time: omitted, as Docker does since API 1.44")
	assert.JSONEq(t, `{}`, string(bare["Config"]))
}

func TestVolume(t *testing.T) {
	v := &dock.Volume{Name: "data", Mountpoint: "/var/lib/dock/volumes/data/_data", Created: time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC)}
	top := object(t, marshal(t, Volume(v)))
	assert.Equal(t, []string{"CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"}, keys(top))
	assert.JSONEq(t, `{"CreatedAt":"2024-01-02T03:04:05Z","Driver":"local","Labels":null,"Mountpoint":"/var/lib/dock/volumes/data/_data",`+
		`"Name":"data","Options":null,"Scope":"local"}`, string(marshal(t, Volume(v))))
	v.Anonymous = true
	assert.Equal(t, map[string]string{"com.docker.volume.anonymous": ""}, Volume(v).Labels)
}

func TestNetworkInspect(t *testing.T) {
	n := &dock.Network{
		ID: strings.Repeat("a", 64), Name: "app", Driver: "bridge", Created: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
		IPAM: []dock.IPAMConfig{
			{Subnet: netip.MustParsePrefix("10.89.0.0/24"), Gateway: netip.MustParseAddr("10.89.0.1"), IPRange: netip.MustParsePrefix("10.89.0.128/25")},
			{Subnet: netip.MustParsePrefix("fd00::/64"), Gateway: netip.MustParseAddr("fd00::1")},
		},
		EnableIPv6: true, Labels: map[string]string{"team": "a"},
	}
	web, stopped := webInfo(), webInfo()
	stopped.ID = strings.Repeat("e", 64)
	stopped.State.Status = dock.StatusExited
	stopped.Networks[1].IPv4, stopped.Networks[1].IPv6 = netip.Prefix{}, netip.Prefix{}
	top := object(t, marshal(t, NetworkInspect(n, []*dock.Info{web, stopped})))
	assert.Equal(t, []string{"Attachable", "ConfigFrom", "ConfigOnly", "Containers", "Created", "Driver", "EnableIPv4",
		"EnableIPv6", "IPAM", "Id", "Ingress", "Internal", "Labels", "Name", "Options", "Scope"}, keys(top))
	for k, want := range map[string]string{
		"Name": `"app"`, "Id": `"` + n.ID + `"`, "Created": `"2024-01-02T03:04:05.000000006Z"`, "Scope": `"local"`,
		"Driver": `"bridge"`, "EnableIPv4": `true`, "EnableIPv6": `true`, "Internal": `false`,
		"ConfigFrom": `{"Network":""}`, "Options": `{}`, "Labels": `{"team":"a"}`,
		"IPAM": `{"Driver":"default","Options":{},"Config":[{"Subnet":"10.89.0.0/24","IPRange":"10.89.0.128/25","Gateway":"10.89.0.1"},` +
			`{"Subnet":"fd00::/64","Gateway":"fd00::1"}]}`,
	} {
		assert.JSONEq(t, want, string(top[k]), k)
	}
	containers := object(t, top["Containers"])
	require.Equal(t, []string{web.ID}, keys(containers), "only the running one")
	c := object(t, containers[web.ID])
	assert.JSONEq(t, `"web"`, string(c["Name"]))
	assert.JSONEq(t, `"10.89.0.3/24"`, string(c["IPv4Address"]))
	assert.JSONEq(t, `"fd00::3/64"`, string(c["IPv6Address"]))
	assert.JSONEq(t, `"02:42:0a:59:00:03"`, string(c["MacAddress"]))
	assert.JSONEq(t, `"`+ContainerInspect(web).NetworkSettings.Networks["app"].EndpointID+`"`, string(c["EndpointID"]),
		"the endpoint the container's inspect shows")

	host := Network(&dock.Network{ID: dock.PredefinedNetworkID("host"), Name: "host", Driver: "host"})
	assert.False(t, host.EnableIPv4)
	assert.Equal(t, "host", host.Driver)
	assert.NotNil(t, host.IPAM.Config)
}

func TestSystemInfo(t *testing.T) {
	infos := []*dock.Info{
		{State: dock.State{Status: dock.StatusRunning}}, {State: dock.State{Status: dock.StatusPaused}},
		{State: dock.State{Status: dock.StatusExited}}, {State: dock.State{Status: dock.StatusCreated}},
	}
	info := systemInfo(infos, 7, "/var/lib/dock", host{name: "h", kernel: "6.1", ncpu: 2, memTotal: 1 << 30, cgroupVersion: "1"})
	assert.Equal(t, 4, info.Containers)
	assert.Equal(t, 1, info.ContainersRunning)
	assert.Equal(t, 1, info.ContainersPaused)
	assert.Equal(t, 2, info.ContainersStopped)
	assert.Equal(t, 7, info.Images)
	assert.Equal(t, "/var/lib/dock", info.DockerRootDir)
	assert.Equal(t, "overlay2", info.Driver)
	assert.Equal(t, "json-file", info.LoggingDriver)
	assert.Equal(t, "1", info.CgroupVersion)
	assert.Equal(t, "6.1", info.KernelVersion)
	assert.Equal(t, "h", info.Name)
	assert.True(t, info.LiveRestoreEnabled)
	top := object(t, marshal(t, info))
	for _, k := range []string{"ID", "Containers", "ContainersRunning", "ContainersPaused", "ContainersStopped", "Images",
		"Driver", "DriverStatus", "Plugins", "MemoryLimit", "SwapLimit", "CpuCfsPeriod", "CpuCfsQuota", "CPUShares",
		"CPUSet", "PidsLimit", "IPv4Forwarding", "Debug", "NFd", "OomKillDisable", "NGoroutines", "SystemTime",
		"LoggingDriver", "CgroupDriver", "CgroupVersion", "NEventsListener", "KernelVersion", "OperatingSystem",
		"OSVersion", "OSType", "Architecture", "IndexServerAddress", "RegistryConfig", "NCPU", "MemTotal",
		"GenericResources", "DockerRootDir", "HttpProxy", "HttpsProxy", "NoProxy", "Name", "Labels",
		"ExperimentalBuild", "ServerVersion", "Runtimes", "DefaultRuntime", "Swarm", "LiveRestoreEnabled",
		"Isolation", "InitBinary", "ContainerdCommit", "RuncCommit", "InitCommit", "SecurityOptions", "CDISpecDirs",
		"Warnings"} {
		assert.Contains(t, top, k, "docker info's key %s", k)
	}
	assert.JSONEq(t, `"inactive"`, string(object(t, top["Swarm"])["LocalNodeState"]))
}

// SystemInfo of an engine: its counts and root, the host's facts.
func TestSystemInfoEngine(t *testing.T) {
	e, err := dock.Open(t.TempDir())
	require.NoError(t, err)
	defer e.Close()
	info, err := SystemInfo(context.Background(), e)
	require.NoError(t, err)
	assert.Zero(t, info.Containers)
	assert.Zero(t, info.Images)
	assert.Equal(t, e.Root(), info.DockerRootDir)
	assert.Equal(t, runtime.NumCPU(), info.NCPU)
	assert.Positive(t, info.MemTotal)
	assert.NotEmpty(t, info.KernelVersion)
	assert.NotEmpty(t, info.SystemTime)
	hostname, _ := os.Hostname()
	assert.Equal(t, hostname, info.Name)
}

func TestVersion(t *testing.T) {
	v := Version()
	assert.Equal(t, "dock", v.Platform.Name)
	assert.Equal(t, APIVersion, v.APIVersion)
	assert.Equal(t, MinAPIVersion, v.MinAPIVersion)
	assert.Equal(t, runtime.GOOS, v.Os)
	assert.Equal(t, runtime.Version(), v.GoVersion)
	assert.NotEmpty(t, v.Version)
	require.Len(t, v.Components, 1)
	assert.Equal(t, "Engine", v.Components[0].Name)
	assert.Equal(t, v.Version, v.Components[0].Version)
	top := object(t, marshal(t, v))
	for _, k := range []string{"Platform", "Components", "Version", "ApiVersion", "MinAPIVersion", "GoVersion", "Os", "Arch"} {
		assert.Contains(t, top, k)
	}
}
