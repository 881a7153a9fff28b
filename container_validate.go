package dock

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/go-dock/dock/internal/user"
)

// validateConfig checks what can be checked without the image.
func validateConfig(cfg *Config) error {
	if err := validateNetworkConfig(cfg); err != nil {
		return err
	}
	if cfg.WorkingDir != "" && !path.IsAbs(cfg.WorkingDir) {
		return invalidf("working directory %q is not absolute", cfg.WorkingDir)
	}
	if strings.HasPrefix(path.Clean(cfg.WorkingDir), "/proc/") {
		return invalidf("working directory %q is inside /proc", cfg.WorkingDir)
	}
	if err := user.CheckSpec(cfg.User); err != nil {
		return translate(err)
	}
	for _, g := range cfg.GroupAdd {
		if _, _, err := user.ParseID(g); err != nil {
			return fmt.Errorf("group-add %q: %w", g, translate(err))
		}
	}
	if _, err := effectiveCaps(cfg); err != nil {
		return err
	}
	for i := range cfg.Mounts {
		if err := validateMount(&cfg.Mounts[i]); err != nil {
			return err
		}
	}
	for _, u := range cfg.Ulimits {
		if _, ok := rlimitByName[u.Name]; !ok {
			return invalidf("unknown ulimit %q", u.Name)
		}
		if u.Soft > u.Hard || u.Soft < 0 {
			return invalidf("ulimit %s: soft limit %d above hard limit %d", u.Name, u.Soft, u.Hard)
		}
	}
	if err := validateBlkio(&cfg.Resources); err != nil { // before cgroup.Validate: Docker's words
		return err
	}
	if err := validateResources(&cfg.Resources); err != nil {
		return err
	}
	if err := validateLog(cfg.Log); err != nil {
		return err
	}
	if err := validateRestartPolicy(cfg); err != nil {
		return err
	}
	if err := validateHealthcheck(cfg.Healthcheck); err != nil {
		return err
	}
	for _, check := range []func(*Config) error{validateNamespaces, validateSysctls, validateDevices, validateSecurityOptions} {
		if err := check(cfg); err != nil {
			return err
		}
	}
	if err := validateOOMScoreAdj(cfg.OOMScoreAdj); err != nil {
		return err
	}
	for _, m := range [][]IDMap{cfg.UIDMap, cfg.GIDMap} {
		for _, r := range m {
			if r.Size <= 0 || r.ContainerID < 0 || r.HostID < 0 {
				return invalidf("id map %+v: invalid range", r)
			}
			if r.ContainerID > user.MaxID-(r.Size-1) || r.HostID > user.MaxID-(r.Size-1) {
				return invalidf("id map %+v: ids beyond %d", r, user.MaxID)
			}
		}
	}
	if (len(cfg.UIDMap) == 0) != (len(cfg.GIDMap) == 0) {
		return invalidf("user namespace needs both a uid and a gid map")
	}
	if len(cfg.UIDMap) > 0 {
		_, uok := hostID(cfg.UIDMap, 0)
		_, gok := hostID(cfg.GIDMap, 0)
		if !uok || !gok {
			return invalidf("user namespace maps must map the container's root (ID 0)")
		}
	}
	return nil
}

// hostID maps a container ID to the host through maps.
func hostID(maps []IDMap, id int) (int, bool) {
	for _, m := range maps {
		if id >= m.ContainerID && id < m.ContainerID+m.Size {
			return m.HostID + id - m.ContainerID, true
		}
	}
	return 0, false
}

func validateMount(m *Mount) error {
	if !path.IsAbs(m.Target) {
		return invalidf("mount target %q is not absolute", m.Target)
	}
	m.Target = path.Clean(m.Target)
	if m.Target == "/" {
		return invalidf("mount target cannot be /")
	}
	if err := checkMountTarget(m); err != nil {
		return err
	}
	switch m.Type {
	case "bind":
		if !path.IsAbs(m.Source) {
			return invalidf("bind source %q is not absolute", m.Source)
		}
		if _, err := os.Stat(m.Source); err != nil {
			return invalidf("bind source path does not exist: %s", m.Source)
		}
	case "volume":
		if m.Source != "" && !validName(m.Source, 255) {
			return invalidf("invalid volume name %q", m.Source)
		}
		if len(m.Options) > 0 {
			return invalidf("volume mount %s has options %q: only tmpfs mounts take options", m.Target, m.Options)
		}
	case "tmpfs":
		if m.Source != "" {
			return invalidf("tmpfs mount %s has a source", m.Target)
		}
		for _, o := range m.Options {
			if strings.ContainsAny(o, ",\x00") {
				return invalidf("tmpfs option %q", o)
			}
		}
	default:
		return invalidf("mount type %q: want bind, volume or tmpfs", m.Type)
	}
	if m.NoCopy && m.Type != "volume" {
		return invalidf("%s mount %s: NoCopy applies to volume mounts only", m.Type, m.Target)
	}
	return nil
}

// procBinds are the files under /proc that a bind mount may cover: those
// that lxcfs emulates (runc's list; anything else under /proc it refuses).
var procBinds = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
	"/proc/swaps", "/proc/uptime", "/proc/loadavg", "/proc/slabinfo",
	"/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
}

// checkMountTarget refuses a mount of the caller's whose target (absolute,
// clean) cannot work: on or under /proc (but for a bind of a file that
// lxcfs emulates), as runc refuses, and a volume or tmpfs on /dev, which
// would hide the device nodes the init makes there. Binds on /dev and on
// /sys, and mounts under them, are the caller's to choose (docker run -v
// /dev:/dev).
func checkMountTarget(m *Mount) error {
	switch kernelDir(m.Target) {
	case "/proc":
		if m.Type == "bind" && slices.Contains(procBinds, m.Target) {
			return nil
		}
		return invalidf("%s mount %s: cannot be mounted on or inside /proc", m.Type, m.Target)
	case "/dev":
		if m.Target == "/dev" && m.Type != "bind" {
			return invalidf("%s mount %s: would hide the container's device nodes (/dev/null, ...); bind a directory of device nodes instead", m.Type, m.Target)
		}
	}
	return nil
}
