package dock_test

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/go-dock/dock"
)

// Copy a file out of a container and a directory into it, as "docker cp
// web:/etc/nginx/nginx.conf -" and "docker cp - web:/srv" do. It needs
// root and a container, so it has no Output.
func ExampleContainer_ArchivePath() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	c, err := eng.Container("web")
	if err != nil {
		log.Fatal(err)
	}

	st, rc, err := c.ArchivePath(ctx, "/etc/nginx/nginx.conf")
	if errors.Is(err, dock.ErrNotFound) {
		log.Fatal(err) // "Could not find the file ... in container web"
	}
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	fmt.Println(st.Name, st.Size, st.Mode)
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil { // the entry "nginx.conf"
		log.Fatal(err)
	}
	io.Copy(os.Stdout, tr)

	// A tar stream from stdin, extracted into /srv, which must exist.
	if err := c.ExtractToDir(ctx, "/srv", os.Stdin, dock.NoOverwriteDirNonDir()); err != nil {
		log.Fatal(err)
	}
}

// List what a container changed, as "docker diff web" does.
func ExampleContainer_Changes() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	c, err := eng.Container("web")
	if err != nil {
		log.Fatal(err)
	}
	changes, err := c.Changes(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, ch := range changes {
		fmt.Println(ch.Kind, ch.Path) // "C /etc", "A /etc/app.conf"
	}
}
