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

func (c *Container) startImpl(ctx context.Context) error { return unsupported("start container") }

func (c *Container) startDetachedImpl(ctx context.Context) error {
	return unsupported("start container")
}

func (c *Container) stateImpl(ctx context.Context) (State, error) { return c.readState() }

func (c *Container) checkState(ctx context.Context, st State, waitPolicy bool) (State, error) {
	return st, nil
}

func (c *Container) waitImpl(ctx context.Context) (ExitStatus, error) {
	return ExitStatus{}, unsupported("wait")
}

func (c *Container) signalImpl(ctx context.Context, sig syscall.Signal) error {
	return unsupported("signal")
}

func (c *Container) restartImpl(ctx context.Context, timeout time.Duration) error {
	return unsupported("restart")
}

func (e *Engine) restoreContainersImpl(ctx context.Context) ([]string, error) {
	return nil, unsupported("restore containers")
}

func (c *Container) topImpl(ctx context.Context, psArgs []string) (*TopResult, error) {
	return nil, unsupported("top")
}

func (c *Container) stopImpl(ctx context.Context, timeout time.Duration) error {
	return unsupported("stop")
}

func (c *Container) pauseImpl(ctx context.Context) error { return unsupported("pause") }

func (c *Container) unpauseImpl(ctx context.Context) error { return unsupported("unpause") }

func (c *Container) resizeImpl(size WindowSize) error { return unsupported("resize") }

func (c *Container) removeImpl(ctx context.Context, opts ...RemoveOption) error {
	o, err := applyRemoveOptions("container", opts)
	if err != nil {
		return err
	}
	return c.e.locked(func() error {
		rec, recErr := c.record()
		tmp := c.e.removalTrash(c.id)
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

// sweepRemovals has nothing to finish: no container ran here.
func (e *Engine) sweepRemovals() {}

func (c *Container) statsImpl(ctx context.Context) (*Stats, error) { return nil, unsupported("stats") }

func (p *Process) startImpl(ctx context.Context) error { return unsupported("exec") }

func (p *Process) waitImpl(ctx context.Context) (ExitStatus, error) {
	return ExitStatus{}, unsupported("exec")
}

func (p *Process) signalImpl(sig syscall.Signal) error { return unsupported("exec") }

func (p *Process) resizeImpl(size WindowSize) error { return unsupported("exec") }

func (p *Process) pidImpl() int { return 0 }

func readInRoot(root, name string) ([]byte, error) {
	return nil, unsupported("read container file")
}

func (e *Engine) prefetchStart(Config) {}

// pruneSeccompCache has nothing to remove: no seccomp here.
func (e *Engine) pruneSeccompCache() error { return nil }

func (c *Container) applyResources(ctx context.Context, r Resources) error { return nil }

func (c *Container) attachImpl(ctx context.Context, opts AttachOptions) error {
	return unsupported("attach")
}
