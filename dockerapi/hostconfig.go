package dockerapi

import (
	"maps"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/go-dock/dock"
)

// shmSize is the size of a dock container's /dev/shm when its config
// sets none: Docker's default, 64 MiB.
const shmSize = 64 << 20

// restartPolicy is Docker's: "no" when none is set, as docker run sends.
func restartPolicy(p dock.RestartPolicy) container.RestartPolicy {
	if p.IsNone() {
		return container.RestartPolicy{Name: container.RestartPolicyDisabled}
	}
	return container.RestartPolicy{Name: container.RestartPolicyMode(p.Name), MaximumRetryCount: p.MaximumRetryCount}
}

// hostConfig is Docker's HostConfig of the container, with the empty
// lists docker run sends where its Config sets nothing.
func hostConfig(info *dock.Info) *container.HostConfig {
	cfg := &info.Config
	h := &container.HostConfig{
		LogConfig:       container.LogConfig{Type: "json-file", Config: logOptions(cfg.Log)},
		NetworkMode:     container.NetworkMode(cfg.Network),
		PortBindings:    PortBindings(cfg.Ports),
		RestartPolicy:   restartPolicy(cfg.RestartPolicy),
		AutoRemove:      cfg.AutoRemove,
		CapAdd:          slices.Clone(cfg.CapAdd),
		CapDrop:         slices.Clone(cfg.CapDrop),
		CgroupnsMode:    container.CgroupnsModePrivate,
		DNS:             append([]netip.Addr{}, cfg.DNS...),
		DNSOptions:      append([]string{}, cfg.DNSOptions...),
		DNSSearch:       append([]string{}, cfg.DNSSearch...),
		ExtraHosts:      slices.Clone(cfg.ExtraHosts),
		GroupAdd:        slices.Clone(cfg.GroupAdd),
		IpcMode:         container.IPCModePrivate,
		PidMode:         container.PidMode(cfg.PID),
		UTSMode:         container.UTSMode(cfg.UTS),
		OomScoreAdj:     cfg.OOMScoreAdj,
		Sysctls:         maps.Clone(cfg.Sysctls),
		Privileged:      cfg.Privileged,
		PublishAllPorts: cfg.PublishAllPorts,
		ReadonlyRootfs:  cfg.ReadOnly,
		ShmSize:         shmSize,
		Resources:       resources(&cfg.Resources, cfg.Ulimits),
	}
	if h.NetworkMode == "" {
		h.NetworkMode = network.NetworkNone // the library's default
	}
	if cfg.IPC != "" {
		h.IpcMode = container.IpcMode(cfg.IPC)
	}
	if cfg.CgroupNS != "" {
		h.CgroupnsMode = container.CgroupnsMode(cfg.CgroupNS)
	}
	if cfg.ShmSize != 0 {
		h.ShmSize = cfg.ShmSize
	}
	for _, d := range cfg.Devices {
		h.Devices = append(h.Devices, container.DeviceMapping{PathOnHost: d.PathOnHost, PathInContainer: d.PathInContainer, CgroupPermissions: d.Permissions})
	}
	h.DeviceCgroupRules = slices.Clone(cfg.DeviceCgroupRules)
	if cfg.Init {
		init := true
		h.Init = &init
	}
	if !cfg.AllowNewPrivileges {
		h.SecurityOpt = append(h.SecurityOpt, "no-new-privileges") // dock's default
	}
	if cfg.SeccompUnconfined {
		h.SecurityOpt = append(h.SecurityOpt, "seccomp=unconfined")
	} else if cfg.SeccompProfile != "" {
		h.SecurityOpt = append(h.SecurityOpt, "seccomp="+cfg.SeccompProfile) // as docker run sends a file's
	}
	if cfg.AppArmorProfile != "" {
		h.SecurityOpt = append(h.SecurityOpt, "apparmor="+cfg.AppArmorProfile)
	}
	for _, l := range cfg.SELinuxLabel {
		h.SecurityOpt = append(h.SecurityOpt, "label="+l)
	}
	anonymous := map[string]bool{} // docker run -v /path: in Config.Volumes, not in Binds
	for _, m := range info.Mounts {
		anonymous[m.Name] = m.Type == "volume" && m.Anonymous
	}
	for _, m := range cfg.Mounts {
		switch {
		case m.Type == "bind" || m.Type == "volume" && m.Source != "" && !anonymous[m.Source]:
			var modes []string
			if m.ReadOnly {
				modes = append(modes, "ro")
			}
			for _, mode := range []string{m.Relabel, m.Consistency} {
				if mode != "" {
					modes = append(modes, mode)
				}
			}
			b := m.Source + ":" + m.Target
			if len(modes) > 0 {
				b += ":" + strings.Join(modes, ",")
			}
			h.Binds = append(h.Binds, b)
		case m.Type == "tmpfs":
			if h.Tmpfs == nil {
				h.Tmpfs = map[string]string{}
			}
			h.Tmpfs[m.Target] = strings.Join(m.Options, ",")
		}
	}
	return h
}

