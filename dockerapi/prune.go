package dockerapi

import (
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
