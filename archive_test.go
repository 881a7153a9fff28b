package dock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// importTestBusybox imports the busybox root filesystem as
// busybox:latest, with a fixed creation time.
func importTestBusybox(t *testing.T, e *Engine) *Image {
	t.Helper()
	img, err := e.ImportDir(context.Background(), testutil.BusyboxRootfs(t), "busybox",
		ImportConfig(ocispec.ImageConfig{Cmd: []string{"sh"}}),
		ImportMessage("busybox for the archive tests"),
		ImportCreated(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)))
	if err != nil {
		t.Fatalf("ImportDir() = %v", err)
	}
	return img
}

func saveToFile(t *testing.T, e *Engine, refs []string, opts ...SaveOption) string {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "image.tar"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := e.Save(context.Background(), f, refs, opts...); err != nil {
		t.Fatalf("Save(%q) = %v", refs, err)
	}
	return f.Name()
}

// requireTool returns the path of a program the test needs, skipping the
// test without it (failing in CI).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		testutil.Missing(t, name+" is not installed")
	}
	return p
}

func runTool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func TestSaveLoadBusybox(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	e := openTestEngine(t)
	img := importTestBusybox(t, e)
	if err := e.Tag(ctx, "busybox", "localhost:5000/bb:1"); err != nil {
		t.Fatal(err)
	}
	if len(img.History) != 1 || img.History[0].Comment != "busybox for the archive tests" {
		t.Errorf("ImportDir().History = %+v", img.History)
	}
	for _, f := range []ArchiveFormat{DockerArchive, OCIArchive} {
		t.Run(f.String(), func(t *testing.T) {
			var a, b bytes.Buffer
			refs := []string{"busybox", "localhost:5000/bb:1"}
			if err := e.Save(ctx, &a, refs, SaveFormat(f)); err != nil {
				t.Fatalf("Save() = %v", err)
			}
			if err := e.Save(ctx, &b, refs, SaveFormat(f)); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("second Save() = %v, identical %v", err, bytes.Equal(a.Bytes(), b.Bytes()))
			}
			e2 := openTestEngine(t)
			imgs, err := e2.Load(ctx, &a)
			if err != nil || len(imgs) != 1 {
				t.Fatalf("Load() = %v, %v", imgs, err)
			}
			got := imgs[0]
			if got.ID != img.ID || got.Digest != img.Digest || !slices.Equal(got.RepoTags, []string{"busybox:latest", "localhost:5000/bb:1"}) ||
				!slices.Equal(got.Layers, img.Layers) || !got.Created.Equal(img.Created) || len(got.History) != 1 {
				t.Errorf("Load() = %+v, want %+v", got, img)
			}
			if inspected, err := e2.Image(ctx, "localhost:5000/bb:1"); err != nil || inspected.ID != img.ID {
				t.Errorf("Image(loaded tag) = %v, %v", inspected, err)
			}
		})
	}
	// A loaded image runs (its layers are unpacked on first use).
	var out bytes.Buffer
	e2 := openTestEngine(t)
	if _, err := e2.Load(ctx, bytes.NewReader(mustRead(t, saveToFile(t, e, []string{"busybox"})))); err != nil {
		t.Fatal(err)
	}
	st, err := e2.Run(ctx, Config{Image: "busybox", Cmd: []string{"cat", "/etc/os-release"}}, nil, &out, nil)
	if err != nil || st.Code != 0 || !strings.Contains(out.String(), "dock-test") {
		t.Errorf("Run(loaded image) = %+v, %v, output %q", st, err, out.String())
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSaveSkopeoUmoci checks that other tools read what Save writes.
func TestSaveSkopeoUmoci(t *testing.T) {
	testutil.RequireRoot(t)
	skopeo := requireTool(t, "skopeo")
	e := openTestEngine(t)
	img := importTestBusybox(t, e)

	oci := saveToFile(t, e, []string{"busybox"}, SaveFormat(OCIArchive))
	var info struct {
		Digest string
		Layers []string
	}
	if err := json.Unmarshal(runTool(t, skopeo, "inspect", "oci-archive:"+oci+":busybox:latest"), &info); err != nil {
		t.Fatal(err)
	}
	if info.Digest != img.Digest || len(info.Layers) != 1 {
		t.Errorf("skopeo inspect oci-archive = %+v, want digest %s", info, img.Digest)
	}
	// The Docker archive, as docker-archive (through manifest.json) and
	// as an OCI layout: the config skopeo reads is the image's.
	docker := saveToFile(t, e, []string{"busybox"})
	for _, ref := range []string{"docker-archive:" + docker, "oci-archive:" + oci + ":busybox:latest", "oci-archive:" + docker + ":busybox:latest"} {
		cfg := runTool(t, skopeo, "inspect", "--raw", "--config", ref)
		if got := digest.FromBytes(cfg).String(); got != img.ID {
			t.Errorf("skopeo inspect --config %s = %s, want %s", ref, got, img.ID)
		}
	}

	umoci, err := exec.LookPath("umoci")
	if err != nil {
		testutil.Missing(t, "umoci is not installed")
	}
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	if err := os.Mkdir(layout, 0o755); err != nil {
		t.Fatal(err)
	}
	runTool(t, "tar", "-xf", oci, "-C", layout)
	bundle := filepath.Join(dir, "bundle")
	runTool(t, umoci, "unpack", "--image", layout+":busybox:latest", bundle)
	if _, err := os.Stat(filepath.Join(bundle, "rootfs/bin/busybox")); err != nil {
		t.Errorf("umoci unpack: %v", err)
	}
}

// TestLoadSkopeoArchives loads what skopeo writes from the engine's root
// (an OCI layout): an OCI archive, and a Docker archive in the format of
// "docker save" before Docker 25 (uncompressed layer files).
func TestLoadSkopeoArchives(t *testing.T) {
	testutil.RequireRoot(t)
	skopeo := requireTool(t, "skopeo")
	ctx := context.Background()
	e := openTestEngine(t)
	img := importTestBusybox(t, e)
	// The store keeps the layers it imports uncompressed, and skopeo
	// compresses such layers when it writes an OCI archive: convert the
	// image to gzip layers first (as Push does), so that the OCI archive
	// holds the store's own manifest.
	simg, err := e.store.Resolve("busybox")
	if err != nil {
		t.Fatal(err)
	}
	simg, err = e.store.Distributable(ctx, simg)
	if err != nil {
		t.Fatal(err)
	}
	img.Digest = simg.Digest.String()
	dir := t.TempDir()
	for _, tc := range []struct {
		dest         string
		sameManifest bool
	}{
		{"oci-archive:" + filepath.Join(dir, "oci.tar") + ":busybox:latest", true},
		{"docker-archive:" + filepath.Join(dir, "docker.tar") + ":busybox:latest", false},
	} {
		runTool(t, skopeo, "copy", "--quiet", "oci:"+e.Root()+":docker.io/library/busybox:latest", tc.dest)
		file := strings.Split(strings.SplitN(tc.dest, ":", 2)[1], ":")[0]
		e2 := openTestEngine(t)
		imgs, err := e2.Load(ctx, bytes.NewReader(mustRead(t, file)))
		if err != nil || len(imgs) != 1 {
			t.Fatalf("Load(%s) = %v, %v", tc.dest, imgs, err)
		}
		got := imgs[0]
		if got.ID != img.ID || !slices.Equal(got.RepoTags, []string{"busybox:latest"}) || !slices.Equal(got.Layers, img.Layers) {
			t.Errorf("Load(%s) = %+v, want ID %s tagged busybox:latest", tc.dest, got, img.ID)
		}
		if (got.Digest == img.Digest) != tc.sameManifest {
			t.Errorf("Load(%s).Digest = %s, image's %s; want same %v", tc.dest, got.Digest, img.Digest, tc.sameManifest)
		}
		if _, err := e2.imageForRun(ctx, "busybox"); err != nil {
			t.Errorf("unpacking the loaded layers: %v", err)
		}
	}
}

func TestSaveLoadErrors(t *testing.T) {
	ctx := context.Background()
	e := openTestEngine(t)
	var buf bytes.Buffer
	if err := e.Save(ctx, &buf, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Save(no refs) = %v, want ErrInvalid", err)
	}
	if err := e.Save(ctx, &buf, []string{"nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Save(unknown) = %v, want ErrNotFound", err)
	}
	if err := e.Save(ctx, &buf, []string{"nope"}, SaveFormat(9)); !errors.Is(err, ErrInvalid) {
		t.Errorf("SaveFormat(9) = %v, want ErrInvalid", err)
	}
	for _, p := range []string{"", "nope", "linux/", "/amd64", "a/b/c/d", "linux/arm64/"} {
		if _, err := e.Load(ctx, &buf, LoadPlatform(p)); !errors.Is(err, ErrInvalid) {
			t.Errorf("LoadPlatform(%q) = %v, want ErrInvalid", p, err)
		}
	}
	bad := testutil.Tar(t, testutil.TarEntry{Name: "../manifest.json", Body: "[]"})
	if _, err := e.Load(ctx, bytes.NewReader(bad)); !errors.Is(err, ErrInvalid) {
		t.Errorf("Load(../manifest.json) = %v, want ErrInvalid", err)
	}
	if _, err := e.Load(ctx, strings.NewReader("")); !errors.Is(err, ErrInvalid) {
		t.Errorf("Load(empty) = %v, want ErrInvalid", err)
	}
	if imgs, _ := e.Images(ctx); len(imgs) != 0 {
		t.Errorf("Images() = %v after failed loads", imgs)
	}
	if des, _ := os.ReadDir(e.path("tmp")); len(des) != 0 {
		t.Errorf("tmp/ has %d entries after failures", len(des))
	}
	if s := OCIArchive.String(); s != "oci-archive" {
		t.Errorf("OCIArchive.String() = %q", s)
	}
}

func TestImagePrune(t *testing.T) {
	ctx := context.Background()
	e := openTestEngine(t)
	desc, err := e.store.PutBlob(ctx, strings.NewReader("garbage"), "", -1)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := e.store.PutBlob(ctx, strings.NewReader("fresh garbage"), "", -1)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	blob := e.path("blobs", "sha256", desc.Digest.Encoded())
	if err := os.Chtimes(blob, old, old); err != nil {
		t.Fatal(err)
	}
	crashed := e.path("tmp", "load-crashed")
	if err := os.Mkdir(crashed, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(crashed, old, old)
	rep, err := e.Prune(ctx)
	if err != nil || !slices.Equal(rep.Deleted, []string{"Deleted: " + desc.Digest.String()}) || rep.SpaceReclaimed != int64(len("garbage")) {
		t.Errorf("Prune() = %+v, %v, want the old blob deleted, %d bytes", rep, err, len("garbage"))
	}
	if _, err := os.Stat(blob); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old blob: %v, want removed", err)
	}
	if _, err := os.Stat(e.path("blobs", "sha256", fresh.Digest.Encoded())); err != nil {
		t.Errorf("young blob: %v, want kept", err)
	}
	if _, err := os.Stat(crashed); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old tmp/ entry: %v, want removed", err)
	}
}