// resources are Docker's resource fields of HostConfig.
func resources(r *dock.Resources, ulimits []dock.Ulimit) container.Resources {
	res := container.Resources{
		CPUShares:            int64(r.CPUShares),
		Memory:               r.Memory,
		NanoCPUs:             int64(math.Round(r.CPUs * 1e9)),
		BlkioWeightDevice:    []*blkiodev.WeightDevice{},
		BlkioDeviceReadBps:   []*blkiodev.ThrottleDevice{},
		BlkioDeviceWriteBps:  []*blkiodev.ThrottleDevice{},
		BlkioDeviceReadIOps:  []*blkiodev.ThrottleDevice{},
		BlkioDeviceWriteIOps: []*blkiodev.ThrottleDevice{},
		CpusetCpus:           r.CpusetCpus,
		CpusetMems:           r.CpusetMems,
		Devices:              []container.DeviceMapping{},
		MemoryReservation:    r.MemoryReservation,
		MemorySwap:           r.MemorySwap,
		Ulimits:              []*container.Ulimit{},
		BlkioWeight:          r.BlkioWeight,
	}
	if r.OOMKillDisable {
		res.OomKillDisable = &r.OOMKillDisable
	}
	for _, t := range []struct {
		from []dock.ThrottleDevice
		to   *[]*blkiodev.ThrottleDevice
	}{
		{r.BlkioDeviceReadBps, &res.BlkioDeviceReadBps}, {r.BlkioDeviceWriteBps, &res.BlkioDeviceWriteBps},
		{r.BlkioDeviceReadIOps, &res.BlkioDeviceReadIOps}, {r.BlkioDeviceWriteIOps, &res.BlkioDeviceWriteIOps},
	} {
		for _, d := range t.from {
			*t.to = append(*t.to, &blkiodev.ThrottleDevice{Path: d.Path, Rate: d.Rate})
		}
	}
	switch pids := r.PIDs; {
	case pids == 0:
		def := int64(dock.DefaultPIDs) // the limit it runs with
		res.PidsLimit = &def
	case pids > 0:
		res.PidsLimit = &pids
	}
	for _, u := range ulimits {
		res.Ulimits = append(res.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return res
}

// logOptions are the json-file driver's options as docker run --log-opt
// gives them: max-size in the shortest of docker's decimal units that
// states it exactly, max-file.
func logOptions(l dock.LogConfig) map[string]string {
	opts := map[string]string{}
	if l.MaxSize > 0 {
		opts["max-size"] = sizeString(l.MaxSize)
	}
	if l.MaxFiles > 0 {
		opts["max-file"] = strconv.Itoa(l.MaxFiles)
	}
	return opts
}

func sizeString(n int64) string {
	for _, u := range []struct {
		size   int64
		suffix string
	}{{1e9, "g"}, {1e6, "m"}, {1e3, "k"}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// PortBindings are Docker's HostConfig.PortBindings of the -p mappings
// ms, by container port: an empty HostIp for any address, an empty
// HostPort for an ephemeral port, a host range as "8000-8010".
func PortBindings(ms []dock.PortMapping) network.PortMap {
	out := network.PortMap{}
	for _, m := range ms {
		port := portOf(dock.Port{Number: m.ContainerPort, Proto: m.Proto})
		b := network.PortBinding{HostIP: m.HostIP}
		if m.HostPort != 0 {
			b.HostPort = strconv.Itoa(int(m.HostPort))
		}
		if m.HostPortEnd > m.HostPort {
			b.HostPort += "-" + strconv.Itoa(int(m.HostPortEnd))
		}
		out[port] = append(out[port], b)
	}
	return out
}

// portOf is p as Docker's port type ("" is "tcp").
func portOf(p dock.Port) network.Port {
	proto := network.IPProtocol(p.Proto)
	if proto == "" {
		proto = network.TCP
	}
	port, _ := network.PortFrom(p.Number, proto)
	return port
}

func itoa(n int) string { return strconv.Itoa(n) }
