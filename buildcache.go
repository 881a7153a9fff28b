package dock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/reference"
)

// BuildCacheRecord is an entry of Build's cache, as docker system df -v
// and docker builder prune show BuildKit's records. Build keeps three
// kinds, each under <root>/cache:
//
//	regular         a step's result (build/<key>): the image it made,
//	                which Images counts (Shared), or "config" for a
//	                step that made none; 0 bytes of its own
//	source.local    the file stat cache of a build context
//	                (build/files-*.json)
//	exec.cachemount a RUN --mount=type=cache directory
//	                (build-mounts/<id>), kept between builds
type BuildCacheRecord struct {
	// ID names the record: the step's cache key, the stat cache's or
	// the mount's file name.
	ID   string
	Type string
	// Description says what it holds ("step of sha256:...").
	Description string
	// Size is the bytes it holds on its own.
	Size int64
	// Created and LastUsed are its times on disk (the modification
	// time: Build rewrites what it uses).
	Created, LastUsed time.Time
	// InUse reports a cache mount a build holds now.
	InUse bool
	// Shared reports a record whose data is counted elsewhere (a step's
	// image, in Images).
	Shared bool
}

// Cache record types, BuildKit's names.
const (
	cacheRegular    = "regular"
	cacheSource     = "source.local"
	cacheMountType  = "exec.cachemount"
	cacheStepPrefix = "step of "
)

// BuildCache lists the records of Build's cache (see BuildCacheRecord),
// measuring the cache mounts.
func (e *Engine) BuildCache(ctx context.Context) ([]BuildCacheRecord, error) {
	var out []BuildCacheRecord
	steps, err := os.ReadDir(e.path("cache", "build"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("build cache: %w", err)
	}
	for _, ent := range steps {
		fi, err := ent.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		r := BuildCacheRecord{ID: ent.Name(), Created: fi.ModTime(), LastUsed: fi.ModTime()}
		switch name := ent.Name(); {
		case reference.IsLowerHex(name) && len(name) == 64:
			v, _ := os.ReadFile(filepath.Join(e.path("cache", "build"), name))
			r.Type, r.Shared = cacheRegular, true
			r.Description = cacheStepPrefix + strings.TrimSpace(string(v))
		case strings.HasPrefix(name, "files-") && strings.HasSuffix(name, ".json"):
			r.Type, r.Size = cacheSource, fi.Size()
			r.Description = "file stat cache of a build context"
		default:
			continue
		}
		out = append(out, r)
	}
	mounts, err := os.ReadDir(e.path("cache", "build-mounts"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("build cache: %w", err)
	}
	for _, ent := range mounts {
		if !ent.IsDir() || strings.HasPrefix(ent.Name(), "new-") {
			continue // a mount being made
		}
		dir := e.path("cache", "build-mounts", ent.Name())
		fi, err := os.Stat(dir)
		if err != nil {
			continue
		}
		size, err := dirSize(ctx, dir)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out = append(out, BuildCacheRecord{ID: ent.Name(), Type: cacheMountType,
			Description: "cache mount", Size: size, Created: fi.ModTime(), LastUsed: fi.ModTime(),
			InUse: cacheMountInUse(dir)})
	}
	slices.SortFunc(out, func(a, b BuildCacheRecord) int { return b.LastUsed.Compare(a.LastUsed) })
	return out, nil
}

// cacheMountInUse reports whether a build holds the cache mount dir: its
// lock file (dir.lock) is locked.
func cacheMountInUse(dir string) bool {
	f, err := os.Open(dir + ".lock")
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return true
	}
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false
}

// PruneBuildCache removes what Build's cache holds that no build uses
// now, as docker builder prune: the cache mounts and the records of steps
// whose image is gone, or with PruneAll every record (the step images
// stay, counted and pruned as images). A cache mount is removed under its
// lock, so a build that comes meanwhile waits for it and then gets an
// empty one. Deleted lists the records' IDs; SpaceReclaimed is what they
// held.
func (e *Engine) PruneBuildCache(ctx context.Context, opts ...PruneOption) (*PruneReport, error) {
	o, err := applyPruneOptions(opts)
	if err == nil {
		err = o.filtered()
	}
	if err != nil {
		return nil, fmt.Errorf("prune build cache: %w", err)
	}
	recs, err := e.BuildCache(ctx)
	if err != nil {
		return nil, fmt.Errorf("prune build cache: %w", err)
	}
	rep := &PruneReport{}
	var errs []error
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		var err error
		switch r.Type {
		case cacheRegular:
			id := strings.TrimPrefix(r.Description, cacheStepPrefix)
			if !o.all && (id == "config" || e.imageExists(id)) {
				continue
			}
			err = os.Remove(e.path("cache", "build", r.ID))
		case cacheSource:
			if !o.all {
				continue
			}
			err = os.Remove(e.path("cache", "build", r.ID))
		case cacheMountType:
			var removed bool
			removed, err = e.removeCacheMount(r.ID)
			if !removed {
				continue
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Deleted = append(rep.Deleted, r.ID)
		rep.SpaceReclaimed += r.Size
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("prune build cache: %w", err)
	}
	return rep, nil
}

// imageExists reports whether the store has the image id.
func (e *Engine) imageExists(id string) bool {
	_, err := e.store.Resolve(id)
	return err == nil
}

// removeCacheMount deletes the cache mount name unless a build holds it;
// its lock file stays, so that a build waiting on it and one to come
// share one lock.
func (e *Engine) removeCacheMount(name string) (bool, error) {
	dir := e.path("cache", "build-mounts", name)
	f, err := os.Open(dir + ".lock")
	if err == nil {
		defer f.Close()
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
			return false, nil // in use
		}
	}
	tmp := e.path("tmp", "cache-rm-"+newID()[:16])
	if err := os.Rename(dir, tmp); err != nil {
		return false, err
	}
	return true, os.RemoveAll(tmp)
}
