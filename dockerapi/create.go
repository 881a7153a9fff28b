package dockerapi

import (
	"net/http"
	"net/netip"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/go-dock/dock"
)

// CreateOptions are what POST /containers/create takes besides its body.
type CreateOptions struct {
	// Name is the ?name= parameter: empty for a random name.
	Name string
	// APIVersion is the version the request was made for ("1.44"); empty
	// means the newest. Before 1.44 a container joins one network at
	// create, before 1.42 ConsoleSize is not read, as in Docker.
	APIVersion string
	// MacAddress is the Config.MacAddress of API versions before 1.44
	// (later ones set it per endpoint), which the types of this module
	// no longer hold.
	MacAddress string
}

// CreateSpec is what a create request asks of the engine: the container's
// configuration, the networks it joins beside Config.Network, its first
// terminal size, and Docker's warnings about what was discarded.
type CreateSpec struct {
	Config dock.Config
	// Networks are the further networks of NetworkingConfig (API 1.44 and
	// later), sorted by name: the container joins them after Create.
	Networks []NetworkEndpoint
	// ConsoleSize is HostConfig.ConsoleSize (API 1.42 and later) for a
	// container with a tty: the size its terminal gets at start; zero
	// for none.
	ConsoleSize dock.WindowSize
	// VolumeLabels are the labels of HostConfig.Mounts' named volumes
	// (VolumeOptions.Labels), by volume name: a volume that does not
	// exist yet is created with them before the container, as Docker
	// does; an existing one is left as it is.
	VolumeLabels map[string]map[string]string
	// Warnings are Docker's warnings about settings dropped here (the
	// engine adds its own at Create).
	Warnings []string
}

// NetworkEndpoint is a network a container joins, with its
// NetworkingConfig endpoint settings.
type NetworkEndpoint struct {
	Network     string
	Aliases     []string
	IPv4Address netip.Addr
	IPv6Address netip.Addr
}

// CreateConfig turns Docker's create request (Config, HostConfig and
// NetworkingConfig) into the container configuration of dock.Engine.Create.
// It is pure: the engine checks the result again (images, paths, names,
// the host's support) at Create. What Docker accepts and dock cannot do is
// refused with a 400 error in Docker's words where Docker has some; what
// Docker itself discards on a host like this one is dropped with its
// warning.
//
// The defaults are Docker's, not the library's: no NetworkMode is the
// default bridge, no PidsLimit is the library's default limit.
func CreateConfig(req *container.CreateRequest, opts CreateOptions) (*CreateSpec, error) {
	if req == nil || req.Config == nil {
		return nil, badRequest("config cannot be empty in order to create a container")
	}
	version := opts.APIVersion
	if version == "" {
		version = APIVersion
	}
	c := req.Config
	spec := &CreateSpec{}
	cfg := &spec.Config
	if strings.TrimSpace(c.Image) == "" {
		return nil, badRequest("no image specified")
	}
	cfg.Image = c.Image
	cfg.Name = strings.TrimPrefix(opts.Name, "/")
	if cfg.Name != "" && !validContainerName(cfg.Name) {
		return nil, badRequest("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", cfg.Name)
	}
	cfg.Cmd = slices.Clone(c.Cmd)
	cfg.Entrypoint = slices.Clone(c.Entrypoint)
	cfg.Env = slices.Clone(c.Env)
	cfg.User = c.User
	if c.WorkingDir != "" && !path.IsAbs(c.WorkingDir) {
		return nil, badRequest("the working directory '%s' is invalid, it needs to be an absolute path", c.WorkingDir)
	}
	cfg.WorkingDir = c.WorkingDir
	if len(c.Labels) > 0 {
		cfg.Labels = make(map[string]string, len(c.Labels))
		for k, v := range c.Labels {
			cfg.Labels[k] = v
		}
	}
	cfg.Tty, cfg.OpenStdin, cfg.StdinOnce = c.Tty, c.OpenStdin, c.StdinOnce
	cfg.Hostname = c.Hostname
	if c.Domainname != "" {
		// Docker sets it with setdomainname in the container's own UTS
		// namespace; dock sets the same kernel value as a sysctl.
		setSysctl(cfg, "kernel.domainname", c.Domainname)
	}
	if len(c.ExposedPorts) > 0 {
		var specs []string
		for p := range c.ExposedPorts {
			specs = append(specs, p.String())
		}
		sort.Strings(specs)
		ports, err := dock.ParseExposedPorts(specs...)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		cfg.ExposedPorts = ports
	}
	if c.StopSignal != "" {
		if _, ok := dock.ParseSignal(c.StopSignal); !ok {
			return nil, badRequest("invalid signal: %s", c.StopSignal)
		}
		cfg.StopSignal = c.StopSignal
	}
	if c.StopTimeout != nil {
		d := time.Duration(*c.StopTimeout) * time.Second
		if *c.StopTimeout < 0 || d/time.Second != time.Duration(*c.StopTimeout) {
			d = -1 // Docker's "wait forever" has no place here: the default
		}
		if d >= 0 {
			cfg.StopTimeout = &d
		}
	}
	hc, err := healthcheck(c.Healthcheck)
	if err != nil {
		return nil, err
	}
	cfg.Healthcheck = hc
	for target := range c.Volumes {
		if !path.IsAbs(target) {
			return nil, badRequest("invalid volume specification: '%s': destination must be an absolute path", target)
		}
	}

	h := req.HostConfig
	if h == nil {
		h = &container.HostConfig{}
	}
	if err := hostSettings(spec, h, version); err != nil {
		return nil, err
	}
	// The anonymous volumes of Config.Volumes, where no bind, volume or
	// tmpfs of HostConfig lies already.
	var anon []string
	for target := range c.Volumes {
		covered := slices.ContainsFunc(cfg.Mounts, func(m dock.Mount) bool { return path.Clean(m.Target) == path.Clean(target) })
		if !covered {
			anon = append(anon, target)
		}
	}
	sort.Strings(anon)
	for _, target := range anon {
		cfg.Mounts = append(cfg.Mounts, dock.Mount{Type: "volume", Target: target})
	}
	if c.NetworkDisabled {
		cfg.Network = network.NetworkNone
	}
	if err := networkSettings(spec, req.NetworkingConfig, opts.MacAddress, version); err != nil {
		return nil, err
	}
	return spec, nil
}

