package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/system"

	"github.com/go-dock/dock/dockerapi"
)

// dockerInfo is what docker info --format runs on: the server's info
// (the library's, dock having no daemon) and the client's.
type dockerInfo struct {
	*system.Info
	ClientInfo *clientInfo
}

// clientInfo is docker info's ClientInfo.
type clientInfo struct {
	Debug             bool
	Version           string
	DefaultAPIVersion string
	GitCommit         string
	GoVersion         string
	Os                string
	Arch              string
	BuildTime         string `json:",omitempty"`
	Context           string
	Plugins           []string
	Warnings          []string
}

// cmdInfo is docker info: the engine's containers and images, its
// storage, and the host, as docker info shows a daemon's; --format runs
// a template on docker's structure ({{.ServerVersion}}, {{json .}}).
func cmdInfo(ctx context.Context, c *cli, args []string) error {
	var format string
	fs := newFlagSet("info", true)
	fs.String(&format, "f,format", formatUsage)
	_, err := fs.ParseArgs(args, 0, 0)
	if err != nil {
		return err
	}
	if format != "" {
		if _, err := parseTemplate("", format); err != nil {
			return formatError(err) // before any work, as docker
		}
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	info, err := dockerapi.SystemInfo(ctx, e)
	if err != nil {
		return err
	}
	v := newVersionInfo().Client
	di := dockerInfo{Info: info, ClientInfo: &clientInfo{
		Version: v.Version, DefaultAPIVersion: v.DefaultAPIVersion, GitCommit: v.GitCommit, GoVersion: v.GoVersion,
		Os: v.Os, Arch: v.Arch, BuildTime: v.BuildTime, Context: v.Context, Plugins: []string{},
	}}
	if format != "" {
		return writeTemplate(c.stdout, "", format, di)
	}
	writeInfo(c.stdout, di)
	return nil
}

// writeInfo writes docker info's text, with the lines dock has.
func writeInfo(w io.Writer, di dockerInfo) {
	i, ci := di.Info, di.ClientInfo
	fmt.Fprintf(w, "Client:\n Version:    %s\n Context:    %s\n Debug Mode: %t\n\n", ci.Version, ci.Context, ci.Debug)
	fmt.Fprintf(w, "Server:\n Containers: %d\n  Running: %d\n  Paused: %d\n  Stopped: %d\n",
		i.Containers, i.ContainersRunning, i.ContainersPaused, i.ContainersStopped)
	fmt.Fprintf(w, " Images: %d\n Server Version: %s\n Storage Driver: %s\n", i.Images, i.ServerVersion, i.Driver)
	fmt.Fprintf(w, " Logging Driver: %s\n Cgroup Driver: %s\n", i.LoggingDriver, i.CgroupDriver)
	if i.CgroupVersion != "" {
		fmt.Fprintf(w, " Cgroup Version: %s\n", i.CgroupVersion)
	}
	fmt.Fprintf(w, " Plugins:\n  Volume: %s\n  Network: %s\n  Log: %s\n",
		strings.Join(i.Plugins.Volume, " "), strings.Join(i.Plugins.Network, " "), strings.Join(i.Plugins.Log, " "))
	fmt.Fprintf(w, " Swarm: %s\n", i.Swarm.LocalNodeState)
	fmt.Fprintf(w, " Security Options:\n")
	for _, opt := range i.SecurityOptions {
		for j, kv := range strings.Split(opt, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if j == 0 {
				fmt.Fprintf(w, "  %s\n", v)
			} else {
				fmt.Fprintf(w, "   %s: %s\n", title(k), v)
			}
		}
	}
	fmt.Fprintf(w, " Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n",
		i.KernelVersion, i.OperatingSystem, i.OSType, i.Architecture)
	fmt.Fprintf(w, " CPUs: %d\n Total Memory: %s\n Name: %s\n", i.NCPU, units.BytesSize(float64(i.MemTotal)), i.Name)
	fmt.Fprintf(w, " Docker Root Dir: %s\n Debug Mode: %t\n Experimental: %t\n Live Restore Enabled: %t\n",
		i.DockerRootDir, i.Debug, i.ExperimentalBuild, i.LiveRestoreEnabled)
}
