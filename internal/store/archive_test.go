package store

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-dock/dock/internal/testutil"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// untar reads a tar into a map of its regular files, and the names of all
// its entries in order.
func untar(t testing.TB, b []byte) (map[string][]byte, []string) {
	t.Helper()
	files := map[string][]byte{}
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, names
		}
		if err != nil {
			t.Fatalf("untar: %v", err)
		}
		names = append(names, h.Name)
		if h.Typeflag == tar.TypeReg {
			files[h.Name], _ = io.ReadAll(tr)
		}
	}
}

// retar writes files as a tar, sorted by name.
func retar(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var es []testutil.TarEntry
	for n, b := range files {
		es = append(es, testutil.TarEntry{Name: n, Body: string(b)})
	}
	slices.SortFunc(es, func(a, b testutil.TarEntry) int { return strings.Compare(a.Name, b.Name) })
	return testutil.Tar(t, es...)
}

func saveBytes(t testing.TB, s *Store, refs []string, f ArchiveFormat) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Save(context.Background(), &buf, refs, SaveOptions{Format: f}); err != nil {
		t.Fatalf("Save(%q, %v) = %v", refs, f, err)
	}
	return buf.Bytes()
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := newStore(t)
	a := importTar(t, src, smallTar(t, "a"), "app:1")
	if err := src.Tag("app:1", "app:2"); err != nil {
		t.Fatal(err)
	}
	b := importTar(t, src, smallTar(t, "b"), "")
	importTar(t, src, smallTar(t, "other"), "other")

	for _, f := range []ArchiveFormat{DockerArchive, OCIArchive} {
		t.Run(f.String(), func(t *testing.T) {
			refs := []string{"app", b.ID.String()[:19], "app:1"}
			out := saveBytes(t, src, refs, f)
			if again := saveBytes(t, src, refs, f); !bytes.Equal(out, again) {
				t.Errorf("two saves differ")
			}
			_, names := untar(t, out)
			if !slices.IsSorted(names) {
				t.Errorf("entries not sorted: %q", names)
			}
			want := []string{archiveManifestFile, archiveRepositoriesFile}
			for _, n := range want {
				if has := slices.Contains(names, n); has != (f == DockerArchive) {
					t.Errorf("archive has %s = %v", n, has)
				}
			}

			dst := newStore(t)
			for _, in := range [][]byte{out, testutil.Gzip(t, out)} {
				imgs, err := dst.Load(ctx, bytes.NewReader(in), LoadOptions{})
				if err != nil {
					t.Fatalf("Load() = %v", err)
				}
				if len(imgs) != 2 {
					t.Fatalf("Load() = %d images, want 2", len(imgs))
				}
				if g := imgs[0]; g.ID != a.ID || g.Digest != a.Digest || !slices.Equal(g.Names, []string{"docker.io/library/app:1", "docker.io/library/app:2"}) {
					t.Errorf("Load()[0] = %s %s %q, want %s %s app:1 app:2", g.ID, g.Digest, g.Names, a.ID, a.Digest)
				}
				if g := imgs[1]; g.ID != b.ID || g.Digest != b.Digest || len(g.Names) != 0 {
					t.Errorf("Load()[1] = %s %s %q, want %s %s untagged", g.ID, g.Digest, g.Names, b.ID, b.Digest)
				}
			}
			if got := tagsInIndex(t, dst); !slices.Equal(got, []string{"", "docker.io/library/app:1", "docker.io/library/app:2"}) {
				t.Errorf("index tags = %q", got)
			}
			if testutil.InCI() || os.Geteuid() == 0 {
				img, err := dst.Resolve("app:2")
				if err != nil {
					t.Fatal(err)
				}
				dirs, err := dst.LayerDirs(ctx, img)
				if err != nil {
					t.Fatalf("LayerDirs(loaded) = %v", err)
				}
				if got, err := os.ReadFile(filepath.Join(dirs[0], "etc/hello")); err != nil || string(got) != "a" {
					t.Errorf("etc/hello = %q, %v", got, err)
				}
			}
			checkClean(t, dst)
		})
	}
}

