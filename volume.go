package dock

import (
	"context"
	"encoding/json"
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

// Volume is a volume: a directory under the state directory that
// containers mount, kept when they are removed unless it is anonymous and
// the removal asks for it (RemoveVolumes, AutoRemove).
type Volume struct {
	Name       string    `json:"name"`
	Mountpoint string    `json:"mountpoint"`
	Created    time.Time `json:"created"`
	// Anonymous reports a volume that was made without a name: for a
	// VOLUME of an image, for a volume Mount with no Source, or by
	// CreateVolume with an empty name. Its name is 64 random hexadecimal
	// characters.
	Anonymous bool `json:"anonymous,omitempty"`
	// Labels are the volume's labels (docker volume create --label),
	// nil for none.
	Labels map[string]string `json:"labels,omitempty"`
}

// VolumeOption configures CreateVolume.
type VolumeOption func(*volumeOptions) error

type volumeOptions struct {
	labels map[string]string
}

// VolumeLabel sets a label of the volume (docker volume create --label).
// Later ones replace earlier ones of the same key; an empty key is
// refused.
func VolumeLabel(key, value string) VolumeOption {
	return func(o *volumeOptions) error {
		if key == "" {
			return invalidf("volume label %q: no key", key+"="+value)
		}
		if o.labels == nil {
			o.labels = map[string]string{}
		}
		o.labels[key] = value
		return nil
	}
}

// anonymousMarker is the file in volumes/<name>/ that marks an anonymous
// volume (Docker labels them com.docker.volume.anonymous).
const anonymousMarker = "anonymous"

// volumeLabelsFile is the file in volumes/<name>/ that holds a volume's
// labels, when it has some.
const volumeLabelsFile = "labels.json"

// CreateVolume creates the named volume; an existing one is returned as is
// (as docker volume create does). An empty name creates an anonymous
// volume with a random name, as docker volume create without a name does.
// Options apply to a volume it makes, not to an existing one (Docker's
// rule too).
func (e *Engine) CreateVolume(ctx context.Context, name string, opts ...VolumeOption) (*Volume, error) {
	var o volumeOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("create volume %s: %w", name, err)
		}
	}
	anonymous := name == ""
	if anonymous {
		name = newID()
	}
	if !validName(name, 255) {
		return nil, invalidf("create volume: invalid name %q", name)
	}
	var made bool
	err := e.locked(func() (err error) {
		made, err = e.ensureVolume(name, anonymous, o.labels)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create volume %s: %w", name, err)
	}
	if made {
		e.emitVolume(name, "create")
	}
	return e.Volume(ctx, name)
}

// ensureVolume creates volumes/<name>/_data through tmp/ and a rename, and
// reports whether it made it, with labels when it has some. The caller
// holds the lock.
func (e *Engine) ensureVolume(name string, anonymous bool, labels map[string]string) (bool, error) {
	if _, err := os.Lstat(e.path("volumes", name)); err == nil {
		return false, nil
	}
	tmp, err := os.MkdirTemp(e.path("tmp"), "volume-*")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(tmp+"/_data", 0o755); err != nil {
		return false, err
	}
	if anonymous {
		if err := os.WriteFile(tmp+"/"+anonymousMarker, nil, 0o644); err != nil {
			return false, err
		}
	}
	if len(labels) > 0 {
		data, err := json.Marshal(labels)
		if err != nil {
			return false, err
		}
		if err := os.WriteFile(tmp+"/"+volumeLabelsFile, data, 0o644); err != nil {
			return false, err
		}
	}
	if err := os.Rename(tmp, e.path("volumes", name)); err != nil {
		return false, err
	}
	return true, nil
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
	_, err = os.Lstat(e.path("volumes", name, anonymousMarker))
	v := &Volume{
		Name:       name,
		Mountpoint: e.path("volumes", name, "_data"),
		Created:    fi.ModTime().UTC(),
		Anonymous:  err == nil,
	}
	data, err := os.ReadFile(e.path("volumes", name, volumeLabelsFile))
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &v.Labels); err != nil {
			return nil, fmt.Errorf("volume %s: labels: %w", name, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("volume %s: %w", name, err)
	}
	return v, nil
}

// Volumes lists the volumes, named and anonymous, sorted by name.
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
// container mounts is refused with ErrInUse unless RemoveForce is given.
func (e *Engine) RemoveVolume(ctx context.Context, name string, opts ...RemoveOption) error {
	o, err := applyRemoveOptions("volume", opts)
	if err != nil {
		return err
	}
	force := o.force
	if _, err := e.Volume(ctx, name); err != nil {
		return fmt.Errorf("remove volume: %w", err)
	}
	return e.locked(func() error {
		if !force {
			if id := e.volumeUser(name); id != "" {
				return fmt.Errorf("remove volume %s: used by container %s: %w", name, id[:12], ErrInUse)
			}
		}
		if err := e.removeVolumeLocked(name); err != nil {
			return fmt.Errorf("remove volume %s: %w", name, err)
		}
		return nil
	})
}

