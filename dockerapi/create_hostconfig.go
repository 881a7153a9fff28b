package dockerapi

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/go-dock/dock"
)

// swappinessWarning is Docker's warning where the kernel (cgroup v2, or
// here: dock) has no memory swappiness to set.
const swappinessWarning = "Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded."

// hostSettings sets spec from Docker's HostConfig.
func hostSettings(spec *CreateSpec, h *container.HostConfig, version string) error {
	cfg := &spec.Config
	if err := refuseHostSettings(h); err != nil {
		return err
	}
	for _, b := range h.Binds {
		m, err := dock.ParseVolume(b)
		if err != nil {
			return badRequest("%s", strings.TrimPrefix(err.Error(), dock.ErrInvalid.Error()+": "))
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	for _, m := range h.Mounts {
		dm, err := mountOf(m)
		if err != nil {
			return err
		}
		cfg.Mounts = append(cfg.Mounts, dm)
		if o := m.VolumeOptions; o != nil && len(o.Labels) > 0 && dm.Type == "volume" && dm.Source != "" {
			if spec.VolumeLabels == nil {
				spec.VolumeLabels = map[string]map[string]string{}
			}
			spec.VolumeLabels[dm.Source] = maps.Clone(o.Labels)
		}
	}
	targets := make([]string, 0, len(h.Tmpfs))
	for t := range h.Tmpfs {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, t := range targets {
		if !path.IsAbs(t) {
			return badRequest("invalid tmpfs: %q: the path must be absolute", t)
		}
		m := dock.Mount{Type: "tmpfs", Target: t}
		if o := h.Tmpfs[t]; o != "" {
			m.Options = strings.Split(o, ",")
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	seen := map[string]bool{}
	for _, m := range cfg.Mounts {
		t := path.Clean(m.Target)
		if seen[t] {
			return badRequest("Duplicate mount point: %s", t)
		}
		seen[t] = true
	}

	ports, err := portMappings(h.PortBindings)
	if err != nil {
		return err
	}
	cfg.Ports, cfg.PublishAllPorts = ports, h.PublishAllPorts
	cfg.Network = string(h.NetworkMode)
	if h.NetworkMode.IsHost() && (len(cfg.Ports) > 0 || cfg.PublishAllPorts) {
		spec.Warnings = append(spec.Warnings, "Published ports are discarded when using host network mode")
		cfg.Ports, cfg.PublishAllPorts = nil, false
	}

	if h.RestartPolicy.Name != "" || h.RestartPolicy.MaximumRetryCount != 0 {
		if err := container.ValidateRestartPolicy(h.RestartPolicy); err != nil {
			return badRequest("%v", err)
		}
		if !h.RestartPolicy.IsNone() {
			cfg.RestartPolicy = dock.RestartPolicy{Name: string(h.RestartPolicy.Name), MaximumRetryCount: h.RestartPolicy.MaximumRetryCount}
		}
	}
	cfg.AutoRemove = h.AutoRemove
	if cfg.AutoRemove && !cfg.RestartPolicy.IsNone() {
		return badRequest("can't create 'AutoRemove' container with restart policy")
	}

	if err := resourceSettings(spec, &h.Resources); err != nil {
		return err
	}
	cfg.CapAdd, cfg.CapDrop = slices.Clone(h.CapAdd), slices.Clone(h.CapDrop)
	cfg.Privileged, cfg.ReadOnly = h.Privileged, h.ReadonlyRootfs
	if err := securityOpts(cfg, h.SecurityOpt); err != nil {
		return err
	}
	if h.ShmSize < 0 {
		return badRequest("SHM size can not be less than 0")
	}
	cfg.ShmSize = h.ShmSize
	for k, v := range h.Sysctls {
		setSysctl(cfg, k, v)
	}
	for _, a := range h.DNS {
		if !a.IsValid() {
			return badRequest("invalid DNS server address")
		}
		cfg.DNS = append(cfg.DNS, a.Unmap())
	}
	cfg.DNSSearch, cfg.DNSOptions = slices.Clone(h.DNSSearch), slices.Clone(h.DNSOptions)
	for _, eh := range h.ExtraHosts {
		// Docker 25's "name=ip" is the same as "name:ip".
		if i := strings.IndexAny(eh, "=:"); i > 0 && eh[i] == '=' {
			eh = eh[:i] + ":" + eh[i+1:]
		}
		cfg.ExtraHosts = append(cfg.ExtraHosts, eh)
	}
	if err := namespaceModes(cfg, h); err != nil {
		return err
	}
	if h.Init != nil {
		cfg.Init = *h.Init
	}
	if cfg.Log, err = logConfig(h.LogConfig); err != nil {
		return err
	}
	cfg.GroupAdd = slices.Clone(h.GroupAdd)
	cfg.OOMScoreAdj = h.OomScoreAdj
	if h.ConsoleSize != [2]uint{} && !versionLess(version, "1.42") {
		if h.ConsoleSize[0] > 0xffff || h.ConsoleSize[1] > 0xffff {
			return badRequest("invalid console size: %dx%d", h.ConsoleSize[0], h.ConsoleSize[1])
		}
		spec.ConsoleSize = dock.WindowSize{Rows: uint16(h.ConsoleSize[0]), Cols: uint16(h.ConsoleSize[1])}
	}
	return nil
}

// refuseHostSettings refuses the HostConfig fields dock has no part of,
// when they ask for something.
func refuseHostSettings(h *container.HostConfig) error {
	switch {
	case len(h.VolumesFrom) > 0:
		return unsupported("VolumesFrom")
	case h.VolumeDriver != "" && h.VolumeDriver != "local":
		return badRequest("volume driver %s is not supported: only local volumes", h.VolumeDriver)
	case len(h.Links) > 0:
		return badRequest("links are not supported: dock has no legacy container links")
	case h.Runtime != "" && h.Runtime != "runc":
		return badRequest("unknown or invalid runtime name: %s", h.Runtime)
	case h.Isolation != "" && !h.Isolation.IsDefault():
		return badRequest("invalid isolation: %s", h.Isolation)
	case len(h.StorageOpt) > 0:
		return badRequest("--storage-opt is supported only for overlay over xfs with 'pquota' mount option")
	case h.Cgroup != "":
		return unsupported("Cgroup")
	case h.UsernsMode != "" && !h.UsernsMode.IsHost():
		return badRequest("invalid USER mode: %s", h.UsernsMode)
	case h.MaskedPaths != nil || h.ReadonlyPaths != nil:
		return unsupported("MaskedPaths and ReadonlyPaths (systempaths=unconfined)")
	case len(h.Annotations) > 0:
		return unsupported("Annotations")
	case h.Umask != nil:
		return unsupported("Umask")
	}
	return nil
}

// mountOf is a mount of HostConfig.Mounts.
func mountOf(m mount.Mount) (dock.Mount, error) {
	dm := dock.Mount{Type: string(m.Type), Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly,
		Consistency: string(m.Consistency)}
	invalid := func(format string, args ...any) error {
		return badRequest("invalid mount config for type %q: %s", m.Type, fmt.Sprintf(format, args...))
	}
	if m.Target == "" {
		return dm, invalid("field Target must not be empty")
	}
	if !path.IsAbs(m.Target) {
		return dm, invalid("invalid mount path: '%s' mount path must be absolute", m.Target)
	}
	if m.Type != mount.TypeBind && m.BindOptions != nil {
		return dm, invalid("field BindOptions must not be specified")
	}
	if m.Type != mount.TypeVolume && m.VolumeOptions != nil {
		return dm, invalid("field VolumeOptions must not be specified")
	}
	if m.Type != mount.TypeTmpfs && m.TmpfsOptions != nil {
		return dm, invalid("field TmpfsOptions must not be specified")
	}
	switch m.Type {
	case mount.TypeBind:
		if m.Source == "" {
			return dm, invalid("field Source must not be empty")
		}
		if !path.IsAbs(m.Source) {
			return dm, invalid("invalid mount path: '%s' mount path must be absolute", m.Source)
		}
		if o := m.BindOptions; o != nil {
			switch {
			case o.Propagation != "" && o.Propagation != mount.PropagationRPrivate && o.Propagation != mount.PropagationPrivate:
				return dm, unsupported("bind propagation " + string(o.Propagation))
			case o.NonRecursive, o.ReadOnlyNonRecursive:
				return dm, unsupported("a non-recursive bind mount")
			case o.CreateMountpoint:
				return dm, unsupported("CreateMountpoint")
			}
		}
	case mount.TypeVolume:
		if o := m.VolumeOptions; o != nil {
			switch {
			case o.Subpath != "":
				return dm, unsupported("a volume's Subpath")
			case o.DriverConfig != nil && o.DriverConfig.Name != "" && o.DriverConfig.Name != "local":
				return dm, badRequest("volume driver %s is not supported: only local volumes", o.DriverConfig.Name)
			case o.DriverConfig != nil && len(o.DriverConfig.Options) > 0:
				return dm, unsupported("volume driver options")
			}
			dm.NoCopy = o.NoCopy
		}
	case mount.TypeTmpfs:
		if m.Source != "" {
			return dm, invalid("field Source must not be specified")
		}
		if o := m.TmpfsOptions; o != nil {
			if o.SizeBytes < 0 {
				return dm, invalid("invalid tmpfs size %d", o.SizeBytes)
			}
			if o.SizeBytes > 0 {
				dm.Options = append(dm.Options, "size="+strconv.FormatInt(o.SizeBytes, 10))
			}
			if o.Mode != 0 {
				dm.Options = append(dm.Options, "mode="+strconv.FormatUint(uint64(o.Mode.Perm()|o.Mode&0o7000), 8))
			}
			for _, kv := range o.Options {
				switch len(kv) {
				case 1:
					dm.Options = append(dm.Options, kv[0])
				case 2:
					dm.Options = append(dm.Options, kv[0]+"="+kv[1])
				default:
					return dm, invalid("invalid tmpfs option %q", kv)
				}
			}
		}
	default:
		return dm, badRequest("mount type %q is not supported: only bind, volume and tmpfs", m.Type)
	}
	return dm, nil
}

// portMappings are the -p mappings of PortBindings, parsed by the
// library as docker run -p gives them, in the order of the ports.
func portMappings(pm network.PortMap) ([]dock.PortMapping, error) {
	keys := make([]network.Port, 0, len(pm))
	for p := range pm {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Num() != keys[j].Num() {
			return keys[i].Num() < keys[j].Num()
		}
		return keys[i].Proto() < keys[j].Proto()
	})
	var specs []string
	for _, p := range keys {
		if !p.IsValid() {
			return nil, badRequest("invalid port specification: %q", p.String())
		}
		for _, b := range pm[p] {
			s := p.String()
			switch {
			case b.HostIP.IsValid() && b.HostIP.Is6() && !b.HostIP.Is4In6():
				s = "[" + b.HostIP.String() + "]:" + b.HostPort + ":" + s
			case b.HostIP.IsValid():
				s = b.HostIP.Unmap().String() + ":" + b.HostPort + ":" + s
			case b.HostPort != "":
				s = b.HostPort + ":" + s
			}
			specs = append(specs, s)
		}
	}
	ports, err := dock.ParsePortMappings(specs...)
	if err != nil {
		return nil, badRequest("%s", strings.TrimPrefix(err.Error(), dock.ErrInvalid.Error()+": "))
	}
	return ports, nil
}

// resourceSettings sets the limits of HostConfig's Resources.
func resourceSettings(spec *CreateSpec, r *container.Resources) error {
	res := &spec.Config.Resources
	switch {
	case r.Memory < 0:
		return badRequest("invalid memory limit: %d", r.Memory)
	case r.MemoryReservation < 0:
		return badRequest("invalid memory reservation: %d", r.MemoryReservation)
	case r.MemorySwap < -1:
		return badRequest("invalid memory swap limit: %d", r.MemorySwap)
	case r.MemorySwap > 0 && r.Memory == 0:
		return badRequest("You should always set the Memory limit when using Memoryswap limit, see usage")
	case r.MemorySwap > 0 && r.MemorySwap < r.Memory:
		return badRequest("Minimum memoryswap limit should be larger than memory limit, see usage")
	case r.CPUShares < 0:
		return badRequest("invalid CPU shares: %d", r.CPUShares)
	case r.NanoCPUs < 0:
		return badRequest("invalid NanoCPUs: %d", r.NanoCPUs)
	case r.NanoCPUs > 0 && (r.CPUPeriod > 0 || r.CPUQuota > 0):
		return badRequest("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	case r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000):
		return badRequest("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	case r.CPUQuota != 0 && r.CPUQuota < 1000 && r.CPUQuota != -1:
		return badRequest("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	case r.CgroupParent != "":
		return unsupported("CgroupParent")
	case r.CPURealtimePeriod != 0 || r.CPURealtimeRuntime != 0:
		return unsupported("CPU real-time scheduling")
	case len(r.BlkioWeightDevice) > 0:
		return unsupported("BlkioWeightDevice")
	case len(r.DeviceRequests) > 0:
		return badRequest("could not select device driver %q with capabilities: %v", r.DeviceRequests[0].Driver, r.DeviceRequests[0].Capabilities)
	case r.CPUCount != 0 || r.CPUPercent != 0 || r.IOMaximumIOps != 0 || r.IOMaximumBandwidth != 0:
		return badRequest("invalid option: Windows-only resource settings are not supported on Linux")
	}
	res.Memory, res.MemorySwap, res.MemoryReservation = r.Memory, r.MemorySwap, r.MemoryReservation
	res.CPUShares = uint64(r.CPUShares)
	switch {
	case r.NanoCPUs > 0:
		res.CPUs = float64(r.NanoCPUs) / 1e9
	case r.CPUQuota > 0:
		period := r.CPUPeriod
		if period == 0 {
			period = 100000
		}
		res.CPUs = float64(r.CPUQuota) / float64(period)
	}
	res.CpusetCpus, res.CpusetMems = r.CpusetCpus, r.CpusetMems
	if r.PidsLimit != nil {
		// Docker's -1 (any negative) lifts the limit; 0, which Docker's
		// CLI sends when no --pids-limit is given, keeps dock's default
		// limit (DefaultPIDs), as the dock CLI does without the flag.
		switch n := *r.PidsLimit; {
		case n < 0:
			res.PIDs = -1
		case n > 0:
			res.PIDs = n
		}
	}
	res.BlkioWeight = r.BlkioWeight
	for _, t := range []struct {
		from []*blkiodev.ThrottleDevice
		to   *[]dock.ThrottleDevice
	}{
		{r.BlkioDeviceReadBps, &res.BlkioDeviceReadBps},
		{r.BlkioDeviceWriteBps, &res.BlkioDeviceWriteBps},
		{r.BlkioDeviceReadIOps, &res.BlkioDeviceReadIOps},
		{r.BlkioDeviceWriteIOps, &res.BlkioDeviceWriteIOps},
	} {
		for _, d := range t.from {
			if d == nil || d.Path == "" {
				return badRequest("invalid throttle device: no path")
			}
			*t.to = append(*t.to, dock.ThrottleDevice{Path: d.Path, Rate: d.Rate})
		}
	}
	if r.OomKillDisable != nil {
		res.OOMKillDisable = *r.OomKillDisable
	}
	if s := r.MemorySwappiness; s != nil && *s != -1 {
		if *s < 0 || *s > 100 {
			return badRequest("Invalid value: %d, valid memory swappiness range is 0-100", *s)
		}
		spec.Warnings = append(spec.Warnings, swappinessWarning)
	}
	cfg := &spec.Config
	for _, d := range r.Devices {
		perms := d.CgroupPermissions
		if perms == "" {
			perms = "rwm"
		}
		cfg.Devices = append(cfg.Devices, dock.Device{PathOnHost: d.PathOnHost, PathInContainer: d.PathInContainer, Permissions: perms})
	}
	cfg.DeviceCgroupRules = slices.Clone(r.DeviceCgroupRules)
	for _, u := range r.Ulimits {
		if u == nil || u.Name == "" {
			return badRequest("invalid ulimit: no name")
		}
		cfg.Ulimits = append(cfg.Ulimits, dock.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return nil
}

// securityOpts reads HostConfig.SecurityOpt as Docker's daemon does:
// KEY=VALUE or KEY:VALUE, where seccomp's value is the profile itself (the
// CLI sends the file's content). no-new-privileges=false lifts dock's
// default, which is stricter than Docker's.
func securityOpts(cfg *dock.Config, opts []string) error {
	for _, s := range opts {
		if s == "no-new-privileges" {
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			if k, v, ok = strings.Cut(s, ":"); !ok {
				return badRequest("Invalid --security-opt: %q", s)
			}
		}
		switch k {
		case "no-new-privileges":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return badRequest("invalid --security-opt 2: %q", s)
			}
			cfg.AllowNewPrivileges = !b
		case "seccomp":
			switch v {
			case "unconfined":
				cfg.SeccompUnconfined = true
			case "builtin", "":
			default:
				cfg.SeccompProfile = v
			}
		case "apparmor":
			cfg.AppArmorProfile = v
		case "label":
			cfg.SELinuxLabel = append(cfg.SELinuxLabel, v)
		case "systempaths", "writable-cgroups":
			return unsupported("--security-opt " + k)
		default:
			return badRequest("invalid --security-opt 2: %q", s)
		}
	}
	return nil
}

// namespaceModes sets the IPC, PID, UTS and cgroup namespace modes,
// checked as Docker checks them.
func namespaceModes(cfg *dock.Config, h *container.HostConfig) error {
	if !h.IpcMode.Valid() {
		return badRequest("invalid IPC mode: %s", h.IpcMode)
	}
	if !h.PidMode.Valid() {
		return badRequest("invalid PID mode: %s", h.PidMode)
	}
	if !h.UTSMode.Valid() {
		return badRequest("invalid UTS mode: %s", h.UTSMode)
	}
	if !h.CgroupnsMode.Valid() {
		return badRequest("invalid cgroup namespace mode: %s", h.CgroupnsMode)
	}
	if h.UTSMode.IsHost() && cfg.Hostname != "" {
		return badRequest("conflicting options: hostname and the UTS mode")
	}
	cfg.IPC, cfg.PID, cfg.UTS, cfg.CgroupNS = string(h.IpcMode), string(h.PidMode), string(h.UTSMode), string(h.CgroupnsMode)
	return nil
}

// logConfig reads LogConfig: the json-file and local drivers (dock writes
// json-file logs for both) with their max-size and max-file options.
func logConfig(l container.LogConfig) (dock.LogConfig, error) {
	var lc dock.LogConfig
	switch l.Type {
	case "", "json-file", "local":
	case "none":
		return lc, unsupported("log driver none")
	default:
		return lc, badRequest("failed to create logger: logger: no log driver named '%s' is registered", l.Type)
	}
	keys := slices.Sorted(maps.Keys(l.Config))
	for _, k := range keys {
		v := l.Config[k]
		switch k {
		case "max-size":
			if v == "-1" {
				lc.MaxSize = -1
				continue
			}
			n, err := units.FromHumanSize(v)
			if err != nil {
				return lc, badRequest("%v", err)
			}
			if n <= 0 {
				return lc, badRequest("max-size must be a positive number")
			}
			lc.MaxSize = n
		case "max-file":
			n, err := strconv.Atoi(v)
			if err != nil {
				return lc, badRequest("%v", errors.Unwrap(err))
			}
			if n < 1 {
				return lc, badRequest("max-file cannot be less than 1")
			}
			lc.MaxFiles = n
		case "compress":
			if b, err := strconv.ParseBool(v); err != nil || b {
				return lc, unsupported("compress=" + v)
			}
		default:
			return lc, badRequest("unknown log opt '%s' for json-file log driver", k)
		}
	}
	return lc, nil
}
