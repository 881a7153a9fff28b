package dockerapi

import (
	"net/http"
	"slices"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"

	"github.com/go-dock/dock"
)

// dfRoutes are docker system df's endpoint.
func (s *server) dfRoutes() []route {
	return []route{{"GET /system/df", s.diskUsage}}
}

// legacyDiskUsage is GET /system/df's answer before API 1.52 (and, with
// the new fields, at 1.52 without verbose): the objects in lists, the
// kinds not asked for null.
type legacyDiskUsage struct {
	LayersSize int64               `json:"LayersSize"`
	Images     []image.Summary     `json:"Images"`
	Containers []container.Summary `json:"Containers"`
	Volumes    []volume.Volume     `json:"Volumes"`
	BuildCache []build.CacheRecord `json:"BuildCache"`
}

// diskUsage1_52 is the answer at API 1.52: both shapes.
type diskUsage1_52 struct {
	*legacyDiskUsage
	system.DiskUsage
}

// diskUsageKinds are the values of df's type parameter.
var diskUsageKinds = []system.DiskUsageObject{
	system.ContainerObject, system.ImageObject, system.VolumeObject, system.BuildCacheObject,
}

// diskUsage answers in the shape of the request's API version: before
// 1.52 the objects in lists; from 1.53 counts and sizes by kind, with the
// objects (Items) for verbose; 1.52 both, the lists without verbose.
// type= narrows the kinds measured (all by default).
func (s *server) diskUsage(w http.ResponseWriter, r *http.Request) {
	kinds := map[system.DiskUsageObject]bool{}
	for _, t := range r.URL.Query()["type"] {
		if !slices.Contains(diskUsageKinds, system.DiskUsageObject(t)) {
			writeError(w, r, errorf(http.StatusBadRequest, "unknown object type: %s", t))
			return
		}
		kinds[system.DiskUsageObject(t)] = true
	}
	if len(kinds) == 0 {
		for _, k := range diskUsageKinds {
			kinds[k] = true
		}
	}
	du, err := s.engine.DiskUsage(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	var listed []*ListedContainer
	if kinds[system.ContainerObject] {
		if listed, err = ListContainers(r.Context(), s.engine, ContainerListOptions{All: true}); err != nil {
			writeError(w, r, err)
			return
		}
	}
	items := diskUsageItems(du, listed, kinds, time.Now())
	verbose := boolValue(r, "verbose")
	switch {
	case !versionAtLeast(r, "1.52"):
		writeJSON(w, http.StatusOK, items)
	case versionAtLeast(r, "1.53"):
		writeJSON(w, http.StatusOK, diskUsageByKind(du, items, kinds, verbose))
	case verbose:
		writeJSON(w, http.StatusOK, diskUsageByKind(du, items, kinds, true))
	default:
		writeJSON(w, http.StatusOK, diskUsage1_52{legacyDiskUsage: items, DiskUsage: diskUsageByKind(du, items, kinds, false)})
	}
}

// diskUsageItems are the objects of the kinds asked for, as Docker lists
// them in df: images with their shared size and containers, containers
// with their sizes (listed is ListContainers' list), volumes with their
// usage, the build cache's records.
func diskUsageItems(du *dock.DiskUsage, listed []*ListedContainer, kinds map[system.DiskUsageObject]bool, now time.Time) *legacyDiskUsage {
	out := &legacyDiskUsage{}
	if kinds[system.ImageObject] {
		out.LayersSize = du.LayersSize
		out.Images = []image.Summary{}
		for _, u := range du.Images {
			s := ImageSummary(u.Image, u.Containers)
			s.SharedSize = u.SharedSize
			out.Images = append(out.Images, s)
		}
	}
	if kinds[system.ContainerObject] {
		sizes := map[string]dock.ContainerSize{}
		for _, u := range du.Containers {
			sizes[u.Info.ID] = u.Size
		}
		out.Containers = []container.Summary{}
		for _, lc := range listed {
			size := sizes[lc.Info.ID]
			lc.Size = &size
			out.Containers = append(out.Containers, ContainerSummary(lc, now))
		}
	}
	if kinds[system.VolumeObject] {
		out.Volumes = []volume.Volume{}
		for _, u := range du.Volumes {
			v := Volume(u.Volume)
			v.UsageData = &volume.UsageData{Size: u.Size, RefCount: int64(u.RefCount)}
			out.Volumes = append(out.Volumes, *v)
		}
	}
	if kinds[system.BuildCacheObject] {
		out.BuildCache = []build.CacheRecord{}
		for _, rec := range du.BuildCache {
			c := build.CacheRecord{ID: rec.ID, Type: rec.Type, Description: rec.Description,
				InUse: rec.InUse, Shared: rec.Shared, Size: rec.Size, CreatedAt: rec.Created}
			if !rec.LastUsed.IsZero() {
				last := rec.LastUsed
				c.LastUsedAt = &last
			}
			out.BuildCache = append(out.BuildCache, c)
		}
	}
	return out
}

// diskUsageByKind is the answer from API 1.52: for each kind asked for,
// how many objects there are and how many are used, their size and what
// removing the unused ones would free (Docker's sums), with the objects
// when verbose.
func diskUsageByKind(du *dock.DiskUsage, items *legacyDiskUsage, kinds map[system.DiskUsageObject]bool, verbose bool) system.DiskUsage {
	var out system.DiskUsage
	if kinds[system.ImageObject] {
		u := &image.DiskUsage{TotalSize: du.LayersSize, TotalCount: int64(len(items.Images))}
		for _, img := range items.Images {
			if img.Containers > 0 {
				u.ActiveCount++
			} else {
				u.Reclaimable += img.Size - img.SharedSize
			}
		}
		if verbose {
			u.Items = items.Images
		}
		out.ImageUsage = u
	}
	if kinds[system.ContainerObject] {
		u := &container.DiskUsage{TotalCount: int64(len(items.Containers))}
		var used int64
		for _, c := range items.Containers {
			u.TotalSize += c.SizeRw
			switch c.State {
			case container.StateRunning, container.StatePaused, container.StateRestarting:
				u.ActiveCount++
				used += c.SizeRw
			}
		}
		u.Reclaimable = u.TotalSize - used
		if verbose {
			u.Items = items.Containers
		}
		out.ContainerUsage = u
	}
	if kinds[system.VolumeObject] {
		u := &volume.DiskUsage{TotalCount: int64(len(items.Volumes))}
		var used int64
		for _, v := range items.Volumes {
			u.TotalSize += v.UsageData.Size
			if v.UsageData.RefCount > 0 {
				u.ActiveCount++
				used += v.UsageData.Size
			}
		}
		u.Reclaimable = u.TotalSize - used
		if verbose {
			u.Items = items.Volumes
		}
		out.VolumeUsage = u
	}
	if kinds[system.BuildCacheObject] {
		u := &build.DiskUsage{TotalCount: int64(len(items.BuildCache))}
		var used int64
		for _, rec := range items.BuildCache {
			if !rec.Shared {
				u.TotalSize += rec.Size
			}
			if rec.InUse {
				u.ActiveCount++
				if !rec.Shared {
					used += rec.Size
				}
			}
		}
		u.Reclaimable = u.TotalSize - used
		if verbose {
			u.Items = items.BuildCache
		}
		out.BuildCacheUsage = u
	}
	return out
}
