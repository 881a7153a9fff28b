package dockerapi

import (
	"maps"
	"slices"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/image"

	"github.com/go-dock/dock"
)

// ImageInspect is img as docker image inspect and GET
// /images/{name}/json show it. Comment is that of the image's last
// history entry (the commit or import message, "buildkit.dockerfile.v0"
// for a step of a build). Metadata.LastTagTime is the zero time: dock
// does not record when a tag was made.
func ImageInspect(img *dock.Image) *image.InspectResponse {
	r := &image.InspectResponse{
		ID:           img.ID,
		RepoTags:     append([]string{}, img.RepoTags...),
		RepoDigests:  append([]string{}, img.RepoDigests...),
		Author:       img.Author,
		Config:       imageConfig(img),
		Architecture: img.Architecture,
		Variant:      img.Variant,
		Os:           img.OS,
		Size:         img.Size,
		RootFS:       image.RootFS{Type: "layers", Layers: slices.Clone(img.Layers)},
	}
	if !img.Created.IsZero() {
		r.Created = Time(img.Created)
	}
	if n := len(img.History); n > 0 {
		r.Comment = img.History[n-1].Comment
	}
	return r
}

// imageConfig is the image's runtime configuration with Docker's
// extensions, as docker inspect shows it under Config.
func imageConfig(img *dock.Image) *dockerspec.DockerOCIImageConfig {
	c := &dockerspec.DockerOCIImageConfig{ImageConfig: img.Config}
	ic := &c.ImageConfig
	ic.ExposedPorts, ic.Volumes, ic.Labels = maps.Clone(ic.ExposedPorts), maps.Clone(ic.Volumes), maps.Clone(ic.Labels)
	ic.Env, ic.Entrypoint, ic.Cmd = slices.Clone(ic.Env), slices.Clone(ic.Entrypoint), slices.Clone(ic.Cmd)
	c.OnBuild, c.Shell = slices.Clone(img.OnBuild), slices.Clone(img.Shell)
	if h := img.Healthcheck; h != nil {
		c.Healthcheck = &dockerspec.HealthcheckConfig{
			Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
			StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries,
		}
	}
	return c
}
