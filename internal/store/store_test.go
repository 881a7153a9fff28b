package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// flockLock returns a lock function like the engine's: a mutex for this
// process's goroutines plus flock on root/lock through its own descriptor,
// so that two of them on one root behave like two processes.
func flockLock(t testing.TB, root string) func(func() error) error {
	t.Helper()
	if err := os.MkdirAll(root, 0o711); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(root, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var mu sync.Mutex
	return func(fn func() error) error {
		mu.Lock()
		defer mu.Unlock()
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			return err
		}
		defer unix.Flock(int(f.Fd()), unix.LOCK_UN)
		return fn()
	}
}

func openStore(t testing.TB, root string) *Store {
	t.Helper()
	s, err := Open(root, flockLock(t, root))
	if err != nil {
		t.Fatalf("Open(%q) = %v", root, err)
	}
	return s
}

func newStore(t testing.TB) *Store {
	t.Helper()
	return openStore(t, t.TempDir())
}

// smallTar is a tiny layer; body varies its content (and diff ID).
func smallTar(t testing.TB, body string) []byte {
	return testutil.Tar(t,
		testutil.TarEntry{Name: "etc/"},
		testutil.TarEntry{Name: "etc/hello", Body: body},
		testutil.TarEntry{Name: "bin/", Mode: 0o755},
		testutil.TarEntry{Name: "bin/link", Typeflag: '2', Linkname: "../etc/hello"},
	)
}

func importTar(t testing.TB, s *Store, b []byte, ref string) *Image {
	t.Helper()
	img, err := s.Import(context.Background(), bytes.NewReader(b), ImportOptions{Ref: ref})
	if err != nil {
		t.Fatalf("Import(%q) = %v", ref, err)
	}
	return img
}

// checkClean checks the invariants that hold after any operation, failed
// or not: nothing left in tmp/, Images works, every layer directory is
// complete.
func checkClean(t testing.TB, s *Store) {
	t.Helper()
	des, err := os.ReadDir(s.path("tmp"))
	if err != nil || len(des) != 0 {
		var names []string
		for _, de := range des {
			names = append(names, de.Name())
		}
		t.Errorf("tmp/ = %v, %v, want empty", names, err)
	}
	if _, err := s.Images(); err != nil {
		t.Errorf("Images() = %v", err)
	}
	des, _ = os.ReadDir(s.path("layers"))
	for _, de := range des {
		for _, f := range []string{diffDir, layerMetaFile} {
			if _, err := os.Lstat(s.path("layers", de.Name(), f)); err != nil {
				t.Errorf("layer %s incomplete: %v", de.Name(), err)
			}
		}
	}
}