func TestSaveDockerArchiveLayout(t *testing.T) {
	s := newStore(t)
	img := importTar(t, s, smallTar(t, "a"), "localhost:5000/team/app:v1")
	out := saveBytes(t, s, []string{"localhost:5000/team/app:v1"}, DockerArchive)
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(time.Unix(0, 0)) || h.Uid != 0 || h.Gid != 0 || h.Uname != "" {
			t.Errorf("%s: mtime %v owner %d:%d %q", h.Name, h.ModTime, h.Uid, h.Gid, h.Uname)
		}
	}
	files, names := untar(t, out)
	cfg := blobName(img.ID)
	layer := blobName(img.Manifest.Layers[0].Digest)
	wantNames := []string{"blobs/", "blobs/sha256/"}
	wantNames = append(wantNames, slices.Sorted(slices.Values([]string{cfg, layer, blobName(img.Digest)}))...)
	wantNames = append(wantNames, indexFile, archiveManifestFile, ociLayoutFile, archiveRepositoriesFile)
	if !slices.Equal(names, wantNames) {
		t.Errorf("entries = %q, want %q", names, wantNames)
	}
	var items []dockerManifestItem
	if err := json.Unmarshal(files[archiveManifestFile], &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Config != cfg || !slices.Equal(items[0].Layers, []string{layer}) ||
		!slices.Equal(items[0].RepoTags, []string{"localhost:5000/team/app:v1"}) {
		t.Errorf("manifest.json = %s", files[archiveManifestFile])
	}
	if got, want := string(files[archiveRepositoriesFile]), `{"localhost:5000/team/app":{"v1":"`+img.Manifest.Layers[0].Digest.Encoded()+`"}}`; got != want {
		t.Errorf("repositories = %s, want %s", got, want)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(files[indexFile], &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != img.Digest ||
		idx.Manifests[0].Annotations[ocispec.AnnotationRefName] != "localhost:5000/team/app:v1" ||
		idx.Manifests[0].Annotations[annotationImageName] != "localhost:5000/team/app:v1" {
		t.Errorf("index.json = %s", files[indexFile])
	}
	if digest.FromBytes(files[cfg]) != img.ID || digest.FromBytes(files[layer]) != img.Manifest.Layers[0].Digest {
		t.Errorf("blobs do not match their names")
	}
}

func TestSaveErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := importTar(t, s, smallTar(t, "a"), "app")
	for _, tc := range []struct {
		refs []string
		want error
	}{
		{nil, ErrInvalid},
		{[]string{"Bad Ref"}, ErrInvalid},
		{[]string{"app", "nope"}, ErrNotFound},
		{[]string{"sha256:" + strings.Repeat("0", 64)}, ErrNotFound},
	} {
		if err := s.Save(ctx, io.Discard, tc.refs, SaveOptions{}); !errors.Is(err, tc.want) {
			t.Errorf("Save(%q) = %v, want %v", tc.refs, err, tc.want)
		}
	}
	if err := s.Save(ctx, io.Discard, []string{"app"}, SaveOptions{Format: 7}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Save(format 7) = %v, want ErrInvalid", err)
	}
	// A corrupt layer blob is noticed while it is copied.
	p := s.blobPath(img.Manifest.Layers[0].Digest)
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0xff
	os.Chmod(p, 0o644)
	os.WriteFile(p, b, 0o644)
	if err := s.Save(ctx, io.Discard, []string{"app"}, SaveOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Save(corrupt blob) = %v, want ErrInvalid", err)
	}
	os.Remove(p)
	if err := s.Save(ctx, io.Discard, []string{"app"}, SaveOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Save(missing blob) = %v, want ErrNotFound", err)
	}
}

// legacyArchive builds an archive as "docker save" before Docker 25 wrote
// it: <config hex>.json, <id>/layer.tar (the second layer a symlink to
// the first's file), manifest.json and repositories.
func legacyArchive(t testing.TB, layer []byte, diffIDs []digest.Digest, repoTags string) ([]byte, digest.Digest) {
	t.Helper()
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := mustJSON(t, ocispec.Image{
		Created:  &created,
		Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Config:   ocispec.ImageConfig{Cmd: []string{"sh"}},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
		History:  []ocispec.History{{Created: &created, CreatedBy: "one"}, {Created: &created, CreatedBy: "two"}},
	})
	id := digest.FromBytes(cfg)
	d1, d2 := strings.Repeat("1", 64), strings.Repeat("2", 64)
	manifest := `[{"Config":"` + id.Encoded() + `.json","RepoTags":` + repoTags + `,"Layers":["` + d1 + `/layer.tar","` + d2 + `/layer.tar"]}]`
	return testutil.Tar(t,
		testutil.TarEntry{Name: d1 + "/"},
		testutil.TarEntry{Name: d1 + "/VERSION", Body: "1.0"},
		testutil.TarEntry{Name: d1 + "/json", Body: "{}"},
		testutil.TarEntry{Name: d1 + "/layer.tar", Body: string(layer)},
		testutil.TarEntry{Name: d2 + "/"},
		testutil.TarEntry{Name: d2 + "/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../" + d1 + "/layer.tar"},
		testutil.TarEntry{Name: id.Encoded() + ".json", Body: string(cfg)},
		testutil.TarEntry{Name: "manifest.json", Body: manifest},
		testutil.TarEntry{Name: "repositories", Body: `{"busybox":{"latest":"` + d2 + `"}}`},
	), id
}

func TestLoadLegacyDockerArchive(t *testing.T) {
	ctx := context.Background()
	layer := smallTar(t, "legacy")
	diffID := digest.FromBytes(layer)
	archive, id := legacyArchive(t, layer, []digest.Digest{diffID, diffID}, `["busybox:latest","localhost:5000/bb:1"]`)
	for name, in := range map[string][]byte{"plain": archive, "gzip": testutil.Gzip(t, archive)} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			imgs, err := s.Load(ctx, bytes.NewReader(in), LoadOptions{})
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			if len(imgs) != 1 {
				t.Fatalf("Load() = %d images", len(imgs))
			}
			img := imgs[0]
			if img.ID != id || !slices.Equal(img.Names, []string{"docker.io/library/busybox:latest", "localhost:5000/bb:1"}) ||
				len(img.Config.History) != 2 || !slices.Equal(img.Config.Config.Cmd, []string{"sh"}) {
				t.Errorf("Load() = %s %q %+v", img.ID, img.Names, img.Config)
			}
			// Stored as it came: an uncompressed layer whose digest is its diff ID.
			want := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: diffID, Size: int64(len(layer))}
			if len(img.Manifest.Layers) != 2 || !descEqual(img.Manifest.Layers[0], want) || !descEqual(img.Manifest.Layers[1], want) {
				t.Errorf("layers = %+v, want twice %+v", img.Manifest.Layers, want)
			}
			if got, err := s.Resolve("busybox"); err != nil || got.Digest != img.Digest {
				t.Errorf("Resolve(busybox) = %v, %v", got, err)
			}
			if os.Geteuid() == 0 {
				dirs, err := s.LayerDirs(ctx, img)
				if err != nil || len(dirs) != 2 {
					t.Fatalf("LayerDirs() = %v, %v", dirs, err)
				}
				if b, err := os.ReadFile(filepath.Join(dirs[1], "etc/hello")); err != nil || string(b) != "legacy" {
					t.Errorf("etc/hello = %q, %v", b, err)
				}
			}
			// Saved and loaded again: same image, same manifest.
			s2 := newStore(t)
			again, err := s2.Load(ctx, bytes.NewReader(saveBytes(t, s, []string{"busybox"}, DockerArchive)), LoadOptions{})
			if err != nil || len(again) != 1 || again[0].ID != id || again[0].Digest != img.Digest {
				t.Errorf("Load(Save(loaded)) = %v, %v", again, err)
			}
			checkClean(t, s)
		})
	}
}

