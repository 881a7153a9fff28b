//go:build !linux

package cgroup

import (
	"errors"
	"fmt"
)

func detectMode() Mode { return Unknown }

func newImpl(path string, _ Resources) (Manager, error) {
	return nil, fmt.Errorf("create cgroup %s: %w", path, errors.ErrUnsupported)
}

func newStagedImpl(path string, _ Resources) (Manager, func() error, error) {
	return nil, nil, fmt.Errorf("create cgroup %s: %w", path, errors.ErrUnsupported)
}

func loadImpl(path string) (Manager, error) {
	return nil, fmt.Errorf("load cgroup %s: %w", path, errors.ErrUnsupported)
}

func removeImpl(path string) error {
	return fmt.Errorf("remove cgroup %s: %w", path, errors.ErrUnsupported)
}

// Validate skips the online-CPU check off Linux.
var onlineCPUs, onlineMems func() (map[int]bool, error)

// V1Hierarchies needs Linux.
func V1Hierarchies() ([]Hierarchy, error) { return nil, errors.ErrUnsupported }

// Probe finds nothing off Linux.
func Probe() Features { return Features{} }
