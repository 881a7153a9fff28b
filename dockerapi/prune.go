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
// default) the dangling ones only. Another key, or a value Docker
// refuses, is a *FilterError with Docker's words.
func ImagePruneOptions(f Filters, now time.Time) ([]dock.PruneOption, error) {
	if err := f.validate("dangling", "until", "label", "label!"); err != nil {
		return nil, err
	}
	var opts []dock.PruneOption
	for _, v := range f.Get("dangling") {
		switch strings.ToLower(v) {
		case "true", "1":
		case "false", "0":
			opts = append(opts, dock.PruneAll())
		default:
			return nil, filterValueError("dangling", v)
		}
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
