package dock

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Checks of the fields that tie a container to the host's kernel: its
// namespaces, devices, sysctls, block I/O limits and security options,
// with Docker's (or runc's) rules and words. What needs the host (the
// devices themselves, its LSMs) is checked in checkHost (Linux).

// A namespace mode of Config.IPC, PID, UTS or CgroupNS.
const (
	nsPrivate   = "private"
	nsShareable = "shareable"
	nsHost      = "host"
	nsNone      = "none"
	nsContainer = "container:"
)

// joinedContainer is the NAME of a "container:NAME" mode, or "".
func joinedContainer(mode string) string {
	name, ok := strings.CutPrefix(mode, nsContainer)
	if !ok {
		return ""
	}
	return name
}

// ownNamespace reports whether a mode ("", "private", "shareable",
// "none") gives the container a namespace of its own.
func ownNamespace(mode string) bool {
	return mode == "" || mode == nsPrivate || mode == nsShareable || mode == nsNone
}

func validateNamespaces(cfg *Config) error {
	switch {
	case ownNamespace(cfg.IPC) || cfg.IPC == nsHost:
	case joinedContainer(cfg.IPC) != "":
	default:
		return invalidf("invalid IPC mode: %s", cfg.IPC)
	}
	switch {
	case cfg.PID == "" || cfg.PID == nsHost:
	case joinedContainer(cfg.PID) != "":
	default:
		return invalidf("invalid PID mode: %s", cfg.PID)
	}
	switch cfg.UTS {
	case "":
	case nsHost:
		if cfg.Hostname != "" {
			return invalidf("conflicting options: hostname and the UTS mode")
		}
	default:
		return invalidf("invalid UTS mode: %s", cfg.UTS)
	}
	switch cfg.CgroupNS {
	case "", nsPrivate, nsHost:
	default:
		return invalidf(`invalid cgroup namespace mode %q: only "private" or "host" are allowed`, cfg.CgroupNS)
	}
	if cfg.ShmSize < 0 {
		return invalidf("SHM size can not be less than 0")
	}
	return nil
}

// The sysctls the kernel keeps per IPC namespace (runc's list).
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// sysctlName matches a sysctl key: dotted (or, as runc also takes,
// slashed) names of the kernel's characters.
var sysctlName = regexp.MustCompile(`^[a-zA-Z0-9_-]+([./][a-zA-Z0-9_:@+-]+)*$`)

// validateSysctls allows the sysctls that a container's own namespaces
// hold, as runc does (its words), and refuses the rest: a value written
// there would change the host.
func validateSysctls(cfg *Config) error {
	for key, value := range cfg.Sysctls {
		if !sysctlName.MatchString(key) {
			return invalidf("sysctl %q: invalid name", key)
		}
		if strings.ContainsAny(value, "\x00\n") {
			return invalidf("sysctl %q: invalid value %q", key, value)
		}
		name := sysctlDotted(key)
		switch {
		case ipcSysctls[name] || strings.HasPrefix(name, "fs.mqueue."):
			if cfg.IPC == nsHost {
				return invalidf("sysctl %q is not allowed in the hosts ipc namespace", key)
			}
		case strings.HasPrefix(name, "net."):
			if modeOf(cfg.Network) == netHost {
				return invalidf("sysctl %q is not allowed in the hosts network namespace", key)
			}
		case name == "kernel.domainname" && cfg.UTS == "":
		case name == "kernel.hostname" && cfg.UTS == "":
			return invalidf("sysctl %q is not allowed as it conflicts with the OCI %q field", key, "hostname")
		default:
			return invalidf("sysctl %q is not in a separate kernel namespace", key)
		}
	}
	return nil
}

// sysctlDotted is key with dots as separators: runc takes "net/ipv4/x"
// (whose components may then hold dots, as interface names do) for
// "net.ipv4.x".
func sysctlDotted(key string) string {
	if !strings.Contains(key, "/") {
		return key
	}
	return strings.ReplaceAll(key, "/", ".")
}

// sysctlPath is the file of key under /proc/sys.
func sysctlPath(key string) string {
	if strings.Contains(key, "/") {
		return "/proc/sys/" + key
	}
	return "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
}

