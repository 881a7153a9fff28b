package build

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/go-dock/dock/internal/store"
)

// ApplyChanges applies changes, the instructions of the engine's
// CommitChange, to cfg, as a build would (history aside): CMD, ENTRYPOINT,
// ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME and
// WORKDIR; any other instruction is refused with ErrInvalid.
func ApplyChanges(cfg *store.Config, changes []string) error {
	if len(changes) == 0 {
		return nil
	}
	df, err := dockerfile.Parse(strings.NewReader("FROM scratch\n" + strings.Join(changes, "\n") + "\n"))
	if err != nil {
		return fmt.Errorf("%w: change: %w", ErrInvalid, err)
	}
	if len(df.Stages) != 1 {
		// A FROM among the changes starts a stage of its own.
		return fmt.Errorf("%w: change: FROM is not a change commit may make", ErrInvalid)
	}
	b := &builder{df: df, o: &Options{}}
	s := &stageState{cfg: *cfg, args: map[string]string{}}
	history := cfg.History
	for _, in := range df.Stages[0].Instructions {
		switch in.Cmd {
		case "cmd", "entrypoint", "env", "expose", "healthcheck", "label", "onbuild", "stopsignal", "user", "volume":
			if err := b.instruction(context.Background(), s, &in); err != nil {
				return fmt.Errorf("change %q: %w", in.Original, err)
			}
		case "workdir":
			p, err := b.expand(s, strings.Join(in.Args, " "))
			if err != nil {
				return fmt.Errorf("change %q: %w", in.Original, err)
			}
			if !path.IsAbs(p) {
				p = path.Join("/", s.cfg.Config.WorkingDir, p)
			}
			s.cfg.Config.WorkingDir = p
		default:
			return fmt.Errorf("%w: change %q: %s is not a change commit may make", ErrInvalid, in.Original, strings.ToUpper(in.Cmd))
		}
	}
	*cfg = s.cfg
	cfg.History = history
	return nil
}