func descEqual(a, b ocispec.Descriptor) bool {
	return a.MediaType == b.MediaType && a.Digest == b.Digest && a.Size == b.Size
}

// ociArchive builds an OCI archive of one image of one gzip layer; mod
// may change the parts before they are written.
type ociParts struct {
	layer    []byte // gzip
	layerMT  string
	config   ocispec.Image
	manifest ocispec.Manifest
	index    ocispec.Index
	extra    map[string][]byte
}

func newOCIParts(t testing.TB, body string) *ociParts {
	tarb := smallTar(t, body)
	p := &ociParts{layer: testutil.Gzip(t, tarb), layerMT: ocispec.MediaTypeImageLayerGzip, extra: map[string][]byte{}}
	p.config = ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(tarb)}},
	}
	return p
}

func (p *ociParts) build(t testing.TB, fix func(files map[string][]byte)) []byte {
	t.Helper()
	files := map[string][]byte{}
	put := func(b []byte) ocispec.Descriptor {
		d := digest.FromBytes(b)
		files[blobName(d)] = b
		return ocispec.Descriptor{Digest: d, Size: int64(len(b))}
	}
	ld := put(p.layer)
	ld.MediaType = p.layerMT
	cd := put(mustJSON(t, p.config))
	cd.MediaType = ocispec.MediaTypeImageConfig
	if p.manifest.SchemaVersion == 0 {
		p.manifest = ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cd, Layers: []ocispec.Descriptor{ld}}
	}
	md := put(mustJSON(t, p.manifest))
	md.MediaType = ocispec.MediaTypeImageManifest
	if p.index.SchemaVersion == 0 {
		md.Annotations = map[string]string{ocispec.AnnotationRefName: "busybox:latest"}
		p.index = ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{md}}
	}
	files[indexFile] = mustJSON(t, p.index)
	files[ociLayoutFile] = []byte(`{"imageLayoutVersion":"1.0.0"}`)
	for n, b := range p.extra {
		files[n] = b
	}
	if fix != nil {
		fix(files)
	}
	return retar(t, files)
}