// PruneVolumes removes the volumes that no container mounts: the
// anonymous ones, or with PruneAll every one (docker volume prune [-a]);
// PruneLabel narrows them by their labels. Its report lists the names of
// those it removed (Deleted) and the bytes their files held.
func (e *Engine) PruneVolumes(ctx context.Context, opts ...PruneOption) (*PruneReport, error) {
	o, err := applyPruneOptions(opts)
	if err == nil && (!o.until.IsZero() || o.volumes) {
		err = fmt.Errorf("%w: PruneVolumes takes PruneAll and PruneLabel only", ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("prune volumes: %w", err)
	}
	removed, reclaimed, err := e.pruneVolumes(ctx, o)
	return &PruneReport{Deleted: removed, SpaceReclaimed: reclaimed}, err
}

// pruneVolumes is PruneVolumes; it also returns the bytes the volumes
// removed held.
func (e *Engine) pruneVolumes(ctx context.Context, o pruneOptions) (removed []string, reclaimed int64, err error) {
	err = e.locked(func() error {
		vols, err := e.Volumes(ctx)
		if err != nil {
			return err
		}
		used := e.volumeUsers()
		var errs []error
		for _, v := range vols {
			if ctx.Err() != nil {
				return errors.Join(append(errs, ctx.Err())...)
			}
			if used[v.Name] != "" || !o.all && !v.Anonymous || !o.matchLabels(v.Labels) {
				continue
			}
			size, _ := dirSize(ctx, v.Mountpoint)
			if err := e.removeVolumeLocked(v.Name); err != nil {
				errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
				continue
			}
			removed = append(removed, v.Name)
			reclaimed += size
		}
		return errors.Join(errs...)
	})
	e.emitPrune(EventVolume, reclaimed)
	if err != nil {
		return removed, reclaimed, fmt.Errorf("prune volumes: %w", err)
	}
	return removed, reclaimed, nil
}

// removeVolumeLocked deletes a volume and records its destroy event. The
// caller holds the lock and has checked that no container uses it.
func (e *Engine) removeVolumeLocked(name string) error {
	if err := e.deleteVolume(name); err != nil {
		return err
	}
	e.emitVolume(name, "destroy")
	return nil
}

// deleteVolume deletes a volume's directory. The caller holds the lock.
func (e *Engine) deleteVolume(name string) error {
	// Rename first so that the name is free at once and a crash leaves
	// only garbage in tmp/.
	tmp := e.path("tmp", "volume-rm-"+newID()[:16])
	if err := os.Rename(e.path("volumes", name), tmp); err != nil {
		return err
	}
	return os.RemoveAll(tmp)
}

// emitVolume records a volume event; every volume here is the local
// driver's.
func (e *Engine) emitVolume(name, action string, extra ...string) {
	e.emit(EventVolume, action, name, attrs(append([]string{"driver", "local"}, extra...)...))
}

// removeAnonymousVolumes removes the anonymous volumes that rec mounts and
// that no other container uses: docker rm -v. The caller holds the lock
// and has removed the container's directory, so that it no longer counts
// as a user.
func (e *Engine) removeAnonymousVolumes(ctx context.Context, rec *containerRecord) error {
	var errs []error
	for _, name := range anonymousVolumes(e, rec) {
		if e.volumeUser(name) != "" {
			continue // Docker keeps a volume that another container mounts
		}
		if err := e.removeVolumeLocked(name); err != nil {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// anonymousVolumes lists the anonymous volumes that rec mounts, once each.
func anonymousVolumes(e *Engine, rec *containerRecord) []string {
	var out []string
	for _, m := range rec.Config.Mounts {
		if m.Type != "volume" || !validName(m.Source, 255) || slices.Contains(out, m.Source) {
			continue
		}
		if _, err := os.Lstat(e.path("volumes", m.Source, anonymousMarker)); err == nil {
			out = append(out, m.Source)
		}
	}
	return out
}

// volumeUser returns the ID of a container that mounts the volume, or "".
func (e *Engine) volumeUser(name string) string { return e.volumeUsers()[name] }

// volumeUsers maps the names of the volumes that containers mount to the
// ID of one of those containers.
func (e *Engine) volumeUsers() map[string]string {
	users := map[string]string{}
	entries, _ := os.ReadDir(e.path("containers"))
	for _, ent := range entries {
		rec, err := e.readRecord(ent.Name())
		if err != nil {
			continue
		}
		for _, m := range rec.Config.Mounts {
			if m.Type == "volume" {
				users[m.Source] = rec.ID
			}
		}
	}
	return users
}
