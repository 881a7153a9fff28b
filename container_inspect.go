package dock

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
)

// Container returns a handle on the container with the given ID, unique ID
// prefix or name.
func (e *Engine) Container(idOrName string) (*Container, error) {
	id, err := e.resolveContainer(idOrName)
	if err != nil {
		return nil, err
	}
	return &Container{e: e, id: id}, nil
}

func (e *Engine) resolveContainer(ref string) (string, error) {
	ref = strings.TrimPrefix(ref, "/")
	if ref == "" {
		return "", invalidf("empty container reference")
	}
	entries, err := os.ReadDir(e.path("containers"))
	if err != nil {
		return "", err
	}
	var match []string
	for _, ent := range entries {
		if ent.Name() == ref {
			return ref, nil
		}
		if strings.HasPrefix(ent.Name(), ref) {
			match = append(match, ent.Name())
		}
	}
	if id, err := e.findByName(ref); err == nil {
		return id, nil
	}
	switch len(match) {
	case 0:
		return "", fmt.Errorf("no such container: %s: %w", ref, ErrNotFound)
	case 1:
		return match[0], nil
	}
	return "", invalidf("container reference %q is ambiguous", ref)
}

func (e *Engine) findByName(name string) (string, error) {
	found := ""
	err := e.eachContainerName(func(id, n string) bool {
		if n == name {
			found = id
		}
		return found == ""
	})
	if err != nil {
		return "", err
	}
	if found == "" {
		return "", ErrNotFound
	}
	return found, nil
}

// Info is what Inspect and Containers report about a container.
type Info struct {
	ID       string    `json:"id"`
	Name     string    `json:"name,omitempty"`
	Image    string    `json:"image"`
	ImageID  string    `json:"imageID"`
	Created  time.Time `json:"created"`
	Args     []string  `json:"args"`
	Hostname string    `json:"hostname"`
	Config   Config    `json:"config"`
	State    State     `json:"state"`
	// Health is the container's health (docker inspect's State.Health):
	// nil when it has no health check, or has never started with one.
	Health *Health `json:"health,omitempty"`
	// Mounts are the container's mounts as they are made, volumes by
	// name (those of the image's VOLUMEs included), as docker inspect
	// shows them.
	Mounts []MountPoint `json:"mounts,omitempty"`
	// Networks are the bridge networks the container is on, with its
	// addresses while it runs.
	Networks []EndpointInfo `json:"networks,omitempty"`
	// Ports are the published ports: with the host ports taken while it
	// runs, as configured otherwise.
	Ports []PortMapping `json:"ports,omitempty"`
	// ExposedPorts are the image's EXPOSE and Config.ExposedPorts.
	ExposedPorts []Port `json:"exposedPorts,omitempty"`
	// Resolved is Config with the image's defaults merged in, as Create
	// resolved it (what docker inspect shows as Config). For a container
	// created by an older version of this package, which did not keep
	// it, Cmd is the whole command and Entrypoint is empty.
	Resolved ResolvedConfig `json:"resolved"`
	// LogPath is the container's log file, json.log (see LogConfig).
	LogPath string `json:"logPath"`
	// ResolvConfPath, HostnamePath and HostsPath are the files bound over
	// the container's /etc/resolv.conf, /etc/hostname and /etc/hosts: its
	// own, or with Network "container:NAME" that container's.
	ResolvConfPath string `json:"resolvConfPath"`
	HostnamePath   string `json:"hostnamePath"`
	HostsPath      string `json:"hostsPath"`
	// Storage is where the container's root filesystem lives on the host.
	Storage StorageInfo `json:"storage"`
}

// StorageInfo is where a container's root filesystem lives on the host:
// an overlay of the image's unpacked layers, never written, under the
// container's own upper directory, which holds its changes.
type StorageInfo struct {
	// Driver is "overlay2", Docker's name for this layout.
	Driver string `json:"driver"`
	// LowerDirs are the image's layer directories, top first (overlay's
	// lowerdir order).
	LowerDirs []string `json:"lowerDirs"`
	// UpperDir holds the container's changes; WorkDir is overlay's
	// work directory.
	UpperDir string `json:"upperDir"`
	WorkDir  string `json:"workDir"`
	// MergedDir is where the overlay is mounted while the container runs:
	// in the container's mount namespace only (on the host it is an empty
	// directory, unlike Docker's).
	MergedDir string `json:"mergedDir"`
}