func listDir(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func readIndexFile(t testing.TB, s *Store) ocispec.Index {
	t.Helper()
	b, err := os.ReadFile(s.path(indexFile))
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	return idx
}

func tagsInIndex(t testing.TB, s *Store) []string {
	var tags []string
	for _, d := range readIndexFile(t, s).Manifests {
		tags = append(tags, refName(d))
	}
	slices.Sort(tags)
	return tags
}

func TestOpenLayout(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root)
	b, err := os.ReadFile(filepath.Join(root, "oci-layout"))
	if err != nil || string(b) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %q, %v", b, err)
	}
	idx := readIndexFile(t, s)
	if idx.SchemaVersion != 2 || idx.MediaType != ocispec.MediaTypeImageIndex || idx.Manifests == nil {
		t.Errorf("index.json = %+v", idx)
	}
	for _, d := range []string{"blobs/sha256", "layers", "tmp"} {
		if fi, err := os.Stat(filepath.Join(root, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	if _, err := Open("relative", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open(relative) = %v, want ErrInvalid", err)
	}
	// Reopening keeps the content.
	testutil.RequireRoot(t)
	importTar(t, s, smallTar(t, "x"), "a")
	s2, err := Open(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Resolve("a"); err != nil {
		t.Errorf("Resolve after reopen = %v", err)
	}
}

func TestImportBusybox(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	tarBytes := testutil.BusyboxTar(t)
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	img, err := s.Import(ctx, bytes.NewReader(testutil.Gzip(t, tarBytes)), ImportOptions{
		Ref:     "busybox",
		Config:  RuntimeConfig{ImageConfig: ocispec.ImageConfig{Cmd: []string{"sh"}, Env: []string{"A=b"}}},
		Message: "hello",
		Created: created,
	})
	if err != nil {
		t.Fatalf("Import() = %v", err)
	}
	wantDiff := digest.FromBytes(tarBytes)
	if got := img.Config.RootFS.DiffIDs; len(got) != 1 || got[0] != wantDiff {
		t.Errorf("DiffIDs = %v, want [%s] (digest of the uncompressed tar)", got, wantDiff)
	}
	if !slices.Equal(img.Names, []string{"docker.io/library/busybox:latest"}) {
		t.Errorf("Names = %v", img.Names)
	}
	if img.Config.OS != "linux" || img.Config.Created == nil || !img.Config.Created.Equal(created) ||
		len(img.Config.History) != 1 || img.Config.History[0].CreatedBy != "import" || img.Config.History[0].Comment != "hello" ||
		!slices.Equal(img.Config.Config.Cmd, []string{"sh"}) {
		t.Errorf("Config = %+v", img.Config)
	}
	if img.Manifest.MediaType != ocispec.MediaTypeImageManifest || len(img.Manifest.Layers) != 1 ||
		img.Manifest.Layers[0].MediaType != ocispec.MediaTypeImageLayer || img.Manifest.Layers[0].Digest != wantDiff ||
		img.Size != img.Manifest.Layers[0].Size {
		t.Errorf("Manifest = %+v, Size %d", img.Manifest, img.Size)
	}
	// What Import returned is what Resolve reads back.
	got, err := s.Resolve("busybox:latest")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != img.ID || got.Digest != img.Digest || got.Size != img.Size || !slices.Equal(got.Names, img.Names) {
		t.Errorf("Resolve() = %+v, want %+v", got, img)
	}
	// The layer blob decompresses to the tar.
	rc, err := s.OpenBlob(img.Manifest.Layers[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// The unpacked layer.
	dirs, err := s.LayerDirs(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{s.path("layers", wantDiff.Encoded(), "diff")}; !slices.Equal(dirs, want) {
		t.Errorf("LayerDirs() = %v, want %v", dirs, want)
	}
	if target, err := os.Readlink(filepath.Join(dirs[0], "bin/sh")); err != nil || target != "busybox" {
		t.Errorf("bin/sh -> %q, %v", target, err)
	}
	if fi, err := os.Stat(filepath.Join(dirs[0], "tmp")); err != nil || fi.Mode()&os.ModeSticky == 0 {
		t.Errorf("tmp mode = %v, %v, want sticky", fi.Mode(), err)
	}
	var meta layerMeta
	if b, err := os.ReadFile(s.path("layers", wantDiff.Encoded(), layerMetaFile)); err != nil || json.Unmarshal(b, &meta) != nil ||
		meta.ChainID != wantDiff || meta.DiffID != wantDiff {
		t.Errorf("layer.json = %+v, %v", meta, err)
	}
	// index.json: one descriptor with the full name.
	idx := readIndexFile(t, s)
	if len(idx.Manifests) != 1 || refName(idx.Manifests[0]) != "docker.io/library/busybox:latest" ||
		idx.Manifests[0].Digest != img.Digest || idx.Manifests[0].MediaType != ocispec.MediaTypeImageManifest {
		t.Errorf("index.json = %+v", idx)
	}
	checkClean(t, s)
}

func TestImportPlainAndGzipSameLayer(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	b := smallTar(t, "same")
	a := importTar(t, s, b, "a")
	c := importTar(t, s, testutil.Gzip(t, b), "c")
	if a.Manifest.Layers[0].Digest != c.Manifest.Layers[0].Digest {
		t.Errorf("layer blob of plain and gzip input differ: %s, %s", a.Manifest.Layers[0].Digest, c.Manifest.Layers[0].Digest)
	}
	if n := len(listDir(t, s.path("layers"))); n != 1 {
		t.Errorf("layers/ has %d entries, want 1", n)
	}
	if got := tagsInIndex(t, s); !slices.Equal(got, []string{"docker.io/library/a:latest", "docker.io/library/c:latest"}) {
		t.Errorf("tags = %v", got)
	}
	checkClean(t, s)
}

func TestImportUntagged(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	img := importTar(t, s, smallTar(t, "u"), "")
	if len(img.Names) != 0 {
		t.Errorf("Names = %v, want none", img.Names)
	}
	imgs, err := s.Images()
	if err != nil || len(imgs) != 1 || imgs[0].ID != img.ID {
		t.Fatalf("Images() = %v, %v", imgs, err)
	}
	if got, err := s.Resolve(img.ID.Encoded()[:12]); err != nil || got.Digest != img.Digest {
		t.Errorf("Resolve(short ID) = %v, %v", got, err)
	}
	// Tagging replaces the untagged descriptor.
	if err := s.Tag(string(img.ID), "x:1"); err != nil {
		t.Fatal(err)
	}
	if got := tagsInIndex(t, s); !slices.Equal(got, []string{"docker.io/library/x:1"}) {
		t.Errorf("tags = %q", got)
	}
}

func TestImportBadRef(t *testing.T) {
	s := newStore(t)
	for _, ref := range []string{"UPPER", "a:b:c", "a@sha256:" + strings.Repeat("0", 64), "a:", "-a"} {
		_, err := s.Import(context.Background(), bytes.NewReader(smallTar(t, "x")), ImportOptions{Ref: ref})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Import(ref %q) = %v, want ErrInvalid", ref, err)
		}
	}
	checkClean(t, s)
}

func TestImportHostile(t *testing.T) {
	testutil.RequireRoot(t)
	good := smallTar(t, "good")
	gz := testutil.Gzip(t, good)
	big := testutil.Gzip(t, testutil.BusyboxTar(t))
	tests := []struct {
		name string
		in   []byte
	}{
		{"escape", testutil.Tar(t, testutil.TarEntry{Name: "a/"}, testutil.TarEntry{Name: "../../escaped", Body: "x"})},
		{"hardlink escape", testutil.Tar(t, testutil.TarEntry{Name: "l", Typeflag: '1', Linkname: "../../etc/passwd"})},
		{"device", testutil.Tar(t, testutil.TarEntry{Name: "dev/sda", Typeflag: '4'})},
		{"bad whiteout", testutil.Tar(t, testutil.TarEntry{Name: "a/.wh."})},
		{"truncated gzip", gz[:len(gz)/2]},
		{"truncated gzip (large)", big[:len(big)/2]},
		{"gzip bad checksum", append(slices.Clone(gz[:len(gz)-8]), 0, 0, 0, 0, 0, 0, 0, 0)},
		{"gzip header only", gz[:10]},
		{"text", []byte("hello, this is not a tar archive\n")},
		{"garbage", bytes.Repeat([]byte{0x42}, 4096)},
		{"empty", nil},
		{"truncated tar", good[:700]},
		{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0}},
		{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 0}},
		{"bzip2", []byte("BZh91AY&SY")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			before := listDir(t, s.path("blobs/sha256"))
			_, err := s.Import(context.Background(), bytes.NewReader(tt.in), ImportOptions{Ref: "evil"})
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Import(%s) = %v, want ErrInvalid", tt.name, err)
			}
			if after := listDir(t, s.path("blobs/sha256")); !slices.Equal(before, after) {
				t.Errorf("blobs/ = %v, was %v", after, before)
			}
			if got := listDir(t, s.path("layers")); len(got) != 0 {
				t.Errorf("layers/ = %v, want empty", got)
			}
			if got := tagsInIndex(t, s); len(got) != 0 {
				t.Errorf("index = %v, want empty", got)
			}
			if _, err := os.Lstat(filepath.Join(filepath.Dir(s.Root()), "escaped")); err == nil {
				t.Errorf("escape: file written outside the store")
			}
			checkClean(t, s)
			// The store still works.
			importTar(t, s, good, "ok")
		})
	}
}

func TestImportCanceled(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Import(ctx, bytes.NewReader(smallTar(t, "x")), ImportOptions{Ref: "a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Import(canceled) = %v, want context.Canceled", err)
	}
	checkClean(t, s)
	if len(listDir(t, s.path("blobs/sha256"))) != 0 {
		t.Error("blobs left after a canceled import")
	}
}

func TestTagMovesAndResolve(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	a := importTar(t, s, smallTar(t, "a"), "app:1")
	b := importTar(t, s, smallTar(t, "b"), "other")
	if err := s.Tag("app:1", "localhost:5000/team/app:v1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag("other", "app:1"); err != nil { // moves app:1 off a
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want digest.Digest
	}{
		{"app:1", b.ID},
		{"docker.io/library/app:1", b.ID},
		{"other", b.ID},
		{"other:latest", b.ID},
		{"localhost:5000/team/app:v1", a.ID},
		{string(a.ID), a.ID},
		{a.ID.Encoded(), a.ID},
		{a.ID.Encoded()[:12], a.ID},
		{"sha256:" + a.ID.Encoded()[:10], a.ID},
		{"whatever@" + string(a.Digest), a.ID},
		{string(a.Digest), a.ID},
	}
	for _, tt := range tests {
		img, err := s.Resolve(tt.ref)
		if err != nil || img.ID != tt.want {
			t.Errorf("Resolve(%q) = %v, %v, want %s", tt.ref, img, err, tt.want)
		}
	}
	img, _ := s.Resolve(string(a.ID))
	if !slices.Equal(img.Names, []string{"localhost:5000/team/app:v1"}) {
		t.Errorf("names of a = %v", img.Names)
	}
	img, _ = s.Resolve(string(b.ID))
	if !slices.Equal(img.Names, []string{"docker.io/library/other:latest", "docker.io/library/app:1"}) {
		t.Errorf("names of b = %v", img.Names)
	}
	// A tag moved off an image with no other tag leaves it untagged.
	if err := s.Tag("other", "localhost:5000/team/app:v1"); err != nil {
		t.Fatal(err)
	}
	img, err := s.Resolve(string(a.ID))
	if err != nil || len(img.Names) != 0 {
		t.Errorf("a after losing its last tag = %v, %v, want untagged", img, err)
	}
	imgs, _ := s.Images()
	if len(imgs) != 2 {
		t.Errorf("Images() = %d images, want 2", len(imgs))
	}
	if err := s.Tag("other", "x@sha256:"+strings.Repeat("a", 64)); !errors.Is(err, ErrInvalid) {
		t.Errorf("Tag(to digest) = %v, want ErrInvalid", err)
	}
	if err := s.Tag("nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Tag(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.Tag("other", "Bad"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Tag(to Bad) = %v, want ErrInvalid", err)
	}
}

