package dock

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func openTestEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestImageImportDir(t *testing.T) {
	ctx := context.Background()
	e := openTestEngine(t)
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	img, err := e.ImportDir(ctx, testutil.BusyboxRootfs(t), "busybox",
		ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}}),
		ImportMessage("from a directory"), ImportCreated(created))
	if err != nil {
		t.Fatalf("ImportDir() = %v", err)
	}
	if !strings.HasPrefix(img.ID, "sha256:") || len(img.ID) != 71 || !strings.HasPrefix(img.Digest, "sha256:") {
		t.Errorf("ImportDir() ID %q Digest %q", img.ID, img.Digest)
	}
	if !slices.Equal(img.RepoTags, []string{"busybox:latest"}) || img.OS != "linux" || img.Architecture == "" ||
		!img.Created.Equal(created) || len(img.Layers) != 1 || img.Size <= 0 || !slices.Equal(img.Config.Cmd, []string{"sh"}) {
		t.Errorf("ImportDir() = %+v", img)
	}
	// The same directory with the same options gives the same image.
	again, err := e.ImportDir(ctx, testutil.BusyboxRootfs(t), "busybox:copy",
		ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}}),
		ImportMessage("from a directory"), ImportCreated(created))
	if err != nil || again.ID != img.ID || !slices.Equal(again.RepoTags, []string{"busybox:latest", "busybox:copy"}) {
		t.Errorf("ImportDir() again = %+v, %v, want image %s with both tags", again, err, img.ID)
	}

	// The layers a container gets.
	ri, err := e.imageForRun(ctx, "busybox")
	if err != nil || ri.ID != img.ID || len(ri.Layers) != 1 {
		t.Fatalf("imageForRun() = %+v, %v", ri, err)
	}
	dirs := ri.Layers
	if _, err := os.Stat(filepath.Join(dirs[0], "bin/busybox")); err != nil {
		t.Errorf("layer dir: %v", err)
	}
	if !strings.HasPrefix(dirs[0], e.Root()+"/layers/") {
		t.Errorf("layer dir %q is not under the root's layers/", dirs[0])
	}

	for _, ref := range []string{"busybox", "busybox:latest", "docker.io/library/busybox", img.ID, img.ID[7:19], img.ID[7:8], "busybox@" + img.Digest} {
		got, err := e.Image(ctx, ref)
		if err != nil || got.ID != img.ID {
			t.Errorf("Image(%q) = %v, %v, want %s", ref, got, err, img.ID)
		}
	}
	imgs, err := e.Images(ctx)
	if err != nil || len(imgs) != 1 || imgs[0].ID != img.ID {
		t.Errorf("Images() = %v, %v", imgs, err)
	}
}

func TestImageImportTagRemove(t *testing.T) {
	ctx := context.Background()
	e := openTestEngine(t)
	tarball := testutil.Gzip(t, testutil.BusyboxTar(t))
	a, err := e.Import(ctx, bytes.NewReader(tarball), "app:1")
	if err != nil {
		t.Fatalf("Import() = %v", err)
	}
	b, err := e.Import(ctx, bytes.NewReader(testutil.BusyboxTar(t)), "", ImportMessage("b"))
	if err != nil {
		t.Fatalf("Import(untagged) = %v", err)
	}
	if len(b.RepoTags) != 0 || b.ID == a.ID || !slices.Equal(b.Layers, a.Layers) {
		t.Errorf("Import(untagged) = %+v, want a new image with the same layer", b)
	}
	if err := e.Tag(ctx, "app:1", "localhost:5000/team/app:v1"); err != nil {
		t.Fatal(err)
	}
	got, err := e.Image(ctx, "app:1")
	if err != nil || !slices.Equal(got.RepoTags, []string{"app:1", "localhost:5000/team/app:v1"}) {
		t.Errorf("Image(app:1) = %+v, %v", got, err)
	}
	imgs, err := e.Images(ctx)
	if err != nil || len(imgs) != 2 {
		t.Errorf("Images() = %d, %v, want 2", len(imgs), err)
	}

	if _, err := e.RemoveImage(ctx, a.ID); !errors.Is(err, ErrInUse) {
		t.Errorf("RemoveImage(ID with two tags) = %v, want ErrInUse", err)
	}
	lines, err := e.RemoveImage(ctx, "app:1")
	if err != nil || !slices.Equal(lines, []string{"Untagged: app:1"}) {
		t.Errorf("RemoveImage(app:1) = %q, %v", lines, err)
	}
	lines, err = e.RemoveImage(ctx, "localhost:5000/team/app:v1")
	want := []string{"Untagged: localhost:5000/team/app:v1", "Deleted: " + a.ID}
	if err != nil || !slices.Equal(lines, want) {
		t.Errorf("RemoveImage(last tag) = %q, %v, want %q", lines, err, want)
	}
	if _, err := e.Image(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Image(removed) = %v, want ErrNotFound", err)
	}
	// The layer was shared with b: deleting b removes it too.
	lines, err = e.RemoveImage(ctx, b.ID[7:19])
	if err != nil || len(lines) != 2 || lines[0] != "Deleted: "+b.ID || !strings.HasPrefix(lines[1], "Deleted: sha256:") {
		t.Errorf("RemoveImage(b) = %q, %v", lines, err)
	}
	if imgs, err := e.Images(ctx); err != nil || len(imgs) != 0 {
		t.Errorf("Images() = %v, %v, want none", imgs, err)
	}
	if des, _ := os.ReadDir(e.path("layers")); len(des) != 0 {
		t.Errorf("layers/ has %d entries, want none", len(des))
	}
}

