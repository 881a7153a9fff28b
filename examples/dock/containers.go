package main

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/go-dock/dock"
)

// cmdStop is docker stop: the stop signal (-s, else the container's),
// then SIGKILL after -t seconds (else the container's timeout, else 10).
func cmdStop(ctx context.Context, c *cli, args []string) error {
	timeout := -1
	var sigName string
	fs := newFlagSet("stop", true)
	fs.Int(&timeout, "t,time,timeout", "Seconds to wait before killing the container")
	fs.String(&sigName, "s,signal", "Signal to send to the container")
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	d := time.Duration(timeout) * time.Second
	if timeout < 0 {
		d = -1
	}
	if sigName == "" {
		return c.forEach(ctx, args, func(ctx context.Context, _ *dock.Engine, ct *dock.Container) error {
			return ct.Stop(ctx, d)
		})
	}
	sig, ok := dock.ParseSignal(sigName)
	if !ok {
		return fs.errorf("invalid signal: %s", sigName)
	}
	if d < 0 {
		d = 10 * time.Second
	}
	return c.forEach(ctx, args, func(ctx context.Context, _ *dock.Engine, ct *dock.Container) error {
		return stopWith(ctx, ct, sig, d)
	})
}

// stopWith is Container.Stop with another signal than the container's.
func stopWith(ctx context.Context, ct *dock.Container, sig syscall.Signal, timeout time.Duration) error {
	if err := ct.Signal(ctx, sig); err != nil {
		if errors.Is(err, dock.ErrNotRunning) {
			return nil
		}
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := ct.Wait(wctx); err == nil {
		return nil
	}
	if err := ct.Kill(ctx); err != nil && !errors.Is(err, dock.ErrNotRunning) {
		return err
	}
	_, err := ct.Wait(ctx)
	return err
}

// cmdKill is docker kill: SIGKILL, or -s.
func cmdKill(ctx context.Context, c *cli, args []string) error {
	sigName := "KILL"
	fs := newFlagSet("kill", true)
	fs.String(&sigName, "s,signal", "Signal to send to the container")
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	sig, ok := dock.ParseSignal(sigName)
	if !ok {
		return fs.errorf("invalid signal: %s", sigName)
	}
	return c.forEach(ctx, args, func(ctx context.Context, _ *dock.Engine, ct *dock.Container) error {
		return ct.Signal(ctx, sig)
	})
}

func cmdPause(ctx context.Context, c *cli, args []string) error {
	return c.simple(ctx, "pause", args, (*dock.Container).Pause)
}

func cmdUnpause(ctx context.Context, c *cli, args []string) error {
	return c.simple(ctx, "unpause", args, (*dock.Container).Unpause)
}

// simple runs a command without flags over containers.
func (c *cli) simple(ctx context.Context, name string, args []string, fn func(*dock.Container, context.Context) error) error {
	fs := newFlagSet(name, true)
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	return c.forEach(ctx, args, func(ctx context.Context, _ *dock.Engine, ct *dock.Container) error {
		return fn(ct, ctx)
	})
}

// cmdRm is docker rm.
func cmdRm(ctx context.Context, c *cli, args []string) error {
	var force, volumes bool
	fs := newFlagSet("rm", true)
	fs.Bool(&force, "f,force", "Force the removal of a running container (uses SIGKILL)")
	fs.Bool(&volumes, "v,volumes", "Remove anonymous volumes associated with the container")
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	return c.forEach(ctx, args, func(ctx context.Context, _ *dock.Engine, ct *dock.Container) error {
		var opts []dock.RemoveOption
		if force {
			opts = append(opts, dock.RemoveForce())
		}
		if volumes {
			opts = append(opts, dock.RemoveVolumes())
		}
		return ct.Remove(ctx, opts...)
	})
}

// forceOption is RemoveForce when force is set.
func forceOption(force bool) []dock.RemoveOption {
	if force {
		return []dock.RemoveOption{dock.RemoveForce()}
	}
	return nil
}

// cmdRestart is docker restart: stop (after the grace period, a kill),
// then start again detached.
func cmdRestart(ctx context.Context, c *cli, args []string) error {
	timeout := -1
	fs := newFlagSet("restart", true)
	fs.Int(&timeout, "t,time", "Seconds to wait for stop before killing the container")
	args, err := fs.ParseArgs(args, 1, noMax)
	if err != nil {
		return err
	}
	d := time.Duration(timeout) * time.Second
	if timeout < 0 {
		d = -1
	}
	return c.forEach(ctx, args, func(ctx context.Context, _ *dock.Engine, ct *dock.Container) error {
		return ct.Restart(ctx, d)
	})
}
