package dock

import (
	"context"
	"fmt"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/store"
)

// DiskUsage is what the state directory holds, by kind, as docker system
// df and the Engine API's /system/df report it.
type DiskUsage struct {
	// LayersSize is the bytes of the image layers as stored (see
	// Image.Size), each counted once however many images have it.
	LayersSize int64
	// Images are the images Images lists (intermediate ones aside).
	Images     []ImageUsage
	Containers []ContainerUsage
	Volumes    []VolumeUsage
	BuildCache []BuildCacheRecord
}

// ImageUsage is an image's share of the disk.
type ImageUsage struct {
	Image *Image
	// SharedSize is the bytes of its layers that another image listed
	// has too.
	SharedSize int64
	// Containers counts the containers created from it.
	Containers int
}

// ContainerUsage is a container's share of the disk.
type ContainerUsage struct {
	Info *Info
	Size ContainerSize
}

// VolumeUsage is a volume's share of the disk.
type VolumeUsage struct {
	Volume *Volume
	// Size is the bytes of the files in it, each inode once.
	Size int64
	// RefCount counts the containers that mount it.
	RefCount int
}

// DiskUsage measures the images, containers, volumes and build cache of
// the state directory. It walks every container's writable layer, every
// volume and every cache mount: it takes as long as du would. ctx cancels
// it.
func (e *Engine) DiskUsage(ctx context.Context) (*DiskUsage, error) {
	du := &DiskUsage{}
	all, err := e.store.Images()
	if err != nil {
		return nil, fmt.Errorf("disk usage: %w", translate(err))
	}
	seen := map[string]bool{}
	for i := range all {
		for _, l := range all[i].Manifest.Layers {
			if !seen[l.Digest.String()] {
				seen[l.Digest.String()] = true
				du.LayersSize += l.Size
			}
		}
	}
	imgs, err := e.Images(ctx)
	if err != nil {
		return nil, fmt.Errorf("disk usage: %w", err)
	}
	containers, err := e.Containers(ctx)
	if err != nil {
		return nil, fmt.Errorf("disk usage: %w", err)
	}
	du.Images = imageUsage(all, imgs, containers)
	sizes := map[string]int64{}
	for _, u := range du.Images {
		sizes[u.Image.ID] = u.Image.Size
	}
	for _, info := range containers {
		rw, err := dirSize(ctx, e.path("containers", info.ID, "upper"))
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		du.Containers = append(du.Containers, ContainerUsage{Info: info, Size: ContainerSize{RW: rw, RootFS: rw + sizes[info.ImageID]}})
	}
	vols, err := e.Volumes(ctx)
	if err != nil {
		return nil, fmt.Errorf("disk usage: %w", err)
	}
	refs := e.volumeRefCounts()
	for _, v := range vols {
		size, err := dirSize(ctx, v.Mountpoint)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		du.Volumes = append(du.Volumes, VolumeUsage{Volume: v, Size: size, RefCount: refs[v.Name]})
	}
	if du.BuildCache, err = e.BuildCache(ctx); err != nil {
		return nil, fmt.Errorf("disk usage: %w", err)
	}
	return du, nil
}

// imageUsage counts, for each image listed, the bytes of its layers that
// another image listed has, and its containers.
func imageUsage(all []store.Image, imgs []*Image, containers []*Info) []ImageUsage {
	layers := map[string][]ocispec.Descriptor{} // by image ID
	for i := range all {
		layers[all[i].ID.String()] = all[i].Manifest.Layers
	}
	users := map[string]int{} // images listed that have a layer
	for _, img := range imgs {
		for _, l := range layers[img.ID] {
			users[l.Digest.String()]++
		}
	}
	byImage := map[string]int{}
	for _, c := range containers {
		byImage[c.ImageID]++
	}
	out := make([]ImageUsage, 0, len(imgs))
	for _, img := range imgs {
		u := ImageUsage{Image: img, Containers: byImage[img.ID]}
		for _, l := range layers[img.ID] {
			if users[l.Digest.String()] > 1 {
				u.SharedSize += l.Size
			}
		}
		out = append(out, u)
	}
	return out
}

// volumeRefCounts counts, for each volume, the containers that mount it.
func (e *Engine) volumeRefCounts() map[string]int {
	refs := map[string]int{}
	entries, _ := os.ReadDir(e.path("containers"))
	for _, ent := range entries {
		rec, err := e.readRecord(ent.Name())
		if err != nil {
			continue
		}
		mounted := map[string]bool{}
		for _, m := range rec.Config.Mounts {
			if m.Type == "volume" && !mounted[m.Source] {
				mounted[m.Source] = true
				refs[m.Source]++
			}
		}
	}
	return refs
}