func TestResolveErrors(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	// 17 images: two share the first hex digit of their ID.
	first := map[byte]digest.Digest{}
	var shared string
	for i := 0; shared == ""; i++ {
		img := importTar(t, s, smallTar(t, fmt.Sprint(i)), fmt.Sprintf("img%d", i))
		c := img.ID.Encoded()[0]
		if _, ok := first[c]; ok {
			shared = string(c)
		}
		first[c] = img.ID
	}
	tests := []struct {
		ref  string
		want error
	}{
		{"", ErrInvalid},
		{shared, ErrInvalid}, // ambiguous
		{"sha256:" + shared, ErrInvalid},
		{"sha256:../../x", ErrInvalid},
		{"sha256:" + strings.ToUpper(strings.Repeat("a", 64)), ErrInvalid},
		{"sha256:" + strings.Repeat("a", 65), ErrInvalid},
		{"x@sha256:../../etc", ErrInvalid},
		{"Busybox", ErrInvalid},
		{"a b", ErrInvalid},
		{"nope", ErrNotFound},
		{"img0:other", ErrNotFound},
		{"sha256:" + strings.Repeat("f", 64), ErrNotFound},
		{"x@sha256:" + strings.Repeat("f", 64), ErrNotFound},
		{"ghcr.io/img0", ErrNotFound},
	}
	for _, tt := range tests {
		if img, err := s.Resolve(tt.ref); !errors.Is(err, tt.want) {
			t.Errorf("Resolve(%q) = %v, %v, want %v", tt.ref, img, err, tt.want)
		}
	}
}

