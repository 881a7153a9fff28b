package dockerapi

import (
	"maps"
	"strings"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/internal/timestamp"
)

// ContainerPruneOptions maps the filters of docker container prune
// (until, label, label!) to the options of Engine.PruneContainers; now is
// the reference of a relative until ("24h"). Another key, more than one
// until, or an until that is no time is a *FilterError with Docker's
// words.
func ContainerPruneOptions(f Filters, now time.Time) ([]dock.PruneOption, error) {
	if err := f.validate("until", "label", "label!"); err != nil {
		return nil, err
	}
	var opts []dock.PruneOption
	if f.Contains("until") {
		values := f.Get("until")
		if len(values) != 1 {
			return nil, &FilterError{Key: "until", Msg: "more than one until filter specified"}
		}
		t, err := timestamp.Parse(values[0], now)
		if err != nil {
			return nil, &FilterError{Key: "until", Value: values[0], Msg: err.Error(), Err: err}
		}
		opts = append(opts, dock.PruneUntil(t))
	}
	labels, err := pruneLabels(f)
	return append(opts, labels...), err
}

// pruneLabels maps the label and label! filters of the prunes to
// PruneLabel options.
func pruneLabels(f Filters) ([]dock.PruneOption, error) {
	var opts []dock.PruneOption
	for _, key := range []string{"label", "label!"} {
		for _, v := range f.Get(key) {
			if v == "" || v[0] == '=' {
				return nil, filterValueError(key, v)
			}
			opts = append(opts, dock.PruneLabel(v, key == "label"))
		}
	}
	return opts, nil
}

// ImagePruneOptions maps the filters of docker image prune (dangling,
// until, label, label!) to the options of Engine.Prune: dangling=false
// prunes every unused image (docker image prune -a), dangling=true (the
// default) the dangling ones only; both at once are refused, as Docker
// refuses them. Another key, or a value Docker refuses, is a
// *FilterError with Docker's words.
func ImagePruneOptions(f Filters, now time.Time) ([]dock.PruneOption, error) {
	if err := f.validate("dangling", "until", "label", "label!"); err != nil {
		return nil, err
	}
	var opts []dock.PruneOption
	var dangling, all bool
	for _, v := range f.Get("dangling") {
		switch strings.ToLower(v) {
		case "true", "1":
			dangling = true
		case "false", "0":
			all = true
		default:
			return nil, filterValueError("dangling", v)
		}
	}
	if dangling && all {
		// As Docker's daemon: docker image prune sends dangling=false
		// for -a, dangling=true without, beside the user's --filter
		// dangling=, and a contradiction is refused.
		return nil, filterValueError("dangling", strings.Join(f.Get("dangling"), ","))
	}
	if all {
		opts = append(opts, dock.PruneAll())
	}
	rest := f
	rest.fields = maps.Clone(f.fields)
	delete(rest.fields, "dangling")
	more, err := ContainerPruneOptions(rest, now)
	if err != nil {
		return nil, err
	}
	return append(opts, more...), nil
}

// VolumePruneOptions maps the filters of docker volume prune (all,
// label, label!) to the options of Engine.PruneVolumes: all=true prunes
// every unused volume (docker volume prune -a, which sends it), else the
// anonymous ones only, as Docker does since API 1.42 (before, it pruned
// every unused volume: the Engine API adds PruneAll for those clients).
// Another key ("until" included), more than one all, or a value Docker
// refuses is a *FilterError with Docker's words.
func VolumePruneOptions(f Filters) ([]dock.PruneOption, error) {
	if err := f.validate("all", "label", "label!"); err != nil {
		return nil, err
	}
	all, _, err := boolFilter(f, "all")
	if err != nil {
		return nil, err
	}
	var opts []dock.PruneOption
	if all {
		opts = append(opts, dock.PruneAll())
	}
	labels, err := pruneLabels(f)
	return append(opts, labels...), err
}
