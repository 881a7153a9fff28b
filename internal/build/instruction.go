package build

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/go-dock/dock/internal/envlist"
	"github.com/go-dock/dock/internal/signal"
	"github.com/go-dock/dock/internal/store"
	"github.com/go-dock/dock/internal/user"
)

// instruction runs a configuration instruction, and records it in the
// history as Docker's classic builder does (history.go).
func (b *builder) instruction(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	c := &s.cfg.Config
	var step string // the history's words for the step, expanded
	switch in.Cmd {
	case "env":
		// Every value sees the variables as they were before the line,
		// as in docker: ENV A=2 B=$A sets B to the former A.
		env := make([]string, 0, len(in.Pairs))
		for _, kv := range in.Pairs {
			v, err := b.expand(s, kv.Value)
			if err != nil {
				return err
			}
			env = append(env, kv.Key+"="+v)
		}
		c.Env = envlist.Merge(c.Env, env)
		step = strings.Join(append([]string{"ENV"}, env...), " ")
	case "label":
		step = "LABEL"
		for _, kv := range in.Pairs {
			k, err := b.expand(s, kv.Key)
			if err != nil {
				return err
			}
			v, err := b.expand(s, kv.Value)
			if err != nil {
				return err
			}
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels[k] = v
			step += " " + k + "=" + v
		}
	case "arg":
		// The history has the defaults, as both Docker builders write
		// them, not the build arguments.
		words := make([]string, 0, len(in.Pairs))
		for _, kv := range in.Pairs {
			word, def := kv.Key, ""
			if kv.HasValue {
				var err error
				if def, err = b.expand(s, kv.Value); err != nil {
					return err
				}
				word += "=" + def
			}
			words = append(words, word)
			unset := false
			switch v, ok := b.o.Args[kv.Key]; {
			case ok:
				s.args[kv.Key] = v
			case kv.HasValue:
				s.args[kv.Key] = def
			default:
				var global bool
				s.args[kv.Key], global = b.meta[kv.Key]
				unset = !global
			}
			if s.argUnset == nil {
				s.argUnset = map[string]bool{}
			}
			s.argUnset[kv.Key] = unset
		}
		step = "ARG " + strings.Join(words, " ")
	case "workdir":
		p, err := b.expand(s, strings.Join(in.Args, " "))
		if err != nil {
			return err
		}
		if !path.IsAbs(p) {
			p = path.Join("/", c.WorkingDir, p)
		}
		c.WorkingDir = path.Clean(p)
		return b.workdir(ctx, s, in)
	case "user":
		u, err := b.expand(s, strings.Join(in.Args, " "))
		if err != nil {
			return err
		}
		if err := user.CheckSpec(u); err != nil {
			return err
		}
		c.User = u
		step = "USER " + u
	case "stopsignal":
		sig, err := b.expand(s, strings.Join(in.Args, " "))
		if err != nil {
			return err
		}
		if _, ok := signal.Parse(sig); !ok {
			return fmt.Errorf("%w: unknown signal %q", ErrInvalid, sig)
		}
		c.StopSignal = sig
		step = "STOPSIGNAL " + sig
	case "maintainer":
		s.cfg.Author = strings.Join(in.Args, " ")
		step = "MAINTAINER " + s.cfg.Author
	case "expose":
		var ports []string
		for _, a := range in.Args {
			words, err := dockerfile.ExpandWords(a, s.lookup, b.df.Escape)
			if err != nil {
				return err
			}
			ports = append(ports, words...)
			for _, p := range words {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				if c.ExposedPorts == nil {
					c.ExposedPorts = map[string]struct{}{}
				}
				c.ExposedPorts[p] = struct{}{}
			}
		}
		step = "EXPOSE " + strings.Join(ports, " ")
	case "volume":
		var vols []string
		for _, a := range in.Args {
			v, err := b.expand(s, a)
			if err != nil {
				return err
			}
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			c.Volumes[v] = struct{}{}
			vols = append(vols, v)
		}
		step = fmt.Sprintf("VOLUME %v", vols)
	case "cmd":
		c.Cmd = b.command(s, in)
		s.cmdSet = true
		step = fmt.Sprintf("CMD %q", c.Cmd)
	case "entrypoint":
		c.Entrypoint = b.command(s, in)
		// As in Docker, a new ENTRYPOINT resets the CMD of the base image
		// unless the stage set one before it (one after it sets it anyway).
		if !s.cmdSet {
			c.Cmd = nil
		}
		step = fmt.Sprintf("ENTRYPOINT %q", c.Entrypoint)
	case "shell":
		if len(in.Args) == 0 {
			return fmt.Errorf("%w: SHELL needs a command", ErrInvalid)
		}
		c.Shell = slices.Clone(in.Args)
		step = fmt.Sprintf("SHELL %v", c.Shell)
	case "healthcheck":
		if in.Health == nil { // the parser sets it
			return fmt.Errorf("%w: HEALTHCHECK without a test", ErrInvalid)
		}
		c.Healthcheck = healthcheckConfig(in.Health)
		// Go's form of the configuration, as Docker prints its own (the
		// same fields in the same order).
		step = fmt.Sprintf("HEALTHCHECK %+v", c.Healthcheck)
	case "onbuild":
		// The trigger's text as written, as docker keeps it; a build
		// FROM the image parses and runs it (runTriggers).
		c.OnBuild = append(c.OnBuild, in.Args[0])
		step = "ONBUILD " + in.Args[0]
	default: // RUN, COPY and ADD are steps of their own (buildStage)
		return fmt.Errorf("%w: instruction %s not supported", ErrUnsupported, strings.ToUpper(in.Cmd))
	}
	b.configStep(s, nopCreatedBy(s, step))
	return nil
}

func (s *stageState) shellCmd() []string {
	if sh := s.cfg.Config.Shell; len(sh) > 0 {
		return slices.Clone(sh)
	}
	return []string{"/bin/sh", "-c"}
}

// command returns the argv of a CMD, ENTRYPOINT or RUN: the JSON form as
// is, the shell form through the stage's shell.
func (b *builder) command(s *stageState, in *dockerfile.Instruction) []string {
	if in.ShellForm {
		return append(s.shellCmd(), strings.Join(in.Args, " "))
	}
	return slices.Clone(in.Args)
}

// healthcheckConfig is the image config's form of a parsed HEALTHCHECK:
// the durations the parser gives in nanoseconds are time.Durations, which
// JSON encodes as nanoseconds, as docker writes them.
func healthcheckConfig(h *dockerfile.Healthcheck) *store.Healthcheck {
	return &store.Healthcheck{
		Test:          slices.Clone(h.Test),
		Interval:      time.Duration(h.Interval),
		Timeout:       time.Duration(h.Timeout),
		StartPeriod:   time.Duration(h.StartPeriod),
		StartInterval: time.Duration(h.StartInterval),
		Retries:       h.Retries,
	}
}
