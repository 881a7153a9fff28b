package dockerapi

// This file stands in for ImageSummary (branch wip-apiimg,
// image_summary.go) and ContainerSummary (branch wip-apictr,
// container_summary.go), which GET /system/df lists its objects with,
// until those branches are merged: then it goes, as a whole.

import (
	"maps"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"

	"github.com/go-dock/dock"
)

// ImageSummary is img as GET /images/json lists it; containers counts
// the containers created from it.
func ImageSummary(img *dock.Image, containers int) image.Summary {
	s := image.Summary{
		ID: img.ID, ParentID: img.Parent, Size: img.Size, SharedSize: -1,
		RepoTags: append([]string{}, img.RepoTags...), RepoDigests: append([]string{}, img.RepoDigests...),
		Labels: maps.Clone(img.Config.Labels), Containers: int64(containers),
	}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	if !img.Created.IsZero() {
		s.Created = img.Created.Unix()
	}
	return s
}

// ContainerSummary is a listed container as GET /containers/json shows
// it (here: what df needs of it).
func ContainerSummary(lc *ListedContainer, now time.Time) container.Summary {
	info := lc.Info
	s := container.Summary{
		ID: info.ID, Names: []string{}, Image: lc.ImageName, ImageID: info.ImageID,
		Command: lc.Command, Created: info.Created.Unix(), Labels: lc.Labels,
		State: container.ContainerState(info.State.Status), Mounts: mounts(info.Mounts),
	}
	if info.Name != "" {
		s.Names = append(s.Names, "/"+info.Name)
	}
	if lc.Size != nil {
		s.SizeRw, s.SizeRootFs = lc.Size.RW, lc.Size.RootFS
	}
	return s
}
