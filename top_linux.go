package dock

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/go-dock/dock/internal/cgroup"
)

func (c *Container) topImpl(ctx context.Context, psArgs []string) (*TopResult, error) {
	st, err := c.State(ctx)
	if err != nil {
		return nil, err
	}
	if st.Status != StatusRunning && st.Status != StatusPaused {
		return nil, fmt.Errorf("container %s is not running: %w", c.id[:12], ErrNotRunning)
	}
	cg, err := cgroup.Load(cgroupPath(c.id))
	if err != nil {
		return nil, fmt.Errorf("top: %w", err)
	}
	pids, err := cg.Procs()
	if err != nil {
		return nil, fmt.Errorf("top: %w", err)
	}
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	out, err := exec.CommandContext(ctx, "ps", psArgs...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			msg, _, _ := strings.Cut(string(ee.Stderr), "\n")
			return nil, fmt.Errorf("top: ps: %s: %w", msg, ErrInvalid)
		}
		return nil, fmt.Errorf("top: ps: %w", err)
	}
	return parsePs(out, pids)
}
