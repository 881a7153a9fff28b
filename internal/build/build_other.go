//go:build !linux

package build

import (
	"context"
	"fmt"

	"github.com/go-dock/dock/internal/dockerfile"
)

func (b *builder) run(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	return fmt.Errorf("RUN: %w", ErrUnsupported)
}

func (b *builder) copy(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	return fmt.Errorf("%s: %w", in.Cmd, ErrUnsupported)
}

func (b *builder) workdir(ctx context.Context, s *stageState, in *dockerfile.Instruction) error {
	return fmt.Errorf("WORKDIR: %w", ErrUnsupported)
}
