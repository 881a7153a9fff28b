package dock

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

// validName reports whether s matches [a-zA-Z0-9][a-zA-Z0-9_.-]* and is at
// most max bytes: Docker's rule for container and volume names. (Written
// out rather than a regexp, which would cost every program that imports
// dock its compilation at start-up.)
func validName(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}

// Volume is a named volume: a directory under the state directory that
// containers mount, kept when they are removed.
type Volume struct {
	Name       string    `json:"name"`
	Mountpoint string    `json:"mountpoint"`
	Created    time.Time `json:"created"`
}

// CreateVolume creates the named volume; an existing one is returned as is
// (as docker volume create does).
func (e *Engine) CreateVolume(ctx context.Context, name string) (*Volume, error) {
	if !validName(name, 255) {
		return nil, invalidf("create volume: invalid name %q", name)
	}
	err := e.locked(func() error { return e.ensureVolume(name) })
	if err != nil {
		return nil, fmt.Errorf("create volume %s: %w", name, err)
	}
	return e.Volume(ctx, name)
}

// ensureVolume creates volumes/<name>/_data through tmp/ and a rename. The
// caller holds the lock.
func (e *Engine) ensureVolume(name string) error {
	if _, err := os.Stat(e.path("volumes", name)); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(e.path("tmp"), "volume-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(tmp+"/_data", 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, e.path("volumes", name))
}

// createVolumes creates the named volumes that cfg mounts and names its
// anonymous ones. The caller holds the lock.
func createVolumes(_ context.Context, e *Engine, cfg *Config) error {
	for i := range cfg.Mounts {
		m := &cfg.Mounts[i]
		if m.Type != "volume" {
			continue
		}
		if m.Source == "" {
			m.Source = newID()
		}
		if err := e.ensureVolume(m.Source); err != nil {
			return fmt.Errorf("volume %s: %w", m.Source, err)
		}
	}
	return nil
}

// Volume returns the named volume.
func (e *Engine) Volume(ctx context.Context, name string) (*Volume, error) {
	if !validName(name, 255) {
		return nil, invalidf("invalid volume name %q", name)
	}
	fi, err := os.Stat(e.path("volumes", name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no such volume: %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &Volume{Name: name, Mountpoint: e.path("volumes", name, "_data"), Created: fi.ModTime().UTC()}, nil
}

// Volumes lists the named volumes, sorted by name.
func (e *Engine) Volumes(ctx context.Context) ([]*Volume, error) {
	entries, err := os.ReadDir(e.path("volumes"))
	if err != nil {
		return nil, err
	}
	var out []*Volume
	for _, ent := range entries {
		if v, err := e.Volume(ctx, ent.Name()); err == nil {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *Volume) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// RemoveVolume removes the named volume and its data. A volume that a
// container mounts is refused with ErrInUse unless force is set.
func (e *Engine) RemoveVolume(ctx context.Context, name string, force bool) error {
	if _, err := e.Volume(ctx, name); err != nil {
		return fmt.Errorf("remove volume: %w", err)
	}
	return e.locked(func() error {
		if !force {
			if id := e.volumeUser(name); id != "" {
				return fmt.Errorf("remove volume %s: used by container %s: %w", name, id[:12], ErrInUse)
			}
		}
		// Rename first so that the name is free at once and a crash
		// leaves only garbage in tmp/.
		tmp := e.path("tmp", "volume-rm-"+newID()[:16])
		if err := os.Rename(e.path("volumes", name), tmp); err != nil {
			return fmt.Errorf("remove volume %s: %w", name, err)
		}
		return os.RemoveAll(tmp)
	})
}

func (e *Engine) volumeUser(name string) string {
	entries, _ := os.ReadDir(e.path("containers"))
	for _, ent := range entries {
		rec, err := e.readRecord(ent.Name())
		if err != nil {
			continue
		}
		for _, m := range rec.Config.Mounts {
			if m.Type == "volume" && m.Source == name {
				return rec.ID
			}
		}
	}
	return ""
}