// healthcheck is Docker's HealthConfig, checked as Docker checks it.
func healthcheck(h *container.HealthConfig) (*dock.Healthcheck, error) {
	if h == nil {
		return nil, nil
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Interval", h.Interval}, {"Timeout", h.Timeout}, {"StartPeriod", h.StartPeriod}, {"StartInterval", h.StartInterval}} {
		if d.v != 0 && d.v < time.Millisecond {
			return nil, badRequest("%s in Healthcheck cannot be less than %s", d.name, time.Millisecond)
		}
	}
	if h.Retries < 0 {
		return nil, badRequest("Retries in Healthcheck cannot be negative")
	}
	if len(h.Test) > 0 {
		switch h.Test[0] {
		case "NONE", "CMD", "CMD-SHELL":
		default:
			return nil, badRequest("unknown type for healthcheck test: %q", h.Test[0])
		}
	}
	return &dock.Healthcheck{Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
		StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}, nil
}

// networkSettings sets the container's network from HostConfig.NetworkMode
// (Docker's default, "" or "default", is the default bridge) and its
// endpoint settings from NetworkingConfig; the other endpoints become
// spec.Networks.
func networkSettings(spec *CreateSpec, nc *network.NetworkingConfig, mac, version string) error {
	cfg := &spec.Config
	if cfg.Network == "" || cfg.Network == "default" {
		cfg.Network = network.NetworkBridge
	}
	if mac != "" && versionLess(version, "1.44") {
		cfg.MacAddress = mac
	}
	if nc == nil || len(nc.EndpointsConfig) == 0 {
		return nil
	}
	names := make([]string, 0, len(nc.EndpointsConfig))
	for name := range nc.EndpointsConfig {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) > 1 && versionLess(version, "1.44") {
		return badRequest("Container cannot be connected to network endpoints: %s", strings.Join(names, ", "))
	}
	for _, name := range names {
		es := nc.EndpointsConfig[name]
		if es == nil {
			es = &network.EndpointSettings{}
		}
		if len(es.Links) > 0 {
			return badRequest("links are not supported: dock has no legacy container links")
		}
		ep := NetworkEndpoint{Network: name, Aliases: slices.Clone(es.Aliases)}
		if es.IPAMConfig != nil {
			ep.IPv4Address, ep.IPv6Address = es.IPAMConfig.IPv4Address, es.IPAMConfig.IPv6Address
			if ep.IPv4Address.IsValid() && !ep.IPv4Address.Unmap().Is4() {
				return badRequest("invalid IPv4 address: %s", ep.IPv4Address)
			}
			ep.IPv4Address = ep.IPv4Address.Unmap()
			if ep.IPv6Address.IsValid() && (!ep.IPv6Address.Is6() || ep.IPv6Address.Is4In6()) {
				return badRequest("invalid IPv6 address: %s", ep.IPv6Address)
			}
			if len(es.IPAMConfig.LinkLocalIPs) > 0 {
				return badRequest("link-local IP addresses are not supported")
			}
		}
		// Docker's CLI names the default network "default", as in
		// NetworkMode.
		if name == cfg.Network || name == network.NetworkDefault && cfg.Network == network.NetworkBridge {
			cfg.NetworkAliases = ep.Aliases
			cfg.IPv4Address, cfg.IPv6Address = ep.IPv4Address, ep.IPv6Address
			if len(es.MacAddress) > 0 {
				cfg.MacAddress = es.MacAddress.String()
			}
			continue
		}
		if len(es.MacAddress) > 0 {
			return badRequest("a MAC address can only be set on the container's first network (%s)", cfg.Network)
		}
		spec.Networks = append(spec.Networks, ep)
	}
	return nil
}

// validContainerName is Docker's rule for a container's name,
// [a-zA-Z0-9][a-zA-Z0-9_.-]* (the engine checks it again, in its words).
func validContainerName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return s != ""
}

// setSysctl sets one sysctl of cfg.
func setSysctl(cfg *dock.Config, k, v string) {
	if cfg.Sysctls == nil {
		cfg.Sysctls = map[string]string{}
	}
	cfg.Sysctls[k] = v
}

// badRequest is a 400 with Docker's words.
func badRequest(format string, args ...any) error {
	return errorf(http.StatusBadRequest, format, args...)
}

// unsupported is the 400 for a setting Docker takes and dock cannot honour.
func unsupported(what string) error {
	return badRequest("%s is not supported by dock", what)
}