func TestBlobs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	data := []byte(`{"hello":"world"}`)
	d := digest.FromBytes(data)
	desc, err := s.PutBlob(ctx, bytes.NewReader(data), "", -1)
	if err != nil || desc.Digest != d || desc.Size != int64(len(data)) {
		t.Fatalf("PutBlob() = %+v, %v", desc, err)
	}
	if b, err := s.ReadBlob(d); err != nil || !bytes.Equal(b, data) {
		t.Errorf("ReadBlob() = %q, %v", b, err)
	}
	// Existing blob with digest: no-op, r not read.
	if desc, err := s.PutBlob(ctx, strings.NewReader("not read"), d, int64(len(data))); err != nil || desc.Size != int64(len(data)) {
		t.Errorf("PutBlob(existing) = %+v, %v", desc, err)
	}
	if _, err := s.PutBlob(ctx, bytes.NewReader(data), d, 3); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutBlob(existing, wrong size) = %v, want ErrInvalid", err)
	}
	other := []byte("other content")
	bad := []struct {
		name string
		want digest.Digest
		size int64
	}{
		{"digest mismatch", digest.FromString("something else"), -1},
		{"size too small", digest.FromBytes(other), 3},
		{"size too large", digest.FromBytes(other), 100},
		{"traversal", "sha256:../../x", -1},
		{"upper case", digest.Digest("sha256:" + strings.ToUpper(digest.FromBytes(other).Encoded())), -1},
		{"md5", "md5:d41d8cd98f00b204e9800998ecf8427e", -1},
	}
	for _, tt := range bad {
		before := listDir(t, s.path("blobs/sha256"))
		if _, err := s.PutBlob(ctx, bytes.NewReader(other), tt.want, tt.size); !errors.Is(err, ErrInvalid) {
			t.Errorf("PutBlob(%s) = %v, want ErrInvalid", tt.name, err)
		}
		if after := listDir(t, s.path("blobs/sha256")); !slices.Equal(before, after) {
			t.Errorf("PutBlob(%s) left blobs/ = %v, was %v", tt.name, after, before)
		}
		checkClean(t, s)
	}
	// sha512 is accepted.
	d512 := digest.SHA512.FromBytes(other)
	if desc, err := s.PutBlob(ctx, bytes.NewReader(other), d512, int64(len(other))); err != nil || desc.Digest != d512 {
		t.Errorf("PutBlob(sha512) = %+v, %v", desc, err)
	}
	if b, err := s.ReadBlob(d512); err != nil || !bytes.Equal(b, other) {
		t.Errorf("ReadBlob(sha512) = %q, %v", b, err)
	}

	for _, dg := range []digest.Digest{"sha256:../../x", "sha256:../../../etc/passwd", "", "sha256:" + digest.Digest(strings.ToUpper(d.Encoded())), "md5:x"} {
		if _, err := s.ReadBlob(dg); !errors.Is(err, ErrInvalid) {
			t.Errorf("ReadBlob(%q) = %v, want ErrInvalid", dg, err)
		}
		if _, err := s.OpenBlob(dg); !errors.Is(err, ErrInvalid) {
			t.Errorf("OpenBlob(%q) = %v, want ErrInvalid", dg, err)
		}
	}
	missing := digest.FromString("missing")
	if _, err := s.ReadBlob(missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadBlob(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.OpenBlob(missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenBlob(missing) = %v, want ErrNotFound", err)
	}
	// Too large for ReadBlob, fine for OpenBlob.
	large := bytes.Repeat([]byte("x"), MaxMetadataSize+1)
	ld, err := s.PutBlob(ctx, bytes.NewReader(large), "", -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadBlob(ld.Digest); !errors.Is(err, ErrInvalid) {
		t.Errorf("ReadBlob(4 MiB + 1) = %v, want ErrInvalid", err)
	}
	// A corrupted blob is detected by both readers.
	p := s.blobPath(d)
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte(`{"hello":"WORLD"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadBlob(d); !errors.Is(err, ErrInvalid) {
		t.Errorf("ReadBlob(corrupt) = %v, want ErrInvalid", err)
	}
	rc, err := s.OpenBlob(d)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); !errors.Is(err, ErrInvalid) {
		t.Errorf("reading a corrupt blob to its end = %v, want ErrInvalid", err)
	}
	rc.Close()
	checkClean(t, s)
}

func TestBrokenIndex(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	good := importTar(t, s, smallTar(t, "g"), "good")
	idx := readIndexFile(t, s)
	missing := digest.FromString("no such manifest")
	idx.Manifests = append(idx.Manifests,
		ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: missing, Size: 10,
			Annotations: map[string]string{ocispec.AnnotationRefName: "docker.io/library/broken:latest"}},
		ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: "sha256:../../../etc/passwd", Size: 10,
			Annotations: map[string]string{ocispec.AnnotationRefName: "docker.io/library/evil:latest"}},
		ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromString("foreign index"), Size: 10,
			Annotations: map[string]string{ocispec.AnnotationRefName: "docker.io/library/multi:latest"}},
	)
	b, _ := json.Marshal(idx)
	if err := os.WriteFile(s.path(indexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.Resolve("broken")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "manifest") {
		t.Errorf("Resolve(broken) = %v, want an error about the missing manifest", err)
	}
	if _, err := s.Resolve("evil"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve(evil) = %v, want ErrNotFound (descriptor ignored)", err)
	}
	imgs, err := s.Images()
	if err != nil || len(imgs) != 1 || imgs[0].ID != good.ID {
		t.Errorf("Images() = %v, %v, want only the good one", imgs, err)
	}
	// A manifest whose media type disagrees with the index is refused.
	m := good.Manifest
	m.MediaType = mediaTypeDockerManifest
	mb, _ := json.Marshal(m)
	md, err := s.PutBlob(context.Background(), bytes.NewReader(mb), "", -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.lock(func() error {
		idx, _ := s.readIndex()
		setTag(idx, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: md.Digest, Size: md.Size}, "docker.io/library/confused:latest")
		return s.writeIndex(idx)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve("confused"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Resolve(confused) = %v, want ErrInvalid", err)
	}
	// The broken image can be removed; foreign entries survive rewrites.
	lines, err := s.Remove("broken", false, nil)
	if err != nil {
		t.Errorf("Remove(broken) = %v, %v", lines, err)
	}
	if got := tagsInIndex(t, s); !slices.Equal(got, []string{"docker.io/library/confused:latest", "docker.io/library/evil:latest", "docker.io/library/good:latest", "docker.io/library/multi:latest"}) {
		t.Errorf("index after Remove = %v", got)
	}
	if _, _, err := s.Prune(context.Background(), 0); err != nil {
		t.Errorf("Prune() = %v", err)
	}
	if _, err := os.Stat(s.blobPath(good.Digest)); err != nil {
		t.Errorf("Prune removed a reachable blob: %v", err)
	}
	checkClean(t, s)
}

func TestRemove(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	shared := smallTar(t, "shared")
	a := importTar(t, s, shared, "a")
	b := importTar(t, s, shared, "b") // same layer, another image
	if _, err := s.LayerDirs(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag("a", "a:2"); err != nil {
		t.Fatal(err)
	}
	// By ID with two tags: refused without force.
	if _, err := s.Remove(string(a.ID), false, nil); !errors.Is(err, ErrInUse) {
		t.Errorf("Remove(ID with 2 tags) = %v, want ErrInUse", err)
	}
	// By name: untag only.
	lines, err := s.Remove("a:2", false, nil)
	if err != nil || !slices.Equal(lines, []string{"Untagged: a:2"}) {
		t.Errorf("Remove(a:2) = %q, %v", lines, err)
	}
	// In use: refused, then forced (untagged, content kept).
	used := func(id digest.Digest) bool { return id == a.ID }
	if _, err := s.Remove("a", false, used); !errors.Is(err, ErrInUse) {
		t.Errorf("Remove(a, in use) = %v, want ErrInUse", err)
	}
	lines, err = s.Remove("a", true, used)
	if err != nil || !slices.Equal(lines, []string{"Untagged: a:latest"}) {
		t.Errorf("Remove(a, in use, force) = %q, %v", lines, err)
	}
	if img, err := s.Resolve(string(a.ID)); err != nil || len(img.Names) != 0 {
		t.Errorf("a after forced untag = %v, %v, want kept untagged", img, err)
	}
	// Now unused: delete it by ID. The layer stays: b uses it.
	lines, err = s.Remove(a.ID.Encoded()[:8], false, nil)
	if err != nil || !slices.Equal(lines, []string{"Deleted: " + string(a.ID)}) {
		t.Errorf("Remove(a by short ID) = %q, %v", lines, err)
	}
	for _, d := range []digest.Digest{a.Digest, a.ID} {
		if _, err := os.Stat(s.blobPath(d)); !os.IsNotExist(err) {
			t.Errorf("blob %s of a still there (%v)", d, err)
		}
	}
	if _, err := os.Stat(s.blobPath(b.Manifest.Layers[0].Digest)); err != nil {
		t.Errorf("shared layer blob removed: %v", err)
	}
	if _, err := os.Stat(s.layerPath(b.ChainIDs()[0])); err != nil {
		t.Errorf("shared layer dir removed: %v", err)
	}
	if _, err := s.Resolve(string(a.ID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve(a) after delete = %v, want ErrNotFound", err)
	}
	// Last image of the layer: everything goes.
	lines, err = s.Remove("b", false, nil)
	want := []string{"Untagged: b:latest", "Deleted: " + string(b.ID), "Deleted: " + string(b.ChainIDs()[0])}
	if err != nil || !slices.Equal(lines, want) {
		t.Errorf("Remove(b) = %q, %v, want %q", lines, err, want)
	}
	if got := listDir(t, s.path("blobs/sha256")); len(got) != 0 {
		t.Errorf("blobs/ = %v, want empty", got)
	}
	if got := listDir(t, s.path("layers")); len(got) != 0 {
		t.Errorf("layers/ = %v, want empty", got)
	}
	if _, err := s.Remove("b", false, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove(b) again = %v, want ErrNotFound", err)
	}
	// By ID with several tags and force: untags all, deletes.
	c := importTar(t, s, smallTar(t, "c"), "c")
	if err := s.Tag("c", "c:2"); err != nil {
		t.Fatal(err)
	}
	lines, err = s.Remove(string(c.ID), true, nil)
	want = []string{"Untagged: c:latest", "Untagged: c:2", "Deleted: " + string(c.ID), "Deleted: " + string(c.ChainIDs()[0])}
	if err != nil || !slices.Equal(lines, want) {
		t.Errorf("Remove(c by ID, force) = %q, %v, want %q", lines, err, want)
	}
	if got := tagsInIndex(t, s); len(got) != 0 {
		t.Errorf("index = %v, want empty", got)
	}
	checkClean(t, s)
}

func TestLayerDirsUnpacksMissing(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	root := t.TempDir()
	s := openStore(t, root)
	img := importTar(t, s, testutil.BusyboxTar(t), "busybox")
	if err := os.RemoveAll(s.path("layers")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(s.path("layers"), 0o711)
	// Two "processes" unpack at once: both succeed, one copy is kept.
	s2 := openStore(t, root)
	var wg sync.WaitGroup
	dirs := make([][]string, 4)
	errs := make([]error, 4)
	for i := range dirs {
		st := s
		if i%2 == 1 {
			st = s2
		}
		wg.Go(func() { dirs[i], errs[i] = st.LayerDirs(ctx, img) })
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil || !slices.Equal(dirs[i], dirs[0]) {
			t.Errorf("LayerDirs #%d = %v, %v", i, dirs[i], errs[i])
		}
	}
	if _, err := os.Stat(filepath.Join(dirs[0][0], "bin/busybox")); err != nil {
		t.Errorf("unpacked layer lacks bin/busybox: %v", err)
	}
	checkClean(t, s)

	// A corrupt layer blob is refused and leaves nothing.
	os.RemoveAll(s.layerPath(img.ChainIDs()[0]))
	p := s.blobPath(img.Manifest.Layers[0].Digest)
	b, _ := os.ReadFile(p)
	os.Chmod(p, 0o644)
	b[len(b)-20] ^= 0xff
	os.WriteFile(p, b, 0o644)
	if _, err := s.LayerDirs(ctx, img); !errors.Is(err, ErrInvalid) {
		t.Errorf("LayerDirs(corrupt blob) = %v, want ErrInvalid", err)
	}
	if got := listDir(t, s.path("layers")); len(got) != 0 {
		t.Errorf("layers/ = %v after a failed unpack", got)
	}
	checkClean(t, s)
	// A missing layer blob: clear error.
	os.Remove(p)
	if _, err := s.LayerDirs(ctx, img); !errors.Is(err, ErrNotFound) {
		t.Errorf("LayerDirs(missing blob) = %v, want ErrNotFound", err)
	}
	// A diff ID that does not match.
	bad := *img
	bad.Config.RootFS.DiffIDs = []digest.Digest{"sha256:../../x"}
	if _, err := s.LayerDirs(ctx, &bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("LayerDirs(bad diff ID) = %v, want ErrInvalid", err)
	}
}

func TestLayerDirsPlainLayerAndDiffIDMismatch(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	layer := smallTar(t, "plain")
	ld, err := s.PutBlob(ctx, bytes.NewReader(layer), "", -1)
	if err != nil {
		t.Fatal(err)
	}
	img := &Image{ID: "sha256:" + digest.Digest(strings.Repeat("0", 64))}
	img.Manifest.Layers = []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayer, Digest: ld.Digest, Size: ld.Size}}
	img.Config.RootFS.DiffIDs = []digest.Digest{digest.FromString("lie")}
	if _, err := s.LayerDirs(ctx, img); !errors.Is(err, ErrInvalid) {
		t.Errorf("LayerDirs(diff ID lie) = %v, want ErrInvalid", err)
	}
	checkClean(t, s)
	img.Config.RootFS.DiffIDs = []digest.Digest{ld.Digest}
	dirs, err := s.LayerDirs(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dirs[0], "etc/hello")); err != nil || string(b) != "plain" {
		t.Errorf("etc/hello = %q, %v", b, err)
	}
	img.Manifest.Layers[0].MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
	os.RemoveAll(s.layerPath(ld.Digest))
	if _, err := s.LayerDirs(ctx, img); !errors.Is(err, ErrInvalid) {
		t.Errorf("LayerDirs(zstd) = %v, want ErrInvalid", err)
	}
}

func TestConcurrentImports(t *testing.T) {
	testutil.RequireRoot(t)
	b := testutil.BusyboxTar(t)
	t.Run("goroutines", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = s.Import(context.Background(), bytes.NewReader(b), ImportOptions{Ref: fmt.Sprintf("bb:%d", i)})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Import #%d = %v", i, err)
			}
		}
		if got := tagsInIndex(t, s); len(got) != 4 {
			t.Errorf("tags = %v, want 4", got)
		}
		if got := listDir(t, s.path("layers")); len(got) != 1 {
			t.Errorf("layers/ = %v, want one", got)
		}
		checkClean(t, s)
	})
	t.Run("stores", func(t *testing.T) {
		root := t.TempDir()
		s1, s2 := openStore(t, root), openStore(t, root)
		var wg sync.WaitGroup
		var err1, err2 error
		wg.Go(func() { _, err1 = s1.Import(context.Background(), bytes.NewReader(b), ImportOptions{Ref: "one"}) })
		wg.Go(func() {
			_, err2 = s2.Import(context.Background(), bytes.NewReader(testutil.Gzip(t, b)), ImportOptions{Ref: "two"})
		})
		wg.Wait()
		if err1 != nil || err2 != nil {
			t.Fatalf("Import = %v, %v", err1, err2)
		}
		if got := tagsInIndex(t, s1); !slices.Equal(got, []string{"docker.io/library/one:latest", "docker.io/library/two:latest"}) {
			t.Errorf("tags = %v", got)
		}
		checkClean(t, s1)
	})
}

func TestPrune(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	img := importTar(t, s, smallTar(t, "keep"), "keep")
	orphan, err := s.PutBlob(ctx, strings.NewReader("orphan"), "", -1)
	if err != nil {
		t.Fatal(err)
	}
	orphanLayer := s.path("layers", strings.Repeat("ab", 32))
	os.MkdirAll(filepath.Join(orphanLayer, "diff"), 0o755)
	os.WriteFile(filepath.Join(orphanLayer, layerMetaFile), nil, 0o644)
	oldTmp := s.path("tmp", "import-stale")
	os.MkdirAll(filepath.Join(oldTmp, "x"), 0o755)
	old := time.Now().Add(-2 * TmpGrace)
	os.Chtimes(oldTmp, old, old)
	newTmp := s.path("tmp", "import-running")
	os.Mkdir(newTmp, 0o755)

	// Young: kept.
	lines, _, err := s.Prune(ctx, TmpGrace)
	if err != nil || len(lines) != 0 {
		t.Errorf("Prune(grace) = %q, %v, want nothing", lines, err)
	}
	if _, err := os.Stat(oldTmp); !os.IsNotExist(err) {
		t.Errorf("stale tmp entry kept: %v", err)
	}
	if _, err := os.Stat(newTmp); err != nil {
		t.Errorf("young tmp entry removed: %v", err)
	}
	lines, _, err = s.Prune(ctx, 0)
	want := []string{"Deleted: " + string(orphan.Digest), "Deleted: sha256:" + strings.Repeat("ab", 32)}
	if err != nil || !slices.Equal(lines, want) {
		t.Errorf("Prune(0) = %q, %v, want %q", lines, err, want)
	}
	if _, err := s.Resolve("keep"); err != nil {
		t.Errorf("Resolve(keep) after Prune = %v", err)
	}
	if dirs, err := s.LayerDirs(ctx, img); err != nil {
		t.Errorf("LayerDirs(keep) after Prune = %v, %v", dirs, err)
	}
	os.Remove(newTmp)
	checkClean(t, s)
}

func TestImagesOrder(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	for i, day := range []int{3, 1, 2} {
		_, err := s.Import(context.Background(), bytes.NewReader(smallTar(t, fmt.Sprint(i))), ImportOptions{
			Ref: fmt.Sprintf("d%d", day), Created: time.Date(2024, 1, day, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
	}
	imgs, err := s.Images()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, img := range imgs {
		got = append(got, img.Names...)
	}
	want := []string{"docker.io/library/d3:latest", "docker.io/library/d2:latest", "docker.io/library/d1:latest"}
	if !slices.Equal(got, want) {
		t.Errorf("Images() names = %v, want %v (newest first)", got, want)
	}
}

// TestOCILayoutTools checks that skopeo and umoci read the root as an OCI
// image layout.
func TestOCILayoutTools(t *testing.T) {
	testutil.RequireRoot(t)
	s := newStore(t)
	img := importTar(t, s, testutil.BusyboxTar(t), "busybox")
	importTar(t, s, smallTar(t, "x"), "localhost:5000/team/app:v1")
	t.Run("skopeo", func(t *testing.T) {
		if _, err := exec.LookPath("skopeo"); err != nil {
			testutil.Missing(t, "skopeo is missing: apt-get install skopeo")
		}
		out, err := exec.Command("skopeo", "inspect", "oci:"+s.Root()+":docker.io/library/busybox:latest").Output()
		if err != nil {
			t.Fatalf("skopeo inspect: %v\n%s", err, exitStderr(err))
		}
		var got struct {
			Digest       digest.Digest
			Architecture string
			Os           string
			Layers       []digest.Digest
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("skopeo inspect output %q: %v", out, err)
		}
		if got.Digest != img.Digest || got.Os != "linux" || len(got.Layers) != 1 || got.Layers[0] != img.Manifest.Layers[0].Digest {
			t.Errorf("skopeo inspect = %+v, want digest %s", got, img.Digest)
		}
		// And it can copy the image out, verifying every blob.
		dst := t.TempDir()
		if out, err := exec.Command("skopeo", "copy", "oci:"+s.Root()+":localhost:5000/team/app:v1", "oci:"+dst+":x").CombinedOutput(); err != nil {
			t.Errorf("skopeo copy: %v\n%s", err, out)
		}
	})
	t.Run("umoci", func(t *testing.T) {
		if _, err := exec.LookPath("umoci"); err != nil {
			testutil.Missing(t, "umoci is missing: apt-get install umoci")
		}
		out, err := exec.Command("umoci", "ls", "--layout", s.Root()).CombinedOutput()
		if err != nil {
			t.Fatalf("umoci ls: %v\n%s", err, out)
		}
		tags := strings.Fields(string(out))
		slices.Sort(tags)
		if want := []string{"docker.io/library/busybox:latest", "localhost:5000/team/app:v1"}; !slices.Equal(tags, want) {
			t.Errorf("umoci ls = %q, want %q", tags, want)
		}
		bundle := filepath.Join(t.TempDir(), "bundle")
		if out, err := exec.Command("umoci", "unpack", "--image", s.Root()+":docker.io/library/busybox:latest", bundle).CombinedOutput(); err != nil {
			t.Fatalf("umoci unpack: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(bundle, "rootfs/bin/busybox")); err != nil {
			t.Errorf("umoci unpack: %v", err)
		}
	})
}

func exitStderr(err error) []byte {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr
	}
	return nil
}

func TestImportSymlinkThenWrite(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	hostile := testutil.Tar(t,
		testutil.TarEntry{Name: "d", Typeflag: '2', Linkname: "/"},
		testutil.TarEntry{Name: "d/etc/passwd", Body: "pwned"},
		testutil.TarEntry{Name: "u", Typeflag: '2', Linkname: "../../../../../.."},
		testutil.TarEntry{Name: "u/marker-dock-test", Body: "pwned"},
	)
	img, err := s.Import(ctx, bytes.NewReader(hostile), ImportOptions{Ref: "symlinks"})
	if err != nil {
		// Refusing is as good as confining.
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("Import(symlink then write) = %v, want success or ErrInvalid", err)
		}
		checkClean(t, s)
		return
	}
	dirs, err := s.LayerDirs(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dirs[0], "etc/passwd")); err != nil || string(b) != "pwned" {
		t.Errorf("etc/passwd inside the layer = %q, %v, want the write confined there", b, err)
	}
	if b, _ := os.ReadFile("/etc/passwd"); string(b) == "pwned" {
		t.Fatal("host /etc/passwd overwritten")
	}
	if _, err := os.Lstat("/marker-dock-test"); err == nil {
		t.Fatal("file written at the host's /")
	}
	checkClean(t, s)
}
