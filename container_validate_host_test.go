package dock

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-dock/dock/internal/cgroup"
)

// The checks of the host-tied fields that need neither root nor the host:
// Docker's (runc's) words for each refusal, and what is accepted.
func TestValidateHostFields(t *testing.T) {
	ok := []Config{
		{IPC: "private"}, {IPC: "shareable"}, {IPC: "host"}, {IPC: "none"}, {IPC: "container:db"},
		{PID: "host"}, {PID: "container:db"}, {UTS: "host"}, {CgroupNS: "host"}, {CgroupNS: "private"},
		{ShmSize: 1 << 20},
		{Sysctls: map[string]string{"kernel.shmmax": "1", "kernel.sem": "250 32000 32 128", "fs.mqueue.msg_max": "10",
			"net.ipv4.ip_forward": "1", "net/ipv4/conf/eth0.100/forwarding": "1", "kernel.domainname": "example.com"}},
		{Network: "container:db", Sysctls: map[string]string{"net.core.somaxconn": "1024"}},
		{IPC: "container:db", Sysctls: map[string]string{"kernel.msgmax": "1"}},
		{OOMScoreAdj: -1000}, {OOMScoreAdj: 1000},
		{DeviceCgroupRules: []string{"c 1:3 rwm", "b *:* r", "a *:* rwm", "c 10:* m"}},
		{Resources: Resources{BlkioWeight: 10}}, {Resources: Resources{BlkioWeight: 1000}},
		{SELinuxLabel: []string{"disable", "user:u", "role:r", "type:t", "level:s0:c1,c2", "filetype:f"}},
		{SeccompProfile: `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`},
		{SeccompUnconfined: true, SeccompProfile: "not even json: unconfined wins"},
	}
	for _, cfg := range ok {
		if err := validateConfig(&cfg); err != nil {
			t.Errorf("validateConfig(%+v) = %v, want nil", cfg, err)
		}
	}
	bad := []struct {
		cfg  Config
		want string
	}{
		{Config{IPC: "shared"}, "invalid IPC mode: shared"},
		{Config{IPC: "container:"}, "invalid IPC mode: container:"},
		{Config{PID: "private"}, "invalid PID mode: private"},
		{Config{UTS: "private"}, "invalid UTS mode: private"},
		{Config{UTS: "host", Hostname: "h"}, "conflicting options: hostname and the UTS mode"},
		{Config{CgroupNS: "none"}, `invalid cgroup namespace mode "none"`},
		{Config{ShmSize: -1}, "SHM size can not be less than 0"},
		{Config{Sysctls: map[string]string{"vm.swappiness": "1"}}, `sysctl "vm.swappiness" is not in a separate kernel namespace`},
		{Config{Sysctls: map[string]string{"kernel.pid_max": "1"}}, "is not in a separate kernel namespace"},
		{Config{UTS: "host", Sysctls: map[string]string{"kernel.domainname": "x"}}, "is not in a separate kernel namespace"},
		{Config{Network: "host", Sysctls: map[string]string{"net.core.somaxconn": "1"}}, "is not allowed in the hosts network namespace"},
		{Config{IPC: "host", Sysctls: map[string]string{"fs.mqueue.msg_max": "1"}}, "is not allowed in the hosts ipc namespace"},
		{Config{Sysctls: map[string]string{"net/../../etc": "1"}}, "invalid name"},
		{Config{Sysctls: map[string]string{"net.ipv4.ip_forward": "1\n2"}}, "invalid value"},
		{Config{OOMScoreAdj: -1001}, "Invalid value -1001, range for oom score adj is [-1000, 1000]"},
		{Config{Devices: []Device{{PathOnHost: "dev/x"}}}, "dev/x is not an absolute path"},
		{Config{Devices: []Device{{PathOnHost: "/dev/x", Permissions: "rwmr"}}}, "invalid device mode: rwmr"},
		{Config{Devices: []Device{{PathOnHost: "/dev/x", PathInContainer: "/proc/x"}}}, "inside /proc"},
		{Config{DeviceCgroupRules: []string{"c 1:3"}}, "invalid device cgroup format 'c 1:3'"},
		{Config{DeviceCgroupRules: []string{"c 1 rwm"}}, "invalid device cgroup format"},
		{Config{DeviceCgroupRules: []string{"c 99999:1 r"}}, "invalid device cgroup format"},
		{Config{Resources: Resources{BlkioWeight: 9}}, "range of blkio weight is from 10 to 1000"},
		{Config{Resources: Resources{BlkioDeviceReadIOps: []ThrottleDevice{{Path: "sda"}}}}, "not an absolute path"},
		{Config{SELinuxLabel: []string{"type"}}, "bad label option"},
		{Config{SELinuxLabel: []string{"color:red"}}, "bad label option"},
		{Config{SeccompProfile: "{"}, "decoding seccomp profile failed"},
		{Config{Mounts: []Mount{{Type: "tmpfs", Target: "/t", Relabel: "z"}}}, "nothing to relabel"},
		{Config{Mounts: []Mount{{Type: "volume", Target: "/t", Consistency: "eventual"}}}, "invalid consistency"},
	}
	for _, tt := range bad {
		err := validateConfig(&tt.cfg)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("validateConfig(%+v) = %v, want ErrInvalid with %q", tt.cfg, err, tt.want)
		}
	}
}

func TestValidateDevicesDefaults(t *testing.T) {
	cfg := Config{Devices: []Device{{PathOnHost: "/dev/fuse"}, {PathOnHost: "/dev/sda", PathInContainer: "/dev/xvda/", Permissions: "r"}}}
	if err := validateConfig(&cfg); err != nil {
		t.Fatal(err)
	}
	want := []Device{{"/dev/fuse", "/dev/fuse", "rwm"}, {"/dev/sda", "/dev/xvda", "r"}}
	for i, d := range cfg.Devices {
		if d != want[i] {
			t.Errorf("device %d recorded as %+v, want %+v", i, d, want[i])
		}
	}
}

func TestParseDeviceCgroupRule(t *testing.T) {
	for s, want := range map[string]cgroup.DeviceRule{
		"c 1:3 rwm": {Allow: true, Type: 'c', Major: 1, Minor: 3, Access: "rwm"},
		"b *:7 r":   {Allow: true, Type: 'b', Major: -1, Minor: 7, Access: "r"},
		"a":         {Allow: true, Type: 'a', Major: -1, Minor: -1, Access: "rwm"},
		"a 1:2 r":   {Allow: true, Type: 'a', Major: -1, Minor: -1, Access: "rwm"},
	} {
		got, err := parseDeviceCgroupRule(s)
		if err != nil || got != want {
			t.Errorf("parseDeviceCgroupRule(%q) = %+v, %v, want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "c", "c 1:3", "x 1:3 r", "c 1:3 rx", "c 1:3 rr", "c -1:3 r", "c 1:3: r", "cc 1:3 r"} {
		if _, err := parseDeviceCgroupRule(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("parseDeviceCgroupRule(%q) = %v, want ErrInvalid", s, err)
		}
	}
}

func TestSysctlPath(t *testing.T) {
	for key, want := range map[string]string{
		"net.ipv4.ip_forward":               "/proc/sys/net/ipv4/ip_forward",
		"net/ipv4/conf/eth0.100/forwarding": "/proc/sys/net/ipv4/conf/eth0.100/forwarding",
		"kernel.shmmax":                     "/proc/sys/kernel/shmmax",
	} {
		if got := sysctlPath(key); got != want {
			t.Errorf("sysctlPath(%q) = %q, want %q", key, got, want)
		}
	}
}
