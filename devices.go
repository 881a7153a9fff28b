package dock

import (
	"strings"

	"github.com/go-dock/dock/internal/cgroup"
)

// Device is a host device that a container gets (docker run --device
// PathOnHost[:PathInContainer[:Permissions]]): at each start the init
// makes a node with the host's device number, type, mode and owner at
// PathInContainer, and the container's device cgroup allows it with
// Permissions. A directory stands for every device node under it
// (found again at each start), each at the same place under
// PathInContainer.
type Device struct {
	// PathOnHost is the host's device node (or directory of them).
	PathOnHost string `json:"pathOnHost"`
	// PathInContainer is where the container has it; empty means
	// PathOnHost (Create records it).
	PathInContainer string `json:"pathInContainer,omitempty"`
	// Permissions are the cgroup permissions: a combination of r
	// (read), w (write) and m (mknod); empty means "rwm" (Create
	// records it).
	Permissions string `json:"permissions,omitempty"`
}

// ThrottleDevice limits the I/O of a host block device (a whole disk:
// the kernel throttles no partition): Rate is in bytes per second or
// in operations per second, by the field that holds it.
type ThrottleDevice struct {
	Path string `json:"path"`
	Rate uint64 `json:"rate"`
}

// hostDevice is a device node as the init makes it in the container.
type hostDevice struct {
	path       string // in the container
	mode       uint32 // S_IFCHR or S_IFBLK, and the permission bits
	major      uint32
	minor      uint32
	uid, gid   uint32
	permission string // cgroup access: r, w, m
}

// rule is the device cgroup rule that allows d.
func (d hostDevice) rule() cgroup.DeviceRule {
	typ := byte('c')
	if d.mode&sIFMT == sIFBLK {
		typ = 'b'
	}
	return cgroup.DeviceRule{Allow: true, Type: typ, Major: int64(d.major), Minor: int64(d.minor), Access: d.permission}
}

// The file type bits of a mode (Linux's values, on every system).
const (
	sIFMT  = 0o170000
	sIFBLK = 0o060000
	sIFCHR = 0o020000
)

// parseDeviceCgroupRule parses a rule of Config.DeviceCgroupRules ("c
// 1:3 rwm", "a *:* rwm", "a") as Docker does: one that allows.
func parseDeviceCgroupRule(s string) (cgroup.DeviceRule, error) {
	f := strings.Fields(s)
	if len(f) == 1 && f[0] == "a" {
		return cgroup.DeviceRule{Allow: true, Type: 'a', Major: -1, Minor: -1, Access: "rwm"}, nil
	}
	if len(f) != 3 || len(f[0]) != 1 || !strings.Contains("abc", f[0]) || !validDeviceMode(f[2]) {
		return cgroup.DeviceRule{}, errDeviceRule(s)
	}
	maj, min, ok := strings.Cut(f[1], ":")
	major, ok1 := parseDeviceNumber(maj)
	minor, ok2 := parseDeviceNumber(min)
	if !ok || !ok1 || !ok2 {
		return cgroup.DeviceRule{}, errDeviceRule(s)
	}
	r := cgroup.DeviceRule{Allow: true, Type: f[0][0], Major: major, Minor: minor, Access: f[2]}
	if r.Type == 'a' {
		// The kernel's "a" matches every device and access, whatever
		// follows it.
		r.Major, r.Minor, r.Access = -1, -1, "rwm"
	}
	if err := cgroup.Validate(cgroup.Resources{Devices: []cgroup.DeviceRule{r}}); err != nil {
		return cgroup.DeviceRule{}, errDeviceRule(s)
	}
	return r, nil
}

// deviceRules are the container's device cgroup rules beyond the
// default allowlist: those of its devices, then its own rules.
func deviceRules(devs []hostDevice, rules []string) []cgroup.DeviceRule {
	var out []cgroup.DeviceRule
	for _, d := range devs {
		out = append(out, d.rule())
	}
	for _, s := range rules {
		if r, err := parseDeviceCgroupRule(s); err == nil { // checked by Create
			out = append(out, r)
		}
	}
	return out
}
