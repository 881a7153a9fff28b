package dock

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"

	"github.com/go-dock/dock/internal/deepcopy"
)

// A ContainersOption changes what Containers lists.
type ContainersOption func(*containersOptions)

type containersOptions struct {
	keep func(id string, st State) bool
}

// ContainersWhere lists only the containers for which keep returns true.
// keep is given the container's ID and its state as State returns it,
// before the rest of the container is read: a selection by state or ID
// (docker ps without -a) costs little for the containers it leaves out.
// keep is called once per container, from the goroutine that called
// Containers.
func ContainersWhere(keep func(id string, st State) bool) ContainersOption {
	return func(o *containersOptions) { o.keep = keep }
}

// Containers lists the containers in the state directory, newest first,
// each as Inspect shows it; a container removed while it is listed is
// left out. The Infos are the caller's to change.
//
// The engine keeps in memory what it read of each container, checked at
// each call against the container directory's change times (which every
// change of a container moves, whichever process makes it): a container
// unchanged since the last call costs a stat, and for one that runs, the
// check of its process that State makes. Safe for concurrent use.
func (e *Engine) Containers(ctx context.Context, opts ...ContainersOption) ([]*Info, error) {
	var o containersOptions
	for _, opt := range opts {
		opt(&o)
	}
	dir, err := os.Open(e.path("containers"))
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	entries, err := dir.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	// What is read from now on is of the stamps taken after this time.
	now := e.containers.now()
	look := newInfoLookups(e) // one read of each network and volume for all
	present := make(map[string]bool, len(entries))
	var out []*Info
	for _, ent := range entries {
		id := ent.Name()
		present[id] = true
		info, err := e.listContainer(ctx, dir, id, now, o.keep, look)
		if err != nil {
			return nil, err
		}
		if info != nil {
			out = append(out, info)
		}
	}
	e.containers.retain(present)
	slices.SortFunc(out, func(a, b *Info) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// listContainer is the Info of the container with the given ID, whose
// directory is in dir, read through the cache after the coarse clock
// showed now; nil when keep leaves it out or it was removed meanwhile.
func (e *Engine) listContainer(ctx context.Context, dir *os.File, id string, now int64, keep func(string, State) bool, look *infoLookups) (*Info, error) {
	c := &Container{e: e, id: id, files: dir}
	stamp, cacheable, err := statStamp(dir, id)
	if errors.Is(err, fs.ErrNotExist) {
		e.containers.forget(id)
		return nil, nil // removed meanwhile
	}
	if err != nil {
		return nil, err
	}
	// The files read are those of the stamp or newer ones, which are
	// found out next time only if the stamp was older than now.
	cacheable = cacheable && stamp.settledAt(now)
	snap := e.containers.get(id, stamp)
	shared := snap != nil
	if snap == nil {
		st, err := c.readState()
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		snap = &containerSnapshot{stamp: stamp, state: st}
		if cacheable {
			e.containers.put(id, snap)
			shared = true
		}
	}
	st, err := c.checkState(ctx, snap.state, true) // as State
	if errors.Is(err, ErrNotFound) {
		return nil, nil // removed as it exited (AutoRemove)
	}
	if err != nil {
		return nil, err
	}
	if keep != nil && !keep(id, st) {
		return nil, nil
	}
	if !snap.loaded {
		full, err := c.readSnapshot(*snap)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		snap, shared = full, false
		if cacheable {
			e.containers.put(id, snap)
			shared = true
		}
	}
	info := c.info(snap.rec, st, snap.health, snap.eps, snap.paths, look)
	if shared {
		// The caller's to change: nothing of it may be the cache's.
		deepcopy.Detach(info)
	}
	return info, nil
}

// readSnapshot is s with the container's record, health and networks
// read.
func (c *Container) readSnapshot(s containerSnapshot) (*containerSnapshot, error) {
	rec, err := c.record()
	if err != nil {
		return nil, err
	}
	s.rec, s.loaded = rec, true
	if rec.Config.Healthcheck.active() {
		if s.health, err = c.readHealth(); err != nil {
			return nil, err
		}
	}
	s.eps, _ = c.e.containerNetworks(rec)
	s.paths = c.paths()
	return &s, nil
}
