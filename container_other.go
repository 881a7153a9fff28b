//go:build !linux

package dock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Containers need Linux. On other systems the container API exists, so
// that programs build everywhere, and every call that would run something
// returns ErrUnsupported. Images, volumes and the state directory work.

type proc struct{}

type processFields struct{}

func unsupported(what string) error { return fmt.Errorf("%s: %w", what, ErrUnsupported) }

// Start needs Linux.
func (c *Container) Start(ctx context.Context) error { return unsupported("start container") }

// StartDetached needs Linux.
func (c *Container) StartDetached(ctx context.Context) error {
	return unsupported("start container")
}

// State returns the recorded state.
func (c *Container) State(ctx context.Context) (State, error) { return c.readState() }

// Wait needs Linux.
func (c *Container) Wait(ctx context.Context) (ExitStatus, error) {
	return ExitStatus{}, unsupported("wait")
}

// Signal needs Linux.
func (c *Container) Signal(ctx context.Context, sig syscall.Signal) error {
	return unsupported("signal")
}

// Kill needs Linux.
func (c *Container) Kill(ctx context.Context) error { return unsupported("kill") }

// Stop needs Linux.
func (c *Container) Stop(ctx context.Context, timeout time.Duration) error {
	return unsupported("stop")
}

// Pause needs Linux.
func (c *Container) Pause(ctx context.Context) error { return unsupported("pause") }

// Unpause needs Linux.
func (c *Container) Unpause(ctx context.Context) error { return unsupported("unpause") }

// Resize needs Linux.
func (c *Container) Resize(size WindowSize) error { return unsupported("resize") }

// Remove deletes a container, which on this system never ran, and with
// RemoveVolumes its anonymous volumes.
func (c *Container) Remove(ctx context.Context, opts ...RemoveOption) error {
	o, err := applyRemoveOptions("container", opts)
	if err != nil {
		return err
	}
	return c.e.locked(func() error {
		rec, recErr := c.record()
		tmp := c.e.path("tmp", "rm-"+c.id)
		if err := os.Rename(c.dir(), tmp); err != nil {
			return fmt.Errorf("remove container: %w", err)
		}
		err := os.RemoveAll(tmp)
		if o.volumes && recErr == nil {
			err = errors.Join(err, c.e.removeAnonymousVolumes(ctx, rec))
		}
		return err
	})
}

// Stats needs Linux.
func (c *Container) Stats(ctx context.Context) (*Stats, error) { return nil, unsupported("stats") }

// Start needs Linux.
func (p *Process) Start(ctx context.Context) error { return unsupported("exec") }

// Wait needs Linux.
func (p *Process) Wait(ctx context.Context) (ExitStatus, error) {
	return ExitStatus{}, unsupported("exec")
}

// Signal needs Linux.
func (p *Process) Signal(sig syscall.Signal) error { return unsupported("exec") }

// Resize needs Linux.
func (p *Process) Resize(size WindowSize) error { return unsupported("exec") }

// Exec prepares a process; starting it needs Linux.
func (c *Container) Exec(cfg ExecConfig) *Process {
	return &Process{c: c, cfg: cfg, done: make(chan struct{})}
}

func readInRoot(root, name string) ([]byte, error) {
	return nil, unsupported("read container file")
}

func (e *Engine) prefetchStart(Config) {}

// pruneSeccompCache has nothing to remove: no seccomp here.
func (e *Engine) pruneSeccompCache() error { return nil }
