package dock

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/cgroup"
)

// A container's removal, by Remove or by its monitor (AutoRemove), takes
// it out of view first: under the engine's lock its directory is renamed
// into tmp/ as rm-<ID> (removalTrash), and the destroy is recorded. What
// takes time comes after: the cgroup, the trash's files (and, with
// AutoRemove, the anonymous volumes moved in there). The remover holds a
// flock on the directory from before the rename until the trash is gone,
// so that a trash whose lock is free was left by a remover that was
// killed midway: sweepRemovals finishes it.

// lockDir opens the directory dir and takes its flock with how
// (unix.LOCK_EX, with unix.LOCK_NB not to wait); closing the file
// releases it.
func lockDir(dir string, how int) (*os.File, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	if err := flockRetry(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// sweepRemovals finishes the removals that their remover left midway
// (a monitor or a program killed after the rename): the container's
// cgroup and the trash. Open runs it; a removal under way is left alone.
func (e *Engine) sweepRemovals() {
	des, err := os.ReadDir(e.path("tmp"))
	if err != nil {
		return
	}
	for _, de := range des {
		id, ok := strings.CutPrefix(de.Name(), removalPrefix)
		if !ok || !isID(id) || !de.IsDir() {
			continue
		}
		f, err := lockDir(e.removalTrash(id), unix.LOCK_EX|unix.LOCK_NB)
		if err != nil {
			continue // its remover is at work, or another sweep
		}
		if err := errors.Join(cgroup.Remove(cgroupPath(id)), os.RemoveAll(f.Name())); err != nil {
			e.log.Warn("finish a container's removal", "id", id[:12], "err", err)
		}
		f.Close()
	}
}
