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

func (b *builder) instruction(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	c := &s.cfg.Config
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
	case "label":
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
		}
	case "arg":
		for _, kv := range in.Pairs {
			switch v, ok := b.o.Args[kv.Key]; {
			case ok:
				s.args[kv.Key] = v
			case kv.HasValue:
				v, err := b.expand(s, kv.Value)
				if err != nil {
					return err
				}
				s.args[kv.Key] = v
			default:
				s.args[kv.Key] = b.meta[kv.Key]
			}
		}
		return nil // no history entry, as BuildKit
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
	case "stopsignal":
		sig, err := b.expand(s, strings.Join(in.Args, " "))
		if err != nil {
			return err
		}
		if _, ok := signal.Parse(sig); !ok {
			return fmt.Errorf("%w: unknown signal %q", ErrInvalid, sig)
		}
		c.StopSignal = sig
	case "maintainer":
		s.cfg.Author = strings.Join(in.Args, " ")
	case "expose":
		for _, a := range in.Args {
			words, err := dockerfile.ExpandWords(a, s.lookup, b.df.Escape)
			if err != nil {
				return err
			}
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
	case "volume":
		for _, a := range in.Args {
			v, err := b.expand(s, a)
			if err != nil {
				return err
			}
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			c.Volumes[v] = struct{}{}
		}
	case "cmd":
		c.Cmd = b.command(s, in)
		s.cmdSet = true
	case "entrypoint":
		c.Entrypoint = b.command(s, in)
		// As in Docker, a new ENTRYPOINT resets the CMD of the base image
		// unless the stage set one before it (one after it sets it anyway).
		if !s.cmdSet {
			c.Cmd = nil
		}
	case "shell":
		if len(in.Args) == 0 {
			return fmt.Errorf("%w: SHELL needs a command", ErrInvalid)
		}
		c.Shell = slices.Clone(in.Args)
	case "healthcheck":
		if in.Health == nil { // the parser sets it
			return fmt.Errorf("%w: HEALTHCHECK without a test", ErrInvalid)
		}
		c.Healthcheck = healthcheckConfig(in.Health)
	case "onbuild":
		// The trigger's text as written, as docker keeps it; a build
		// FROM the image parses and runs it (runTriggers).
		c.OnBuild = append(c.OnBuild, in.Args[0])
	default: // RUN, COPY and ADD are steps of their own (buildStage)
		return fmt.Errorf("%w: instruction %s not supported", ErrUnsupported, strings.ToUpper(in.Cmd))
	}
	b.configStep(s, in)
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
