package archive_test

import (
	"context"
	"log"
	"os"
	"path/filepath"

	"github.com/go-dock/dock/internal/archive"
)

// Unpack a layer into its own directory, removing it again on failure.
// Needs root (ownership and overlayfs whiteouts), so it has no Output line.
func ExampleApply() {
	ctx := context.Background()
	layer, err := os.Open("layer.tar")
	if err != nil {
		log.Fatal(err)
	}
	defer layer.Close()
	dir := filepath.Join(os.TempDir(), "layers", "sha256-abc", "diff")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		log.Fatal(err)
	}
	st, err := archive.Apply(ctx, dir, layer, archive.Options{MaxBytes: 10 << 30})
	if err != nil {
		os.RemoveAll(dir)
		log.Fatal(err)
	}
	log.Printf("unpacked %d entries, %d bytes", st.Files, st.Bytes)
}

// Write a directory as a deterministic tar stream.
func ExampleWriteDir() {
	if err := archive.WriteDir(context.Background(), os.Stdout, "/srv/rootfs"); err != nil {
		log.Fatal(err)
	}
}