func TestLoadOCIArchive(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p := newOCIParts(t, "oci")
	imgs, err := s.Load(ctx, bytes.NewReader(p.build(t, nil)), LoadOptions{})
	if err != nil || len(imgs) != 1 || !slices.Equal(imgs[0].Names, []string{"docker.io/library/busybox:latest"}) {
		t.Fatalf("Load() = %v, %v", imgs, err)
	}
	if imgs[0].ID != p.manifest.Config.Digest || imgs[0].Digest != p.index.Manifests[0].Digest {
		t.Errorf("Load() = %s %s, want %s %s", imgs[0].ID, imgs[0].Digest, p.manifest.Config.Digest, p.index.Manifests[0].Digest)
	}

	// Names: containerd's annotation first; a bare ref.name is only a tag.
	for _, tc := range []struct {
		ann  map[string]string
		want []string
	}{
		{map[string]string{ocispec.AnnotationRefName: "latest", annotationImageName: "docker.io/library/x:1"}, []string{"docker.io/library/x:1"}},
		{map[string]string{ocispec.AnnotationRefName: "latest"}, nil},
		{map[string]string{ocispec.AnnotationRefName: "docker.io/library/y:2"}, []string{"docker.io/library/y:2"}},
		{map[string]string{ocispec.AnnotationRefName: "Not:A/Ref"}, nil},
		{nil, nil},
	} {
		q := newOCIParts(t, "names")
		q.build(t, nil)
		q.index.Manifests[0].Annotations = tc.ann
		s := newStore(t)
		imgs, err := s.Load(ctx, bytes.NewReader(q.build(t, nil)), LoadOptions{})
		if err != nil || len(imgs) != 1 || !slices.Equal(imgs[0].Names, tc.want) {
			t.Errorf("Load(annotations %v) = %v, %v, want names %q", tc.ann, imgs, err, tc.want)
		}
	}
}

