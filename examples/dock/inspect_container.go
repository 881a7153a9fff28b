package main

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock"
)

// containerJSON is a container as docker inspect shows it: the fields of
// Docker's ContainerJSON that dock has, with Docker's names and shapes,
// so that scripts written for docker inspect (and --format templates)
// read it. What Docker keeps and dock does not (paths of the daemon's
// files, the graph driver, health) is left out.
type containerJSON struct {
	ID              string `json:"Id"`
	Created         string
	Path            string
	Args            []string
	State           stateJSON
	Image           string
	Name            string
	RestartCount    int
	Platform        string
	HostConfig      hostConfigJSON
	Mounts          []mountJSON
	Config          configJSON
	NetworkSettings networkSettingsJSON
}

type stateJSON struct {
	Status     string
	Running    bool
	Paused     bool
	Restarting bool
	OOMKilled  bool
	Dead       bool
	Pid        int
	ExitCode   int
	Error      string
	StartedAt  string
	FinishedAt string
}

type hostConfigJSON struct {
	Binds             []string
	LogConfig         logConfigJSON
	NetworkMode       string
	PortBindings      map[string][]portBinding
	AutoRemove        bool
	CapAdd            []string
	CapDrop           []string
	Dns               []string
	DnsOptions        []string
	DnsSearch         []string
	ExtraHosts        []string
	GroupAdd          []string
	Privileged        bool
	PublishAllPorts   bool
	ReadonlyRootfs    bool
	SecurityOpt       []string
	Init              *bool
	Memory            int64
	MemoryReservation int64
	MemorySwap        int64
	NanoCpus          int64
	CpuShares         int64
	CpusetCpus        string
	CpusetMems        string
	PidsLimit         *int64
	Ulimits           []ulimitJSON
}

type logConfigJSON struct {
	Type   string
	Config map[string]string
}

type ulimitJSON struct {
	Name string
	Soft int64
	Hard int64
}

type mountJSON struct {
	Type        string
	Name        string `json:",omitempty"`
	Source      string
	Destination string
	Driver      string `json:",omitempty"`
	Mode        string
	RW          bool
	Propagation string
}

type configJSON struct {
	Hostname     string
	Domainname   string
	User         string
	ExposedPorts map[string]struct{} `json:",omitempty"`
	Tty          bool
	OpenStdin    bool
	StdinOnce    bool
	Env          []string
	Cmd          []string
	Image        string
	Volumes      map[string]struct{}
	WorkingDir   string
	Entrypoint   []string
	Labels       map[string]string
	StopSignal   string `json:",omitempty"`
	StopTimeout  *int   `json:",omitempty"`
}

// dockerTime is a time as Docker's JSON writes it (the zero time too).
func dockerTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// newContainerJSON turns Inspect's Info into docker inspect's shape. img
// is the container's image (nil if it was removed since), whose defaults
// Docker shows merged into Config.
func newContainerJSON(ctx context.Context, e *dock.Engine, info *dock.Info, img *dock.Image) *containerJSON {
	cfg := info.Config
	j := &containerJSON{
		ID: info.ID, Created: dockerTime(info.Created), Image: info.ImageID, Platform: "linux",
		State: newStateJSON(info.State), HostConfig: newHostConfigJSON(&cfg), Mounts: []mountJSON{},
		Config: newConfigJSON(info, img),
	}
	if len(info.Args) > 0 {
		j.Path, j.Args = info.Args[0], info.Args[1:]
	}
	if j.Args == nil {
		j.Args = []string{}
	}
	if info.Name != "" {
		j.Name = "/" + info.Name
	}
	for _, m := range info.Mounts {
		j.Mounts = append(j.Mounts, newMountJSON(m))
	}
	j.NetworkSettings = newNetworkSettings(ctx, e, info, j.Config.exposed())
	return j
}

func newStateJSON(st dock.State) stateJSON {
	j := stateJSON{
		Status: string(st.Status), Running: st.Status == dock.StatusRunning || st.Status == dock.StatusPaused,
		Paused: st.Status == dock.StatusPaused, Pid: st.Pid,
		StartedAt: dockerTime(st.StartedAt), FinishedAt: dockerTime(st.FinishedAt),
	}
	if st.Status == dock.StatusExited {
		j.ExitCode, j.OOMKilled, j.Error = st.Exit.Code, st.Exit.OOMKilled, st.Exit.Err
	}
	return j
}

