package dockerapi

import (
	"maps"
	"time"

	"github.com/moby/moby/api/types/volume"

	"github.com/go-dock/dock"
)

// anonymousLabel is the label Docker gives anonymous volumes.
const anonymousLabel = "com.docker.volume.anonymous"

// Volume is v as docker volume inspect and GET /volumes/{name} show it: a
// volume of the local driver, its creation time to the second, its
// labels, and Docker's label on an anonymous volume.
func Volume(v *dock.Volume) *volume.Volume {
	out := &volume.Volume{
		CreatedAt:  v.Created.Format(time.RFC3339),
		Driver:     "local",
		Mountpoint: v.Mountpoint,
		Name:       v.Name,
		Scope:      "local",
	}
	if len(v.Labels) > 0 {
		out.Labels = maps.Clone(v.Labels)
	}
	if v.Anonymous {
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		out.Labels[anonymousLabel] = ""
	}
	return out
}
