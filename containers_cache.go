package dock

import (
	"os"
	"sync"
)

// A list of containers reads each container's directory. The engine keeps
// what it read, by container, under the directory's stamp (dirStamp):
// while the stamp stays, the files are the same, and the next list costs
// a stat of the directory, and for a container that runs the check of its
// process that State makes. A change by any process (this engine,
// another engine, the monitor writing an exit in C) replaces a file, so
// the stamp: the list reads the directory again. Nothing that changes a
// container needs to know of the cache.

// containerSnapshot is what was read of a container's directory while it
// had the stamp. It never changes once cached: a fuller one replaces it.
type containerSnapshot struct {
	stamp dirStamp
	// state is state.json's, as it was recorded (checkState makes it
	// current).
	state State
	// loaded says whether rec, health and eps have been read: a list
	// that leaves the container out by its state does not read them.
	loaded bool
	rec    *containerRecord // with its settings laid over it
	health *Health          // nil without a health check
	eps    []endpointConfig // containerNetworks'
	paths  *containerPaths
}

// containerCache holds the snapshots of an Engine's containers. Safe for
// concurrent use.
type containerCache struct {
	// clock, when set (by tests), replaces coarseNow.
	clock func() int64

	mu   sync.Mutex
	byID map[string]*containerSnapshot
}

// now is the coarse clock (see dirStamp.settledAt).
func (cc *containerCache) now() int64 {
	if cc.clock != nil {
		return cc.clock()
	}
	return coarseNow()
}

// get returns the container's snapshot if it has the stamp, else nil.
func (cc *containerCache) get(id string, stamp dirStamp) *containerSnapshot {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if s := cc.byID[id]; s != nil && s.stamp == stamp {
		return s
	}
	return nil
}

// put keeps s as the container's snapshot.
func (cc *containerCache) put(id string, s *containerSnapshot) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.byID == nil {
		cc.byID = map[string]*containerSnapshot{}
	}
	cc.byID[id] = s
}

// name returns the name of the container whose directory is in dir, if
// its record is cached under the directory's current stamp.
func (cc *containerCache) name(dir *os.File, id string) (string, bool) {
	stamp, ok, err := statStamp(dir, id)
	if err != nil || !ok {
		return "", false
	}
	if s := cc.get(id, stamp); s != nil && s.loaded {
		return s.rec.Name, true
	}
	return "", false
}

// retain forgets the containers that are not in ids (removed).
func (cc *containerCache) retain(ids map[string]bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for id := range cc.byID {
		if !ids[id] {
			delete(cc.byID, id)
		}
	}
}

// forget drops the container's snapshot.
func (cc *containerCache) forget(id string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	delete(cc.byID, id)
}