func TestImageInUse(t *testing.T) {
	ctx := context.Background()
	e := openTestEngine(t)
	img, err := e.ImportDir(ctx, testutil.BusyboxRootfs(t), "busybox", ImportConfig(ocispec.ImageConfig{Cmd: []string{"true"}}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Create(ctx, Config{Image: "busybox"})
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	if _, err := e.RemoveImage(ctx, "busybox"); !errors.Is(err, ErrInUse) {
		t.Errorf("RemoveImage(used) = %v, want ErrInUse", err)
	}
	lines, err := e.RemoveImage(ctx, "busybox", RemoveForce())
	if err != nil || !slices.Equal(lines, []string{"Untagged: busybox:latest"}) {
		t.Errorf("RemoveImage(used, force) = %q, %v", lines, err)
	}
	if got, err := e.Image(ctx, img.ID); err != nil || len(got.RepoTags) != 0 {
		t.Errorf("Image(forced) = %+v, %v, want kept untagged", got, err)
	}
	if err := c.Remove(ctx, RemoveForce()); err != nil {
		t.Fatal(err)
	}
	if lines, err := e.RemoveImage(ctx, img.ID); err != nil || len(lines) != 2 {
		t.Errorf("RemoveImage(after the container) = %q, %v", lines, err)
	}
}

func TestImageErrors(t *testing.T) {
	ctx := context.Background()
	e := openTestEngine(t)
	for _, ref := range []string{"", "Busybox", "a:b:c", "sha256:../../x", "x@sha256:../../x", "a@sha256:ABC"} {
		if _, err := e.Image(ctx, ref); !errors.Is(err, ErrInvalid) {
			t.Errorf("Image(%q) = %v, want ErrInvalid", ref, err)
		}
		if _, err := e.RemoveImage(ctx, ref, RemoveForce()); !errors.Is(err, ErrInvalid) {
			t.Errorf("RemoveImage(%q) = %v, want ErrInvalid", ref, err)
		}
	}
	for _, ref := range []string{"nope", "nope:1", "abcdef", "sha256:" + strings.Repeat("a", 64)} {
		if _, err := e.Image(ctx, ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("Image(%q) = %v, want ErrNotFound", ref, err)
		}
		if _, err := e.RemoveImage(ctx, ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("RemoveImage(%q) = %v, want ErrNotFound", ref, err)
		}
		if err := e.Tag(ctx, ref, "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Tag(%q) = %v, want ErrNotFound", ref, err)
		}
	}
	if _, err := e.imageForRun(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("imageForRun(nope) = %v, want ErrNotFound", err)
	}
	if _, err := e.Import(ctx, strings.NewReader("not a tar"), "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Import(not a tar) = %v, want ErrInvalid", err)
	}
	if _, err := e.Import(ctx, strings.NewReader(""), "Bad Ref"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Import(bad ref) = %v, want ErrInvalid", err)
	}
	if _, err := e.Import(ctx, strings.NewReader(""), "x", ImportCreated(time.Time{})); !errors.Is(err, ErrInvalid) {
		t.Errorf("Import(ImportCreated(zero)) = %v, want ErrInvalid", err)
	}
	if _, err := e.ImportDir(ctx, filepath.Join(t.TempDir(), "missing"), "x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ImportDir(missing) = %v, want os.ErrNotExist", err)
	}
	if des, _ := os.ReadDir(e.path("tmp")); len(des) != 0 {
		t.Errorf("tmp/ has %d entries after failures", len(des))
	}
}