func TestLoadOCIImageIndex(t *testing.T) {
	ctx := context.Background()
	p := newOCIParts(t, "multi")
	p.build(t, nil)
	md := p.index.Manifests[0]
	md.Annotations = nil
	md.Platform = &ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
	other := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("absent"), Size: 10,
		Platform: &ocispec.Platform{OS: "linux", Architecture: "s390x"}}
	att := md
	att.Platform = &ocispec.Platform{OS: "unknown", Architecture: "unknown"}
	att.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest"}
	inner := mustJSON(t, ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{att, other, md}})
	id := digest.FromBytes(inner)
	p.extra[blobName(id)] = inner
	p.index.Manifests = []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageIndex, Digest: id, Size: int64(len(inner)),
		Annotations: map[string]string{annotationImageName: "docker.io/library/multi:1", ocispec.AnnotationRefName: "1"}}}
	archive := p.build(t, nil)

	s := newStore(t)
	imgs, err := s.Load(ctx, bytes.NewReader(archive), LoadOptions{})
	if err != nil || len(imgs) != 1 || imgs[0].Digest != md.Digest || !slices.Equal(imgs[0].Names, []string{"docker.io/library/multi:1"}) {
		t.Errorf("Load(index) = %v, %v, want manifest %s", imgs, err, md.Digest)
	}
	_, err = s.Load(ctx, bytes.NewReader(archive), LoadOptions{Platform: ocispec.Platform{Architecture: "s390x"}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "linux/s390x") {
		t.Errorf("Load(s390x) = %v, want ErrInvalid naming linux/s390x", err)
	}
	checkClean(t, s)
}

