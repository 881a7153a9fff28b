package dockerapi

import (
	"context"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/cgroup"
)

// APIVersion is the Engine API version of the types this package fills:
// those of github.com/moby/moby/api v1.57.0.
const APIVersion = "1.57"

// MinAPIVersion is the oldest Engine API version whose shapes it gives
// (with LegacyInspect for the versions before 1.52): Docker's own floor.
const MinAPIVersion = "1.24"

// modulePath is the dock library's module, whose version Version reports.
const modulePath = "github.com/go-dock/dock"

// buildVersion is the dock library's version, VCS revision and time in
// this program: the module's version where the program depends on it,
// "(devel)" in the module's own commands and tests.
func buildVersion() (version, commit, built string) {
	version = "(devel)"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version, "", ""
	}
	if bi.Main.Path == modulePath {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value[:min(7, len(s.Value))]
			case "vcs.time":
				built = s.Value
			}
		}
		return version, commit, built
	}
	for _, d := range bi.Deps {
		if d.Path == modulePath {
			return d.Version, "", ""
		}
	}
	return version, "", ""
}

// Version is the server half of docker version (GET /version): the dock
// library that this program is built with, which plays the daemon's part.
func Version() *system.VersionResponse {
	version, commit, built := buildVersion()
	v := &system.VersionResponse{
		Platform:      system.PlatformInfo{Name: "dock"},
		Version:       version,
		APIVersion:    APIVersion,
		MinAPIVersion: MinAPIVersion,
		Os:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		GitCommit:     commit,
		GoVersion:     runtime.Version(),
		KernelVersion: kernelVersion(),
		BuildTime:     built,
	}
	details := map[string]string{
		"ApiVersion": v.APIVersion, "MinAPIVersion": v.MinAPIVersion, "GitCommit": v.GitCommit,
		"GoVersion": v.GoVersion, "Os": v.Os, "Arch": v.Arch, "KernelVersion": v.KernelVersion,
		"BuildTime": v.BuildTime, "Experimental": "false",
	}
	maps.DeleteFunc(details, func(_, v string) bool { return v == "" })
	v.Components = []system.ComponentVersion{{Name: "Engine", Version: v.Version, Details: details}}
	return v
}

// host are the facts of the host that docker info shows.
type host struct {
	name, kernel, os, osVersion, arch string
	ncpu                              int
	memTotal                          int64
	cgroupVersion                     string
	ipv4Forwarding                    bool
}

// SystemInfo is docker info (GET /info) for the engine e: its containers
// and images, its state directory, and the host's facts. Docker's
// daemon-wide settings that dock does not have are Docker's defaults; Live
// Restore is on, dock's containers being no daemon's children.
func SystemInfo(ctx context.Context, e *dock.Engine) (*system.Info, error) {
	infos, err := e.Containers(ctx)
	if err != nil {
		return nil, err
	}
	imgs, err := e.Images(ctx, dock.ImagesAll())
	if err != nil {
		return nil, err
	}
	h := hostFacts()
	info := systemInfo(infos, len(imgs), e.Root(), h)
	info.SystemTime = time.Now().Format(time.RFC3339Nano)
	return info, nil
}

// systemInfo is SystemInfo's answer from what it gathered.
func systemInfo(infos []*dock.Info, images int, root string, h host) *system.Info {
	version, _, _ := buildVersion()
	info := &system.Info{
		Containers:         len(infos),
		Images:             images,
		Driver:             "overlay2",
		DriverStatus:       [][2]string{},
		Plugins:            system.PluginsInfo{Volume: []string{"local"}, Network: []string{"bridge", "host", "null"}, Log: []string{"json-file", "local"}},
		MemoryLimit:        true,
		SwapLimit:          true,
		CPUCfsPeriod:       true,
		CPUCfsQuota:        true,
		CPUShares:          true,
		CPUSet:             true,
		PidsLimit:          true,
		IPv4Forwarding:     h.ipv4Forwarding,
		LoggingDriver:      "json-file",
		CgroupDriver:       "cgroupfs",
		CgroupVersion:      h.cgroupVersion,
		KernelVersion:      h.kernel,
		OperatingSystem:    h.os,
		OSVersion:          h.osVersion,
		OSType:             runtime.GOOS,
		Architecture:       h.arch,
		IndexServerAddress: "https://index.docker.io/v1/",
		NCPU:               h.ncpu,
		MemTotal:           h.memTotal,
		DockerRootDir:      root,
		Name:               h.name,
		Labels:             []string{},
		ServerVersion:      version,
		Runtimes:           map[string]system.RuntimeWithStatus{},
		Swarm:              swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive},
		LiveRestoreEnabled: true,
		SecurityOptions:    []string{"name=seccomp,profile=builtin", "name=cgroupns", "name=no-new-privileges"},
		CDISpecDirs:        []string{},
	}
	for _, c := range infos {
		switch c.State.Status {
		case dock.StatusRunning:
			info.ContainersRunning++
		case dock.StatusPaused:
			info.ContainersPaused++
		default:
			info.ContainersStopped++
		}
	}
	return info
}

// hostFacts reads the host's facts; each that cannot be read is left
// empty.
func hostFacts() host {
	h := host{ncpu: runtime.NumCPU(), arch: runtime.GOARCH}
	h.name, _ = os.Hostname()
	h.kernel, h.arch, h.memTotal = unameAndMemory(h.arch)
	h.os, h.osVersion = osRelease()
	switch cgroup.DetectMode() {
	case cgroup.Unified:
		h.cgroupVersion = "2"
	case cgroup.Legacy, cgroup.Hybrid:
		h.cgroupVersion = "1"
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); err == nil {
		h.ipv4Forwarding = strings.TrimSpace(string(b)) == "1"
	}
	return h
}

// osRelease is the host's PRETTY_NAME and VERSION_ID (os-release(5)).
func osRelease() (name, version string) {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "", ""
	}
	for line := range strings.Lines(string(data)) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		v = strings.Trim(v, `"'`)
		switch k {
		case "PRETTY_NAME":
			name = v
		case "VERSION_ID":
			version = v
		}
	}
	return name, version
}
