package dockerapi

import (
	"maps"
	"slices"

	"github.com/moby/moby/api/types/image"

	"github.com/go-dock/dock"
)

// ImageSummary is img as docker images and GET /images/json list it.
// containers is the number of containers created from it, or -1 where it
// was not counted (Docker before API 1.51). SharedSize is -1: not
// computed, as Docker leaves it without shared-size=1.
func ImageSummary(img *dock.Image, containers int) image.Summary {
	s := image.Summary{
		ID:          img.ID,
		ParentID:    img.Parent,
		RepoTags:    append([]string{}, img.RepoTags...),
		RepoDigests: append([]string{}, img.RepoDigests...),
		Size:        img.Size,
		SharedSize:  -1,
		Labels:      maps.Clone(img.Config.Labels),
		Containers:  int64(containers),
	}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	if !img.Created.IsZero() {
		s.Created = img.Created.Unix()
	}
	return s
}

// legacyImageSummary is an image of GET /images/json before API 1.44:
// with VirtualSize (the Size), and "<none>:<none>" and "<none>@<none>"
// for an image without tags or digests.
type legacyImageSummary struct {
	image.Summary
	VirtualSize int64 `json:"VirtualSize"`
}

// LegacyImageSummary is s as Docker answered before API 1.44.
func LegacyImageSummary(s image.Summary) any {
	if len(s.RepoTags) == 0 {
		s.RepoTags = []string{"<none>:<none>"}
	}
	if len(s.RepoDigests) == 0 {
		s.RepoDigests = []string{"<none>@<none>"}
	}
	return legacyImageSummary{Summary: s, VirtualSize: s.Size}
}

// ImageHistory is an image's history as docker history and GET
// /images/{name}/history show it, the last step first: "<missing>" for the
// ID of a step whose image the store does not have.
func ImageHistory(entries []dock.HistoryEntry) []image.HistoryResponseItem {
	out := make([]image.HistoryResponseItem, len(entries))
	for i, h := range entries {
		item := image.HistoryResponseItem{
			ID: h.ID, CreatedBy: h.CreatedBy, Comment: h.Comment, Size: h.Size,
			Tags: slices.Clone(h.Tags),
		}
		if item.ID == "" {
			item.ID = "<missing>"
		}
		if item.Tags == nil {
			item.Tags = []string{}
		}
		if !h.Created.IsZero() {
			item.Created = h.Created.Unix()
		}
		out[i] = item
	}
	return out
}

// legacyImageInspect is GET /images/{name}/json before API 1.44, with
// VirtualSize (the Size).
type legacyImageInspect struct {
	*image.InspectResponse
	VirtualSize int64 `json:"VirtualSize"`
}

// LegacyImageInspect is r as Docker answered before API 1.44.
func LegacyImageInspect(r *image.InspectResponse) any {
	return legacyImageInspect{InspectResponse: r, VirtualSize: r.Size}
}