func newHostConfigJSON(cfg *dock.Config) hostConfigJSON {
	j := hostConfigJSON{
		NetworkMode: cfg.Network, PortBindings: portBindings(cfg.Ports),
		AutoRemove: cfg.AutoRemove, CapAdd: cfg.CapAdd, CapDrop: cfg.CapDrop,
		Dns: []string{}, DnsOptions: nonNilStrings(cfg.DNSOptions), DnsSearch: nonNilStrings(cfg.DNSSearch),
		ExtraHosts: cfg.ExtraHosts, GroupAdd: cfg.GroupAdd, Privileged: cfg.Privileged,
		PublishAllPorts: cfg.PublishAllPorts, ReadonlyRootfs: cfg.ReadOnly,
		Memory: cfg.Resources.Memory, MemoryReservation: cfg.Resources.MemoryReservation,
		MemorySwap: cfg.Resources.MemorySwap, NanoCpus: int64(cfg.Resources.CPUs * 1e9),
		CpuShares: int64(cfg.Resources.CPUShares), CpusetCpus: cfg.Resources.CpusetCpus,
		CpusetMems: cfg.Resources.CpusetMems,
		LogConfig:  logConfigJSON{Type: "json-file", Config: map[string]string{}},
	}
	if j.NetworkMode == "" {
		j.NetworkMode = "none" // the library's default
	}
	for _, a := range cfg.DNS {
		j.Dns = append(j.Dns, a.String())
	}
	if cfg.Init {
		j.Init = &cfg.Init
	}
	if !cfg.AllowNewPrivileges {
		j.SecurityOpt = append(j.SecurityOpt, "no-new-privileges") // dock's default
	}
	if cfg.SeccompUnconfined {
		j.SecurityOpt = append(j.SecurityOpt, "seccomp=unconfined")
	}
	switch pids := cfg.Resources.PIDs; {
	case pids == 0:
		def := int64(dock.DefaultPIDs)
		j.PidsLimit = &def
	case pids > 0:
		j.PidsLimit = &pids
	}
	if cfg.Log.MaxSize != 0 {
		j.LogConfig.Config["max-size"] = strconv.FormatInt(cfg.Log.MaxSize, 10)
	}
	if cfg.Log.MaxFiles != 0 {
		j.LogConfig.Config["max-file"] = strconv.Itoa(cfg.Log.MaxFiles)
	}
	for _, u := range cfg.Ulimits {
		j.Ulimits = append(j.Ulimits, ulimitJSON(u))
	}
	for _, m := range cfg.Mounts {
		if m.Type == "bind" {
			b := m.Source + ":" + m.Target
			if m.ReadOnly {
				b += ":ro"
			}
			j.Binds = append(j.Binds, b)
		}
	}
	return j
}

// portBindings is Docker's HostConfig.PortBindings: the -p mappings by
// container port, with "" for any address or an ephemeral port, and a
// host range as "8000-8010".
func portBindings(ms []dock.PortMapping) map[string][]portBinding {
	out := map[string][]portBinding{}
	for _, m := range ms {
		b := portBinding{}
		if m.HostIP.IsValid() {
			b.HostIP = m.HostIP.String()
		}
		if m.HostPort != 0 {
			b.HostPort = strconv.Itoa(int(m.HostPort))
		}
		if m.HostPortEnd > m.HostPort {
			b.HostPort += "-" + strconv.Itoa(int(m.HostPortEnd))
		}
		key := dock.Port{Number: m.ContainerPort, Proto: m.Proto}.String()
		out[key] = append(out[key], b)
	}
	return out
}

func newMountJSON(m dock.MountPoint) mountJSON {
	j := mountJSON{Type: m.Type, Source: m.Source, Destination: m.Target, RW: !m.ReadOnly}
	switch m.Type {
	case "volume":
		j.Name, j.Driver = m.Name, "local"
	case "bind":
		j.Propagation = "rprivate"
	}
	return j
}

// newConfigJSON is Docker's Config: the container's settings with the
// image's defaults merged in, as Docker merges them at create.
func newConfigJSON(info *dock.Info, img *dock.Image) configJSON {
	cfg := info.Config
	j := configJSON{
		Hostname: info.Hostname, User: cfg.User, Tty: cfg.Tty, OpenStdin: cfg.OpenStdin,
		Image: cfg.Image, WorkingDir: cfg.WorkingDir, Entrypoint: cfg.Entrypoint, Cmd: cfg.Cmd,
		StopSignal: cfg.StopSignal, Labels: map[string]string{},
	}
	var env []string
	if img != nil {
		ic := img.Config
		env = slices.Clone(ic.Env)
		if j.User == "" {
			j.User = ic.User
		}
		if j.WorkingDir == "" {
			j.WorkingDir = ic.WorkingDir
		}
		if j.StopSignal == "" {
			j.StopSignal = ic.StopSignal
		}
		if len(cfg.Entrypoint) == 0 {
			if len(cfg.Cmd) == 0 {
				j.Cmd = ic.Cmd
			}
			if cfg.Entrypoint == nil {
				j.Entrypoint = ic.Entrypoint
			}
		}
		maps.Copy(j.Labels, ic.Labels)
		j.Volumes = ic.Volumes
		for k := range ic.ExposedPorts {
			j.addExposed(k)
		}
	}
	for _, kv := range cfg.Env {
		k, _, _ := strings.Cut(kv, "=")
		env = slices.DeleteFunc(env, func(e string) bool { return e == k || strings.HasPrefix(e, k+"=") })
		env = append(env, kv)
	}
	j.Env = env
	maps.Copy(j.Labels, cfg.Labels)
	// -p publishes ports that Docker then counts as exposed.
	for _, m := range cfg.Ports {
		j.addExposed(dock.Port{Number: m.ContainerPort, Proto: m.Proto}.String())
	}
	for _, p := range cfg.ExposedPorts {
		j.addExposed(p.String())
	}
	if cfg.StopTimeout != nil {
		s := int(*cfg.StopTimeout / time.Second)
		j.StopTimeout = &s
	}
	return j
}

func (j *configJSON) addExposed(key string) {
	if j.ExposedPorts == nil {
		j.ExposedPorts = map[string]struct{}{}
	}
	j.ExposedPorts[key] = struct{}{}
}

// exposed are the keys of ExposedPorts as ports.
func (j *configJSON) exposed() []dock.Port {
	ports, _ := dock.ParseExposedPorts(slices.Sorted(maps.Keys(j.ExposedPorts))...)
	return ports
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
