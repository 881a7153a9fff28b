package dock

import (
	"context"
	"errors"
	"fmt"
)

// SystemPruneReport is what PruneSystem removed, by kind, in the order
// it removed them.
type SystemPruneReport struct {
	// Containers are the IDs of the containers removed.
	Containers []string
	// Networks are the names of the networks removed.
	Networks []string
	// Volumes are the names of the volumes removed.
	Volumes []string
	// Images are RemoveImage's lines for the images removed, and
	// Prune's for the data no image reached.
	Images []string
	// BuildCache are the IDs of the build cache records removed.
	BuildCache []string
	// SpaceReclaimed is the sum of the bytes each part freed.
	SpaceReclaimed int64
}

// PruneWithVolumes makes PruneSystem remove the anonymous volumes that no
// container mounts too (docker system prune --volumes).
func PruneWithVolumes() PruneOption {
	return func(o *pruneOptions) error {
		o.volumes = true
		return nil
	}
}

// PruneSystem removes what nothing uses, as docker system prune does, in
// its order: the containers that do not run (PruneContainers), the
// networks no container uses (PruneNetworks), with PruneWithVolumes the
// anonymous volumes no container mounts, the dangling images (or with
// PruneAll every image no container uses; see Prune) and the build cache
// (PruneBuildCache, with PruneAll all of it). It goes on after a part
// fails, and returns what it did with the errors joined.
func (e *Engine) PruneSystem(ctx context.Context, opts ...PruneOption) (*SystemPruneReport, error) {
	o, err := applyPruneOptions(opts)
	if err == nil {
		err = o.filtered()
	}
	if err != nil {
		return nil, fmt.Errorf("prune system: %w", err)
	}
	var all []PruneOption
	if o.all {
		all = append(all, PruneAll())
	}
	rep := &SystemPruneReport{}
	var errs []error
	// add counts a part's report and keeps its error.
	add := func(r *PruneReport, err error) []string {
		errs = append(errs, err)
		if r == nil {
			return nil
		}
		rep.SpaceReclaimed += r.SpaceReclaimed
		return r.Deleted
	}
	rep.Containers = add(e.PruneContainers(ctx))
	nets, err := e.PruneNetworks(ctx)
	rep.Networks = nets
	errs = append(errs, err)
	if o.volumes {
		vols, n, err := e.pruneVolumes(ctx, pruneOptions{})
		rep.Volumes = add(&PruneReport{Deleted: vols, SpaceReclaimed: n}, err)
	}
	rep.Images = add(e.Prune(ctx, all...))
	rep.BuildCache = add(e.PruneBuildCache(ctx, all...))
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("prune system: %w", err)
	}
	return rep, nil
}
