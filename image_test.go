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