// validDeviceMode reports whether mode is a non-empty combination of r, w
// and m, each at most once.
func validDeviceMode(mode string) bool {
	if mode == "" || len(mode) > 3 {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range mode {
		if !strings.ContainsRune("rwm", c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// validateDevices checks the Devices' paths and permissions and fills in
// their defaults (the host path, "rwm"), as Create records them.
func validateDevices(cfg *Config) error {
	for i := range cfg.Devices {
		d := &cfg.Devices[i]
		if d.PathInContainer == "" {
			d.PathInContainer = d.PathOnHost
		}
		if d.Permissions == "" {
			d.Permissions = "rwm"
		}
		switch {
		case !path.IsAbs(d.PathOnHost):
			return invalidf("device %q: %s is not an absolute path", d.PathOnHost, d.PathOnHost)
		case !path.IsAbs(d.PathInContainer):
			return invalidf("device %q: %s is not an absolute path", d.PathOnHost, d.PathInContainer)
		case !validDeviceMode(d.Permissions):
			return invalidf("device %q: invalid device mode: %s", d.PathOnHost, d.Permissions)
		}
		d.PathInContainer = path.Clean(d.PathInContainer)
		if kernelDir(d.PathInContainer) == "/proc" || kernelDir(d.PathInContainer) == "/sys" {
			return invalidf("device %q: cannot be made on or inside %s", d.PathOnHost, kernelDir(d.PathInContainer))
		}
		if cfg.Privileged && d.PathInContainer != path.Clean(d.PathOnHost) && kernelDir(d.PathInContainer) == "/dev" {
			// A privileged container's /dev is the host's, bound: a
			// node made there would be made on the host.
			return invalidf("device %q: a privileged container has the host's /dev: it cannot get the device at another path under /dev (%s)", d.PathOnHost, d.PathInContainer)
		}
	}
	for _, r := range cfg.DeviceCgroupRules {
		if _, err := parseDeviceCgroupRule(r); err != nil {
			return err
		}
	}
	return nil
}

// validateBlkio checks the block I/O limits' ranges (their devices are
// the host's: checkHost).
func validateBlkio(r *Resources) error {
	if r.BlkioWeight != 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000) {
		return invalidf("range of blkio weight is from 10 to 1000")
	}
	for _, list := range [][]ThrottleDevice{r.BlkioDeviceReadBps, r.BlkioDeviceWriteBps, r.BlkioDeviceReadIOps, r.BlkioDeviceWriteIOps} {
		for _, d := range list {
			if !path.IsAbs(d.Path) {
				return invalidf("blkio device %q: not an absolute path", d.Path)
			}
		}
	}
	return nil
}

// The keys of SELinuxLabel options (go-selinux's), besides "disable".
var labelKeys = []string{"user", "role", "type", "level", "filetype"}

func validateSecurityOptions(cfg *Config) error {
	for _, l := range cfg.SELinuxLabel {
		k, v, ok := strings.Cut(l, ":")
		if l == "disable" || (ok && v != "" && slices.Contains(labelKeys, k)) {
			continue
		}
		return invalidf("bad label option %q, valid options 'disable' or 'user, role, level, type, filetype' followed by ':' and a value", l)
	}
	if strings.ContainsAny(cfg.AppArmorProfile, "\x00\n") {
		return invalidf("invalid AppArmor profile %q", cfg.AppArmorProfile)
	}
	if cfg.SeccompProfile != "" && !cfg.Privileged && !cfg.SeccompUnconfined {
		caps, err := effectiveCaps(cfg)
		if err != nil {
			return err
		}
		if _, err := compileSeccompProfile(cfg.SeccompProfile, caps); err != nil {
			return invalidf("%v", err)
		}
	}
	for _, m := range cfg.Mounts {
		switch m.Relabel {
		case "", "z", "Z":
		default:
			return invalidf("mount %s: invalid relabel mode %q: want z or Z", m.Target, m.Relabel)
		}
		if m.Relabel != "" && m.Type == "tmpfs" {
			return invalidf("mount %s: a tmpfs mount has nothing to relabel", m.Target)
		}
		switch m.Consistency {
		case "", "default", "consistent", "cached", "delegated":
		default:
			return invalidf("mount %s: invalid consistency %q: want consistent, cached, delegated or default", m.Target, m.Consistency)
		}
	}
	return nil
}

// validateOOMScoreAdj checks the range of Config.OOMScoreAdj (Docker's
// words).
func validateOOMScoreAdj(n int) error {
	if n < -1000 || n > 1000 {
		return invalidf("Invalid value %d, range for oom score adj is [-1000, 1000]", n)
	}
	return nil
}

// parseDeviceNumber parses a major or minor number of a device cgroup
// rule: digits, or * for any (-1).
func parseDeviceNumber(s string) (int64, bool) {
	if s == "*" {
		return -1, true
	}
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// errDeviceRule is Docker's error for a malformed --device-cgroup-rule.
func errDeviceRule(rule string) error {
	return invalidf("invalid device cgroup format '%s'", rule)
}

// String formats d as docker run --device writes it.
func (d Device) String() string {
	return fmt.Sprintf("%s:%s:%s", d.PathOnHost, d.PathInContainer, d.Permissions)
}
