package dock

import (
	"maps"

	"github.com/go-dock/dock/internal/build"
	"github.com/go-dock/dock/internal/store"
)

// applyChanges applies the instructions of CommitChange and ImportChange
// to cfg with the build's parser, then checks the ports an EXPOSE added
// as docker does, expanding a range to its ports ("8000-8001" gives
// 8000/tcp and 8001/tcp). The ports cfg exposed before stay as they are.
func applyChanges(cfg *store.Config, changes []string) error {
	if len(changes) == 0 {
		return nil
	}
	before := maps.Clone(cfg.Config.ExposedPorts)
	if err := build.ApplyChanges(cfg, changes); err != nil {
		return translate(err)
	}
	var added []string
	for p := range cfg.Config.ExposedPorts {
		if _, ok := before[p]; !ok {
			added = append(added, p)
		}
	}
	if len(added) == 0 {
		return nil
	}
	ports, err := ParseExposedPorts(added...)
	if err != nil {
		return err
	}
	for _, p := range added {
		delete(cfg.Config.ExposedPorts, p)
	}
	for _, p := range ports {
		cfg.Config.ExposedPorts[p.String()] = struct{}{}
	}
	return nil
}
