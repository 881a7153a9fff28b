package dock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// PruneContainers removes the containers that are not running (created
// and never started, or exited), as "docker container prune" does, and
// returns their IDs in Deleted, newest first, and the sum of the sizes of
// their writable layers (ContainerSize.RW) in SpaceReclaimed. Volumes are
// kept, as Docker keeps them. PruneUntil and PruneLabel narrow the
// containers removed; PruneAll is refused.
//
// A container that starts meanwhile, from another process, is kept (its
// removal is refused as Remove without RemoveForce refuses it), and so is
// one that Restart is starting again. A failure to remove one container
// does not stop the others: the errors are joined.
func (e *Engine) PruneContainers(ctx context.Context, opts ...PruneOption) (*PruneReport, error) {
	o, err := applyPruneOptions(opts)
	if err == nil && o.all {
		err = fmt.Errorf("%w: PruneAll is not an option of PruneContainers", ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("prune containers: %w", err)
	}
	infos, err := e.Containers(ctx)
	if err != nil {
		return nil, fmt.Errorf("prune containers: %w", err)
	}
	rep := &PruneReport{Deleted: []string{}}
	var errs []error
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if !o.selects(info) {
			continue
		}
		c := &Container{e: e, id: info.ID}
		if _, err := os.Stat(c.dir(restartingMarker)); err == nil {
			continue // between the stop and the start of a Restart
		}
		size, _ := c.Size(ctx) // measured before it goes; 0 if it cannot be
		switch err := c.Remove(ctx); {
		case err == nil:
			rep.Deleted = append(rep.Deleted, info.ID)
			rep.SpaceReclaimed += size.RW
		case errors.Is(err, ErrRunning), errors.Is(err, ErrNotFound):
			// Started, or removed, by another process since the list.
		default:
			errs = append(errs, err)
		}
	}
	e.emitPrune(EventContainer, rep.SpaceReclaimed)
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("prune containers: %w", err)
	}
	return rep, nil
}

// selects reports whether PruneContainers removes the container of info:
// it is not running, and it passes the filters.
func (o *pruneOptions) selects(info *Info) bool {
	if info.State.Status != StatusCreated && info.State.Status != StatusExited {
		return false
	}
	if !o.until.IsZero() && !info.Created.Before(o.until) {
		return false
	}
	return o.matchLabels(info.Config.Labels)
}

// matchLabels applies PruneLabel's selectors to an object's labels, as
// Docker's label and label! filters: every label it must have, and not
// all of those it must not.
func (o *pruneOptions) matchLabels(labels map[string]string) bool {
	withAll, withoutAll, without := true, true, false
	for _, l := range o.labels {
		k, v, hasValue := strings.Cut(l.selector, "=")
		got, ok := labels[k]
		has := ok && (!hasValue || got == v)
		if l.present {
			withAll = withAll && has
		} else {
			without = true
			withoutAll = withoutAll && has
		}
	}
	return withAll && !(without && withoutAll)
}

// PruneUntil makes PruneContainers, Prune and PruneNetworks remove only
// the containers, images or networks created before t (docker's until
// filter).
func PruneUntil(t time.Time) PruneOption {
	return func(o *pruneOptions) error {
		if t.IsZero() {
			return fmt.Errorf("%w: PruneUntil of the zero time", ErrInvalid)
		}
		o.until = t
		return nil
	}
}

// PruneLabel makes PruneContainers, Prune, PruneNetworks and
// PruneVolumes remove only the objects with the label selector names,
// "key" (with any value) or "key=value" (docker's label filter); given
// several times, only those with every one. With present false it keeps
// those with the label instead (docker's label!= filter); given several
// times, those with all of them, as Docker does.
func PruneLabel(selector string, present bool) PruneOption {
	return func(o *pruneOptions) error {
		if k, _, _ := strings.Cut(selector, "="); k == "" {
			return fmt.Errorf("%w: PruneLabel %q: no key", ErrInvalid, selector)
		}
		o.labels = append(o.labels, labelSelector{selector: selector, present: present})
		return nil
	}
}

// labelSelector is one PruneLabel.
type labelSelector struct {
	selector string
	present  bool
}

// filtered reports whether options that only PruneContainers and Prune
// take were given, for the prunes that refuse them.
func (o *pruneOptions) filtered() error {
	if !o.until.IsZero() || len(o.labels) > 0 {
		return fmt.Errorf("%w: PruneUntil and PruneLabel are options of PruneContainers and Prune only", ErrInvalid)
	}
	return nil
}
