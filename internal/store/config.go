package store

import (
	"maps"
	"slices"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Config is an image config blob as Docker writes it: ocispec.Image, whose
// runtime configuration carries Docker's extensions (Healthcheck, OnBuild,
// Shell; ArgsEscaped is in ocispec.ImageConfig already).
//
// Its fields are ocispec.Image's, in the same order and with the same JSON
// names, so that a config without extensions marshals to the very bytes
// json.Marshal of the ocispec.Image gives: the IDs of such images do not
// depend on whether dock knows of the extensions (TestConfigMarshalLikeOCI
// holds it to that). Fields that neither OCI nor these extensions define
// (Docker's Hostname, Image, StopTimeout, the top-level container_config,
// docker_version...) are dropped when a config is re-marshalled, by a
// build FROM the image or a commit of a container of it.
type Config struct {
	Created *time.Time `json:"created,omitempty"`
	Author  string     `json:"author,omitempty"`
	ocispec.Platform
	Config  RuntimeConfig     `json:"config,omitempty"`
	RootFS  ocispec.RootFS    `json:"rootfs"`
	History []ocispec.History `json:"history,omitempty"`
}

// RuntimeConfig is the "config" object of an image config: the OCI fields,
// then Docker's extensions, where Docker's image spec (its
// DockerOCIImageConfig) puts them. Each is left out when empty.
type RuntimeConfig struct {
	ocispec.ImageConfig
	// Healthcheck is the HEALTHCHECK of the image; nil: none set
	// (inherited from nothing).
	Healthcheck *Healthcheck `json:",omitempty"`
	// OnBuild are the ONBUILD triggers, as written after "ONBUILD ".
	OnBuild []string `json:",omitempty"`
	// Shell is the SHELL for the shell form of RUN, CMD and ENTRYPOINT.
	Shell []string `json:",omitempty"`
}

// Healthcheck is Docker's health check configuration. The durations are
// integer nanoseconds in JSON (time.Duration's encoding), 0 meaning
// docker's default, as Docker writes them.
type Healthcheck struct {
	// Test is ["NONE"], ["CMD", arg...] or ["CMD-SHELL", command].
	Test          []string      `json:",omitempty"`
	Interval      time.Duration `json:",omitempty"`
	Timeout       time.Duration `json:",omitempty"`
	StartPeriod   time.Duration `json:",omitempty"`
	StartInterval time.Duration `json:",omitempty"`
	Retries       int           `json:",omitempty"`
}

// Clone copies c deeply enough that changing the copy's slices, maps and
// healthcheck leaves c alone.
func (c *Config) Clone() Config {
	out := *c
	out.History = slices.Clone(c.History)
	out.RootFS.DiffIDs = slices.Clone(c.RootFS.DiffIDs)
	out.OSFeatures = slices.Clone(c.OSFeatures)
	r := &out.Config
	r.Env = slices.Clone(r.Env)
	r.Cmd = slices.Clone(r.Cmd)
	r.Entrypoint = slices.Clone(r.Entrypoint)
	r.Labels = maps.Clone(r.Labels)
	r.ExposedPorts = maps.Clone(r.ExposedPorts)
	r.Volumes = maps.Clone(r.Volumes)
	r.OnBuild = slices.Clone(r.OnBuild)
	r.Shell = slices.Clone(r.Shell)
	if h := r.Healthcheck; h != nil {
		hc := *h
		hc.Test = slices.Clone(h.Test)
		r.Healthcheck = &hc
	}
	return out
}
