package dock_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/go-dock/dock"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Import a root filesystem tarball as an image, as "docker import
// rootfs.tar.gz app:1" does, then list the store. It needs a tarball and
// root, so it has no Output.
func ExampleEngine_Import() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()

	f, err := os.Open("rootfs.tar.gz") // plain or gzip-compressed
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	img, err := eng.Import(ctx, f, "app:1",
		dock.ImportConfig(ocispec.ImageConfig{Cmd: []string{"/bin/sh"}}),
		dock.ImportMessage("imported from rootfs.tar.gz"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.ID, img.RepoTags)

	imgs, err := eng.Images(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range imgs {
		fmt.Println(img.RepoTags, img.ID[7:19], img.Size)
	}
}
