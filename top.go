package dock

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// TopResult is what docker top shows: the header of ps's output, split
// into titles, and the rows of the container's processes, a field per
// title (the last one, the command, with its spaces).
type TopResult struct {
	Titles    []string
	Processes [][]string
}

// Top runs the host's ps with psArgs (docker top's default, "-ef", when
// none are given) and keeps the rows of the container's processes, as
// docker top does: ps must print a PID column. The container must be
// running (ErrNotRunning otherwise).
func (c *Container) Top(ctx context.Context, psArgs ...string) (*TopResult, error) {
	r, err := c.topImpl(ctx, psArgs)
	if err == nil {
		c.emit(nil, "top")
	}
	return r, err
}

// parsePs splits ps's output into a TopResult, keeping the rows whose PID
// is one of pids.
func parsePs(out []byte, pids []int) (*TopResult, error) {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return nil, fmt.Errorf("top: ps printed nothing: %w", ErrInvalid)
	}
	r := &TopResult{Titles: strings.Fields(lines[0])}
	pidCol := slices.Index(r.Titles, "PID")
	if pidCol < 0 {
		return nil, fmt.Errorf("top: couldn't find PID field in ps output: %w", ErrInvalid)
	}
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) < len(r.Titles) {
			continue
		}
		pid, err := strconv.Atoi(fields[pidCol])
		if err != nil {
			return nil, fmt.Errorf("top: unexpected pid %q: %w", fields[pidCol], ErrInvalid)
		}
		if !slices.Contains(pids, pid) {
			continue
		}
		last := len(r.Titles) - 1
		row := append(fields[:last:last], strings.Join(fields[last:], " "))
		r.Processes = append(r.Processes, row)
	}
	return r, nil
}