func TestLoadHostile(t *testing.T) {
	ctx := context.Background()
	layer := smallTar(t, "h")
	diffID := digest.FromBytes(layer)
	good, _ := legacyArchive(t, layer, []digest.Digest{diffID, diffID}, `["h:1"]`)
	goodFiles, _ := untar(t, good)
	// untar drops the symlink of the second layer: make it a copy.
	goodFiles[strings.Repeat("2", 64)+"/layer.tar"] = layer
	withFiles := func(mod func(map[string][]byte)) []byte {
		files := map[string][]byte{}
		for n, b := range goodFiles {
			files[n] = b
		}
		mod(files)
		return retar(t, files)
	}
	manifestOf := func(files map[string][]byte) []dockerManifestItem {
		var items []dockerManifestItem
		if err := json.Unmarshal(files["manifest.json"], &items); err != nil {
			t.Fatal(err)
		}
		return items
	}
	setManifest := func(mod func(*dockerManifestItem)) []byte {
		return withFiles(func(files map[string][]byte) {
			items := manifestOf(files)
			mod(&items[0])
			files["manifest.json"] = mustJSON(t, items)
		})
	}
	// A tar whose manifest.json header claims 1 GB, then ends.
	var huge bytes.Buffer
	tw := tar.NewWriter(&huge)
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Size: 1 << 30, Mode: 0o644})
	tw.Flush()
	huge.Write(make([]byte, 4096))

	oci := newOCIParts(t, "h")
	ociGood := oci.build(t, nil)
	ociWith := func(mod func(p *ociParts), fix func(map[string][]byte)) []byte {
		q := newOCIParts(t, "h")
		if mod != nil {
			mod(q)
		}
		return q.build(t, fix)
	}
	manifestBlob := blobName(oci.index.Manifests[0].Digest)

	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not a tar", []byte(strings.Repeat("not a tar at all ", 100))},
		{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0}},
		{"no manifest", testutil.Tar(t, testutil.TarEntry{Name: "repositories", Body: "{}"})},
		{"dot-dot entry", withFiles(func(f map[string][]byte) { f["../x"] = []byte("x") })},
		{"dot-dot inside entry", withFiles(func(f map[string][]byte) { f["a/../../x"] = []byte("x") })},
		{"absolute entry", withFiles(func(f map[string][]byte) { f["/etc/x"] = []byte("x") })},
		{"symlink out", testutil.Tar(t, testutil.TarEntry{Name: "a/l", Typeflag: tar.TypeSymlink, Linkname: "../../etc/passwd"})},
		{"absolute symlink", testutil.Tar(t, testutil.TarEntry{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})},
		{"hard link out", testutil.Tar(t, testutil.TarEntry{Name: "l", Typeflag: tar.TypeLink, Linkname: "../x"})},
		{"device", testutil.Tar(t, testutil.TarEntry{Name: "dev", Typeflag: tar.TypeChar})},
		{"duplicate", append(good[:len(good)-1024:len(good)-1024], testutil.Tar(t, testutil.TarEntry{Name: "manifest.json", Body: "[]"})...)},
		{"manifest null", withFiles(func(f map[string][]byte) { f["manifest.json"] = []byte("null") })},
		{"manifest empty", withFiles(func(f map[string][]byte) { f["manifest.json"] = []byte("[]") })},
		{"manifest not json", withFiles(func(f map[string][]byte) { f["manifest.json"] = []byte("[{") })},
		{"manifest 1 GB", huge.Bytes()},
		{"manifest 5 MB", withFiles(func(f map[string][]byte) { f["manifest.json"] = bytes.Repeat([]byte(" "), MaxMetadataSize+1) })},
		{"config outside", setManifest(func(m *dockerManifestItem) { m.Config = "../../etc/passwd" })},
		{"config absolute", setManifest(func(m *dockerManifestItem) { m.Config = "/etc/passwd" })},
		{"config absent", setManifest(func(m *dockerManifestItem) { m.Config = "nope.json" })},
		{"config empty", setManifest(func(m *dockerManifestItem) { m.Config = "" })},
		{"layer absent", setManifest(func(m *dockerManifestItem) { m.Layers[1] = "nope/layer.tar" })},
		{"layer outside", setManifest(func(m *dockerManifestItem) { m.Layers[0] = "../layer.tar" })},
		{"layers fewer than diff IDs", setManifest(func(m *dockerManifestItem) { m.Layers = m.Layers[:1] })},
		{"bad repo tag", setManifest(func(m *dockerManifestItem) { m.RepoTags = []string{"Bad:Tag"} })},
		{"repo tag with digest", setManifest(func(m *dockerManifestItem) { m.RepoTags = []string{"a@" + string(diffID)} })},
		{"diff ID mismatch", func() []byte {
			b, _ := legacyArchive(t, layer, []digest.Digest{diffID, digest.FromString("other")}, `[]`)
			return b
		}()},
		{"truncated", good[:len(good)/2]},
		{"truncated gzip", func() []byte { z := testutil.Gzip(t, good); return z[:len(z)-100] }()},
		{"oci truncated", ociGood[:len(ociGood)-3000]},
		{"oci blob corrupt", ociWith(nil, func(f map[string][]byte) {
			b := bytes.Clone(f[manifestBlob])
			b[10] = 'X'
			f[manifestBlob] = b
		})},
		{"oci layout version", ociWith(nil, func(f map[string][]byte) { f[ociLayoutFile] = []byte(`{"imageLayoutVersion":"2.0.0"}`) })},
		{"oci no index", ociWith(nil, func(f map[string][]byte) { delete(f, indexFile) })},
		{"oci manifest absent", ociWith(nil, func(f map[string][]byte) { delete(f, manifestBlob) })},
		{"oci manifest size", ociWith(func(p *ociParts) { p.build(t, nil); p.index.Manifests[0].Size++ }, nil)},
		{"oci layer zstd", ociWith(func(p *ociParts) { p.layerMT = "application/vnd.oci.image.layer.v1.tar+zstd" }, nil)},
		{"oci layer type lies", ociWith(func(p *ociParts) { p.layerMT = ocispec.MediaTypeImageLayer }, nil)},
		{"oci diff ID", ociWith(func(p *ociParts) { p.config.RootFS.DiffIDs[0] = digest.FromString("x") }, nil)},
		{"oci diff ID path", ociWith(func(p *ociParts) { p.config.RootFS.DiffIDs[0] = "sha256:../../x" }, nil)},
		{"oci rootfs type", ociWith(func(p *ociParts) { p.config.RootFS.Type = "other" }, nil)},
		{"oci containerd name", ociWith(func(p *ociParts) {
			p.build(t, nil)
			p.index.Manifests[0].Annotations[annotationImageName] = "Bad Name"
		}, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			importTar(t, s, smallTar(t, "existing"), "h:1")
			before, _ := os.ReadFile(s.path(indexFile))
			blobsBefore := listDir(t, s.path("blobs/sha256"))
			imgs, err := s.Load(ctx, bytes.NewReader(tc.in), LoadOptions{})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load() = %v, %v, want ErrInvalid", imgs, err)
			}
			t.Log(err)
			after, _ := os.ReadFile(s.path(indexFile))
			if !bytes.Equal(before, after) {
				t.Errorf("index.json changed")
			}
			if got := listDir(t, s.path("blobs/sha256")); !slices.Equal(got, blobsBefore) {
				t.Errorf("blobs = %q, want %q", got, blobsBefore)
			}
			checkClean(t, s)
		})
	}
}