// storageInfo is the Storage of the container whose record is rec and
// whose paths are p.
func storageInfo(rec *containerRecord, p *containerPaths) StorageInfo {
	s := StorageInfo{
		Driver: "overlay2", UpperDir: p.upper, WorkDir: p.work, MergedDir: p.merged,
		LowerDirs: slices.Clone(rec.Layers),
	}
	slices.Reverse(s.LowerDirs)
	return s
}

// containerPaths are the paths of a container's files that its Info
// shows, made once for every Info of it (strings: shared safely).
type containerPaths struct {
	log, upper, work, merged string
	// resolvConf, hostname and hosts are the container's own, which it
	// does not use when it shares another container's network.
	resolvConf, hostname, hosts string
}

func (c *Container) paths() *containerPaths {
	dir := c.dir() // clean: the paths in it are joined without cleaning it again
	return &containerPaths{
		log: dir + "/json.log", upper: dir + "/upper", work: dir + "/work", merged: dir + "/rootfs",
		resolvConf: dir + "/resolv.conf", hostname: dir + "/hostname", hosts: dir + "/hosts",
	}
}

// EndpointInfo is a container on a network, as docker inspect shows it
// under NetworkSettings.Networks.
type EndpointInfo struct {
	NetworkID string   `json:"networkID"`
	Network   string   `json:"network"` // its name
	Aliases   []string `json:"aliases,omitempty"`
	// While the container runs: its addresses with the subnets'
	// lengths, the gateways, its interface's MAC address.
	IPv4        netip.Prefix `json:"ipv4,omitzero"`
	IPv6        netip.Prefix `json:"ipv6,omitzero"`
	Gateway     netip.Addr   `json:"gateway,omitzero"`
	IPv6Gateway netip.Addr   `json:"ipv6Gateway,omitzero"`
	MacAddress  string       `json:"macAddress,omitempty"`
}

// MountPoint is a mount of a container, resolved.
type MountPoint struct {
	// Type is "bind", "volume" or "tmpfs".
	Type string `json:"type"`
	// Name is the volume's name (volume mounts).
	Name string `json:"name,omitempty"`
	// Source is the host path: the bind source, or the volume's
	// directory. Empty for tmpfs.
	Source string `json:"source,omitempty"`
	// Target is the path inside the container.
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly,omitempty"`
	// Anonymous reports an anonymous volume.
	Anonymous bool `json:"anonymous,omitempty"`
}

// Inspect returns the container's configuration and its state, as it is
// now: a container whose process vanished is reported exited.
func (c *Container) Inspect(ctx context.Context) (*Info, error) {
	rec, err := c.record()
	if err != nil {
		return nil, err
	}
	st, err := c.State(ctx)
	if err != nil {
		return nil, err
	}
	var health *Health
	if rec.Config.Healthcheck.active() {
		if health, err = c.readHealth(); err != nil {
			return nil, err
		}
	}
	eps, _ := c.e.containerNetworks(rec)
	return c.info(rec, st, health, eps, c.paths(), newInfoLookups(c.e)), nil
}

// info is the Info of the container whose record, state, health,
// networks (networks.json's, else the record's) and paths are given;
// what lies outside its directory (network names and addresses,
// volumes, the container whose network it shares) comes from look. The
// Info shares the slices and maps of what it is given.
func (c *Container) info(rec *containerRecord, st State, health *Health, eps []endpointConfig, p *containerPaths, look *infoLookups) *Info {
	info := &Info{
		ID: rec.ID, Name: rec.Name, Image: rec.Config.Image, ImageID: rec.ImageID,
		Created: rec.Created, Args: rec.Process.Args, Hostname: rec.Hostname,
		Config: rec.Config, State: st, Health: health, Mounts: look.mountPoints(rec.Config.Mounts),
		ExposedPorts: rec.ExposedPorts, LogPath: p.log, Storage: storageInfo(rec, p),
		ResolvConfPath: p.resolvConf, HostnamePath: p.hostname, HostsPath: p.hosts,
	}
	if rec.Resolved != nil {
		info.Resolved = *rec.Resolved
	} else {
		info.Resolved = resolvedFromProcess(rec)
	}
	if ref, ok := strings.CutPrefix(rec.Config.Network, "container:"); ok {
		// The files of the container whose network it shares, while
		// that one exists.
		if id := look.container(ref); id != "" {
			etc := c.e.path("containers", id)
			info.ResolvConfPath, info.HostnamePath, info.HostsPath = etc+"/resolv.conf", etc+"/hostname", etc+"/hosts"
		}
	}
	c.e.networkInfo(info, rec, eps, look)
	return info
}
