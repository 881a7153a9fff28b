package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/go-dock/dock/internal/archive"
	"github.com/go-dock/dock/internal/layerdiff"
	"github.com/go-dock/dock/internal/store"
)

// materialize writes the root filesystem of a stage (by name or index) or
// of an image of the store into a new directory in tmp/, for COPY --from.
func (b *builder) materialize(ctx context.Context, from string) (string, error) {
	var img *store.Image
	if st := b.df.Stage(from); st != nil && st.Index < len(b.stages) {
		img = b.stages[st.Index].img
	} else {
		var err error
		if img, err = b.image(ctx, from); err != nil {
			return "", fmt.Errorf("--from=%s: %w", from, err)
		}
	}
	dir, err := os.MkdirTemp(b.h.TmpDir, "build-from-")
	if err != nil {
		return "", err
	}
	var layers []string // bottom first
	if img != nil {
		if layers, err = b.h.Store.LayerDirs(ctx, img); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
	}
	for _, layer := range layers {
		write := func(w io.Writer) error { return layerdiff.Write(ctx, w, layer, layerdiff.Options{}) }
		if err := applyLayer(ctx, dir, write, archive.Options{PlainWhiteouts: true}); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("--from=%s: %w", from, err)
		}
	}
	return dir, nil
}

// applyLayer extracts the tar stream that write makes into dir.
func applyLayer(ctx context.Context, dir string, write func(io.Writer) error, opt archive.Options) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	_, err := archive.Apply(ctx, dir, pr, opt)
	pr.CloseWithError(errors.New("stopped"))
	return err
}