func TestLoadCanceled(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := newOCIParts(t, "c")
	if _, err := s.Load(ctx, bytes.NewReader(p.build(t, nil)), LoadOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Load(canceled) = %v, want context.Canceled", err)
	}
	checkClean(t, s)
}

func TestLoadTagMoves(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	old := importTar(t, s, smallTar(t, "old"), "busybox")
	p := newOCIParts(t, "new")
	imgs, err := s.Load(ctx, bytes.NewReader(p.build(t, nil)), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Resolve("busybox")
	if err != nil || got.ID != imgs[0].ID {
		t.Errorf("Resolve(busybox) = %v, %v, want the loaded image", got, err)
	}
	if got, err := s.Resolve(old.ID.String()); err != nil || len(got.Names) != 0 {
		t.Errorf("old image = %v, %v, want kept untagged", got, err)
	}
	// Loading the same archive again changes nothing.
	before, _ := os.ReadFile(s.path(indexFile))
	if _, err := s.Load(ctx, bytes.NewReader(p.build(t, nil)), LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(s.path(indexFile)); !bytes.Equal(before, after) {
		t.Errorf("index.json changed by a second load: %s\nwas %s", after, before)
	}
	checkClean(t, s)
}

// FuzzLoadArchive feeds arbitrary archives to Load: it must fail with an
// error or load images, never panic, and leave tmp/ clean.
func FuzzLoadArchive(f *testing.F) {
	layer := smallTar(f, "f")
	legacy, _ := legacyArchive(f, layer, []digest.Digest{digest.FromBytes(layer), digest.FromBytes(layer)}, `["f:1"]`)
	f.Add(legacy)
	f.Add(newOCIParts(f, "f").build(f, nil))
	f.Add(testutil.Tar(f, testutil.TarEntry{Name: "manifest.json", Body: `[{"Config":"../c","Layers":["/x"]}]`}))
	s, err := Open(f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		imgs, err := s.Load(context.Background(), bytes.NewReader(b), LoadOptions{})
		if err == nil {
			for _, img := range imgs {
				if validDigest(img.ID) != nil || validDigest(img.Digest) != nil {
					t.Fatalf("Load() = image %s %s", img.ID, img.Digest)
				}
			}
		}
		if des, _ := os.ReadDir(s.path("tmp")); len(des) != 0 {
			t.Fatalf("tmp/ has %d entries", len(des))
		}
	})
}

func TestLoadDockerArchiveSameImageTwice(t *testing.T) {
	layer := smallTar(t, "twice")
	diffID := digest.FromBytes(layer)
	archive, id := legacyArchive(t, layer, []digest.Digest{diffID, diffID}, `["a:1"]`)
	files, _ := untar(t, archive)
	files[strings.Repeat("2", 64)+"/layer.tar"] = layer
	var items []dockerManifestItem
	if err := json.Unmarshal(files[archiveManifestFile], &items); err != nil {
		t.Fatal(err)
	}
	second := items[0]
	second.RepoTags = []string{"a:2"}
	files[archiveManifestFile] = mustJSON(t, append(items, second))
	s := newStore(t)
	imgs, err := s.Load(context.Background(), bytes.NewReader(retar(t, files)), LoadOptions{})
	if err != nil || len(imgs) != 1 || imgs[0].ID != id || !slices.Equal(imgs[0].Names, []string{"docker.io/library/a:1", "docker.io/library/a:2"}) {
		t.Errorf("Load(one image twice) = %v, %v, want %s tagged a:1 and a:2", imgs, err, id)
	}
	checkClean(t, s)
}
