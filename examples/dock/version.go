package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/moby/moby/api/types/system"

	"github.com/go-dock/dock/dockerapi"
)

// versionInfo is what docker version --format runs on: the client's
// version and the server's. dock's server is the library the CLI is built
// with, in the same process.
type versionInfo struct {
	Client clientVersion
	Server *system.VersionResponse
}

// clientVersion is docker version's Client.
type clientVersion struct {
	Version           string
	APIVersion        string `json:"ApiVersion"`
	DefaultAPIVersion string `json:"DefaultAPIVersion,omitempty"`
	GitCommit         string
	GoVersion         string
	Os                string
	Arch              string
	BuildTime         string `json:",omitempty"`
	Context           string
}

func newVersionInfo() versionInfo {
	server := dockerapi.Version()
	return versionInfo{
		Client: clientVersion{
			Version: server.Version, APIVersion: server.APIVersion, DefaultAPIVersion: server.APIVersion,
			GitCommit: server.GitCommit, GoVersion: runtime.Version(), Os: runtime.GOOS, Arch: runtime.GOARCH,
			BuildTime: server.BuildTime, Context: "default",
		},
		Server: server,
	}
}

// cmdVersion prints the versions of the CLI and the library it is built
// with; --format runs a template on docker version's structure
// ({{.Client.Version}}, {{.Server.Version}}, {{json .}}).
func cmdVersion(ctx context.Context, c *cli, args []string) error {
	var format string
	fs := newFlagSet("version", true)
	fs.String(&format, "f,format", formatUsage)
	_, err := fs.ParseArgs(args, 0, 0)
	if err != nil {
		return err
	}
	v := newVersionInfo()
	if format != "" {
		return writeTemplate(c.stdout, "version", format, v)
	}
	fmt.Fprintf(c.stdout, "dock (github.com/go-dock/dock, no daemon)\n")
	fmt.Fprintf(c.stdout, " Version:     %s\n", v.Client.Version)
	fmt.Fprintf(c.stdout, " API version: %s (minimum version %s)\n", v.Server.APIVersion, v.Server.MinAPIVersion)
	fmt.Fprintf(c.stdout, " Go version:  %s\n", v.Client.GoVersion)
	if v.Server.GitCommit != "" {
		fmt.Fprintf(c.stdout, " Git commit:  %s\n", v.Server.GitCommit)
	}
	fmt.Fprintf(c.stdout, " OS/Arch:     %s/%s\n", v.Client.Os, v.Client.Arch)
	fmt.Fprintf(c.stdout, " Root:        %s\n", c.root)
	return nil
}
