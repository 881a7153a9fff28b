package dock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
)

// This file gives a new container its volumes: an anonymous volume for
// each VOLUME of its image, and the copy of the image's content into empty
// volumes (Docker's copy-up). The copy itself is in volume_copy_linux.go.

// imageVolumes returns an anonymous volume mount for each of the image's
// VOLUME paths that mounts do not already cover (a bind, volume or tmpfs
// mount with the same target), sorted by target. The paths are image data,
// checked against the image's layers (bottom to top): one that is not
// absolute, is "/" once cleaned, is on or under /proc, /dev or /sys (the
// container's kernel filesystems, which image data does not get to cover),
// or that a symlink of the image leads there or nowhere (see
// checkMountPath) is an error wrapping ErrInvalid that names it.
func imageVolumes(mounts []Mount, vols map[string]struct{}, layers []string) ([]Mount, error) {
	var out []Mount
	for _, raw := range slices.Sorted(maps.Keys(vols)) {
		if strings.ContainsRune(raw, 0) || !path.IsAbs(raw) {
			return nil, invalidf("image VOLUME %q is not an absolute path", raw)
		}
		target := path.Clean(raw)
		if target == "/" {
			return nil, invalidf("image VOLUME %q: a volume cannot be mounted over /", raw)
		}
		covered := func(m Mount) bool { return m.Target == target }
		if slices.ContainsFunc(mounts, covered) || slices.ContainsFunc(out, covered) {
			continue
		}
		if d := kernelDir(target); d != "" {
			return nil, invalidf("image VOLUME %q: a volume cannot be mounted on or under %s, the container's kernel filesystem", raw, d)
		}
		if err := checkMountPath(layers, target, fmt.Sprintf("image VOLUME %q", raw)); err != nil {
			return nil, err
		}
		out = append(out, Mount{Type: "volume", Target: target})
	}
	return out, nil
}

// createVolumes creates the volumes that rec mounts: it names the
// anonymous ones (recording the names in rec), creates the named ones that
// are missing, and copies the image's content into those that are empty
// (unless NoCopy), and returns the names of the volumes it made. On error
// it has undone all of it; on success, undo undoes it, for a failure
// later in the creation. The caller holds the
// lock.
func (e *Engine) createVolumes(ctx context.Context, rec *containerRecord) (_ func() error, _ []string, retErr error) {
	var created []string      // volumes this call made: removed on failure
	var copied []func() error // undo the copies into volumes that existed
	undo := func() error {
		var errs []error
		for _, u := range slices.Backward(copied) {
			errs = append(errs, u())
		}
		for _, name := range created {
			errs = append(errs, e.deleteVolume(name))
		}
		return errors.Join(errs...)
	}
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, undo())
		}
	}()
	cfg := &rec.Config
	for i := range cfg.Mounts {
		m := &cfg.Mounts[i]
		if m.Type != "volume" {
			continue
		}
		anonymous := m.Source == ""
		if anonymous {
			m.Source = newID()
		}
		isNew, err := e.ensureVolume(m.Source, anonymous, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("volume %s: %w", m.Source, err)
		}
		data := e.path("volumes", m.Source, "_data")
		if isNew {
			created = append(created, m.Source)
			if len(cfg.UIDMap) > 0 {
				// The container's root owns a new volume, so that it
				// can write to it (as with Docker's userns-remap).
				uid, _ := hostID(cfg.UIDMap, 0)
				gid, _ := hostID(cfg.GIDMap, 0)
				if err := os.Chown(data, uid, gid); err != nil {
					return nil, nil, fmt.Errorf("volume %s: %w", m.Source, err)
				}
			}
		}
		if m.NoCopy {
			continue
		}
		empty, err := emptyDir(data)
		if err != nil || !empty {
			if err != nil {
				return nil, nil, fmt.Errorf("volume %s: %w", m.Source, err)
			}
			continue // Docker copies only into an empty volume
		}
		u, err := copyImageContent(ctx, rec.Layers, m.Target, data, idShifter(cfg))
		if err != nil {
			return nil, nil, fmt.Errorf("volume %s: copy the image's %s: %w", m.Source, m.Target, err)
		}
		if !isNew {
			copied = append(copied, u)
		}
	}
	return undo, created, nil
}

// emptyDir reports whether the directory dir has no entries.
func emptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// idShifter returns how the owners of the image's files become the owners
// of their copies in a volume. Without a user namespace they are kept.
// With one, each ID is mapped to the host as the container sees the
// image's files (through idmapped layers); an ID outside the maps becomes
// the container's root, so that the container can still manage the copy.
func idShifter(cfg *Config) func(uid, gid int) (int, int) {
	if len(cfg.UIDMap) == 0 {
		return func(uid, gid int) (int, int) { return uid, gid }
	}
	root, _ := hostID(cfg.UIDMap, 0)
	groot, _ := hostID(cfg.GIDMap, 0)
	return func(uid, gid int) (int, int) {
		hu, ok := hostID(cfg.UIDMap, uid)
		if !ok {
			hu = root
		}
		hg, ok := hostID(cfg.GIDMap, gid)
		if !ok {
			hg = groot
		}
		return hu, hg
	}
}