// ImportChange parses its instructions as CommitChange does (a
// Dockerfile's rules: several KEY=VALUE pairs, quotes removed), after
// ImportConfig; a refused one fails before anything is stored.
func TestImportChange(t *testing.T) {
	ctx := context.Background()
	e := openTestEngine(t)
	layer := testutil.Tar(t, testutil.TarEntry{Name: "f", Body: "x"})
	img, err := e.Import(ctx, bytes.NewReader(layer), "changed",
		ImportConfig(ocispec.ImageConfig{Env: []string{"BASE=1"}, Cmd: []string{"replaced"}}),
		ImportChange(`ENV A=1 B=2`),
		ImportChange(`ENV C="x y" D='q'`),
		ImportChange(`ENV E plain words`),
		ImportChange(`LABEL "k 1"="v w" k2=v2`),
		ImportChange(`EXPOSE 80 53/udp`),
		ImportChange(`EXPOSE 8000-8001/TCP`),
		ImportChange(`VOLUME ["/data", "/logs"]`),
		ImportChange(`VOLUME /cache`),
		ImportChange(`WORKDIR /app`),
		ImportChange(`WORKDIR sub`),
		ImportChange(`USER nobody`),
		ImportChange(`STOPSIGNAL SIGINT`),
		ImportChange(`CMD echo $A`),
		ImportChange(`ENTRYPOINT ["/bin/env"]`),
		ImportChange(`HEALTHCHECK --retries=2 CMD true`),
	)
	if err != nil {
		t.Fatalf("Import() with changes = %v", err)
	}
	c := img.Config
	wantEnv := []string{"BASE=1", "A=1", "B=2", "C=x y", "D=q", "E=plain words"}
	if !slices.Equal(c.Env, wantEnv) {
		t.Errorf("Env = %q, want %q", c.Env, wantEnv)
	}
	if len(c.Labels) != 2 || c.Labels["k 1"] != "v w" || c.Labels["k2"] != "v2" {
		t.Errorf("Labels = %q", c.Labels)
	}
	if len(c.ExposedPorts) != 4 {
		t.Errorf("ExposedPorts = %v, want 80/tcp, 53/udp, 8000/tcp, 8001/tcp", c.ExposedPorts)
	}
	for _, p := range []string{"80/tcp", "53/udp", "8000/tcp", "8001/tcp"} {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("ExposedPorts = %v, want %s", c.ExposedPorts, p)
		}
	}
	if len(c.Volumes) != 3 {
		t.Errorf("Volumes = %v, want /data, /logs, /cache", c.Volumes)
	}
	for _, v := range []string{"/data", "/logs", "/cache"} {
		if _, ok := c.Volumes[v]; !ok {
			t.Errorf("Volumes = %v, want %s", c.Volumes, v)
		}
	}
	if c.WorkingDir != "/app/sub" || c.User != "nobody" || c.StopSignal != "SIGINT" {
		t.Errorf("WorkingDir %q User %q StopSignal %q, want /app/sub, nobody, SIGINT", c.WorkingDir, c.User, c.StopSignal)
	}
	if !slices.Equal(c.Cmd, []string{"/bin/sh", "-c", "echo $A"}) || !slices.Equal(c.Entrypoint, []string{"/bin/env"}) {
		t.Errorf("Cmd %q Entrypoint %q", c.Cmd, c.Entrypoint)
	}
	if img.Healthcheck == nil || !slices.Equal(img.Healthcheck.Test, []string{"CMD-SHELL", "true"}) || img.Healthcheck.Retries != 2 {
		t.Errorf("Healthcheck = %+v", img.Healthcheck)
	}

	for _, bad := range []string{"RUN true", "FROM busybox", "ENV", "EXPOSE x", "EXPOSE 80/sctp", "EXPOSE 90-80", "SHELL [\"/bin/bash\"]"} {
		_, err := e.Import(ctx, bytes.NewReader(layer), "bad", ImportChange(bad))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Import() with change %q = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := e.Image(ctx, "bad"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Image(bad) after refused changes = %v, want ErrNotFound", err)
	}
}
