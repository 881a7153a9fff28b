package dockerapi

// This file stands in for ContainerSummary (branch wip-apictr,
// container_summary.go), which GET /system/df lists its objects with,
// until those branches are merged: then it goes, as a whole.

import (
	"time"

	"github.com/moby/moby/api/types/container"
)

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
