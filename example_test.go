package dock_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

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

// Open a state directory (made when missing) and list its images. Open
// needs no root; running containers does.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "dock-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	eng, err := dock.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	imgs, err := eng.Images(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(imgs), "images")
	// Output: 0 images
}

// Run a command to its end, as "docker run --rm busybox echo hello" does.
// The exit code is data, not an error.
func ExampleEngine_Run() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	st, err := eng.Run(ctx, dock.Config{Image: "busybox", Cmd: []string{"echo", "hello"}},
		nil, os.Stdout, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", st.Code)
}

// Create, start and wait, as os/exec's Cmd: the handle's stdio fields are
// set before Start, and Wait returns how the process ended.
func ExampleEngine_Create() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	c, err := eng.Create(ctx, dock.Config{
		Image:     "busybox",
		Cmd:       []string{"sh", "-c", "echo hello from $(hostname)"},
		Resources: dock.Resources{Memory: 64 << 20, PIDs: 100},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Remove(ctx, dock.RemoveForce())
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	st, err := c.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", st.Code, "OOM killed", st.OOMKilled)
}

// Run a second process in a running container, as "docker exec" does.
func ExampleContainer_Exec() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	c, err := eng.Create(ctx, dock.Config{Image: "busybox", Cmd: []string{"sleep", "60"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Remove(ctx, dock.RemoveForce())
	if err := c.StartDetached(ctx); err != nil {
		log.Fatal(err)
	}
	p := c.Exec(dock.ExecConfig{Cmd: []string{"cat", "/etc/hostname"}})
	p.Stdout = os.Stdout
	if err := p.Start(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := p.Wait(ctx); err != nil {
		log.Fatal(err)
	}
}

// Pull an image with progress, as "docker pull" does. When Pull returns,
// every layer is in the store.
func ExampleEngine_Pull() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	img, err := eng.Pull(ctx, "registry.example.com/team/app:1.2",
		dock.WithPlatform("linux/amd64"),
		dock.WithProgress(func(p dock.Progress) { fmt.Println(p.ID, p.Phase) }))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.ID)
}

// Build an image from a directory holding a Dockerfile, as "docker build
// -t app:dev ." does.
func ExampleEngine_Build() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	img, err := eng.Build(ctx, ".",
		dock.BuildTag("app:dev"),
		dock.BuildArg("VERSION", "1.2"),
		dock.BuildOutput(os.Stderr))
	var be *dock.BuildError
	if errors.As(err, &be) {
		log.Fatalf("Dockerfile line %d: %v", be.Line, be.Err)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.ID)
}

// Commit a container's changes as a new image, as "docker commit" does.
func ExampleContainer_Commit() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	c, err := eng.Create(ctx, dock.Config{Image: "busybox", Cmd: []string{"sh", "-c", "echo x > /x"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Remove(ctx)
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Wait(ctx); err != nil {
		log.Fatal(err)
	}
	img, err := c.Commit(ctx, "busybox:with-x",
		dock.CommitChange(`CMD ["cat", "/x"]`),
		dock.CommitMessage("adds /x"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.ID)
}

// Push an image to a registry, with credentials, as "docker push" does
// (docker's configuration and credential helpers are used when no
// credentials are given).
func ExampleEngine_Push() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := eng.Tag(ctx, "app:dev", "registry.example.com/team/app:1.2"); err != nil {
		log.Fatal(err)
	}
	img, err := eng.Push(ctx, "registry.example.com/team/app:1.2",
		dock.WithCredentials("robot", os.Getenv("REGISTRY_TOKEN")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pushed", img.Digest)
}

// A service that restarts when it fails and reports its health, with no
// daemon: the detached container's monitor does both, as docker run -d
// --restart on-failure:5 --health-cmd ... does.
func ExampleRestartPolicy() {
	ctx := context.Background()
	eng, err := dock.Open("/var/lib/dock")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	c, err := eng.Create(ctx, dock.Config{
		Image:         "busybox",
		Cmd:           []string{"httpd", "-f", "-p", "8080"},
		RestartPolicy: dock.RestartPolicy{Name: dock.RestartOnFailure, MaximumRetryCount: 5},
		Healthcheck: &dock.Healthcheck{
			Test:     []string{"CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1"},
			Interval: 5 * time.Second,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.StartDetached(ctx); err != nil {
		log.Fatal(err)
	}
	info, err := c.Inspect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.State.Status, info.State.RestartCount, info.Health.Status) // running 0 starting
}
