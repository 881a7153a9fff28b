package dockerapi

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

// The run options that tie a container to the host, in HostConfig as
// docker inspect shows them.
func TestHostConfigHostOptions(t *testing.T) {
	info := &dock.Info{Config: dock.Config{
		IPC: "shareable", PID: "host", UTS: "host", CgroupNS: "host", ShmSize: 1 << 20, OOMScoreAdj: 300,
		Sysctls:           map[string]string{"net.ipv4.ip_forward": "1"},
		Devices:           []dock.Device{{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", Permissions: "rwm"}},
		DeviceCgroupRules: []string{"c 1:3 r"},
		SeccompProfile:    `{"defaultAction":"SCMP_ACT_ALLOW"}`, AppArmorProfile: "docker-default", SELinuxLabel: []string{"disable"},
		AllowNewPrivileges: true,
		Mounts:             []dock.Mount{{Type: "bind", Source: "/a", Target: "/b", ReadOnly: true, Relabel: "Z", Consistency: "cached"}},
		Resources: dock.Resources{OOMKillDisable: true, BlkioWeight: 300,
			BlkioDeviceReadBps: []dock.ThrottleDevice{{Path: "/dev/sda", Rate: 1024}}},
	}}
	data, err := json.Marshal(hostConfig(info))
	require.NoError(t, err)
	hc := object(t, data)
	for k, want := range map[string]string{
		"IpcMode":            `"shareable"`,
		"PidMode":            `"host"`,
		"UTSMode":            `"host"`,
		"CgroupnsMode":       `"host"`,
		"ShmSize":            `1048576`,
		"OomScoreAdj":        `300`,
		"Sysctls":            `{"net.ipv4.ip_forward":"1"}`,
		"Devices":            `[{"PathOnHost":"/dev/fuse","PathInContainer":"/dev/fuse","CgroupPermissions":"rwm"}]`,
		"DeviceCgroupRules":  `["c 1:3 r"]`,
		"SecurityOpt":        `["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}","apparmor=docker-default","label=disable"]`,
		"Binds":              `["/a:/b:ro,Z,cached"]`,
		"OomKillDisable":     `true`,
		"BlkioWeight":        `300`,
		"BlkioDeviceReadBps": `[{"Path":"/dev/sda","Rate":1024}]`,
	} {
		assert.JSONEq(t, want, string(hc[k]), "HostConfig."+k)
	}
}
