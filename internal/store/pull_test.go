package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/go-dock/dock/internal/testutil"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// gzLayer is a gzip layer blob of tar b, its descriptor and diff ID.
func gzLayer(t testing.TB, b []byte) ([]byte, ocispec.Descriptor, digest.Digest) {
	gz := testutil.Gzip(t, b)
	return gz, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz), Size: int64(len(gz))}, digest.FromBytes(b)
}

func TestPutLayerStream(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	tarb := smallTar(t, "pulled")
	gz, desc, diffID := gzLayer(t, tarb)

	chain, err := s.PutLayerStream(ctx, desc, diffID, "", bytes.NewReader(gz))
	if err != nil || chain != diffID {
		t.Fatalf("PutLayerStream() = %s, %v, want chain %s", chain, err, diffID)
	}
	if !s.HasLayer(desc.Digest, chain) {
		t.Errorf("HasLayer(%s, %s) = false after PutLayerStream", desc.Digest, chain)
	}
	if b, err := os.ReadFile(filepath.Join(s.layerPath(chain), diffDir, "etc/hello")); err != nil || string(b) != "pulled" {
		t.Errorf("etc/hello = %q, %v", b, err)
	}
	// Again (another puller): both succeed, one copy.
	if _, err := s.PutLayerStream(ctx, desc, diffID, "", bytes.NewReader(gz)); err != nil {
		t.Errorf("PutLayerStream() again = %v", err)
	}
	// The same layer over a parent: another chain.
	chain2, err := s.PutLayerStream(ctx, desc, diffID, chain, bytes.NewReader(gz))
	if err != nil || chain2 != ChainID(chain, diffID) || !s.HasLayer(desc.Digest, chain2) {
		t.Errorf("PutLayerStream(parent) = %s, %v", chain2, err)
	}
	// The same tar, uncompressed: a new blob, the existing layer kept.
	plain := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(tarb), Size: int64(len(tarb))}
	if _, err := s.PutLayerStream(ctx, plain, diffID, "", bytes.NewReader(tarb)); err != nil || !s.HasBlob(plain.Digest) {
		t.Errorf("PutLayerStream(plain) = %v", err)
	}
	checkClean(t, s)
	if n := len(listDir(t, s.path("layers"))); n != 2 {
		t.Errorf("%d layers, want 2", n)
	}
}

func TestPutLayerStreamRefused(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	gz, desc, diffID := gzLayer(t, smallTar(t, "x"))
	bad := func(f func(d *ocispec.Descriptor)) ocispec.Descriptor { d := desc; f(&d); return d }
	other := digest.FromString("other")
	for _, tc := range []struct {
		name   string
		desc   ocispec.Descriptor
		diffID digest.Digest
		body   []byte
	}{
		{"diff ID", desc, other, gz},
		{"digest", bad(func(d *ocispec.Descriptor) { d.Digest = other }), diffID, gz},
		{"longer", bad(func(d *ocispec.Descriptor) { d.Size-- }), diffID, gz},
		{"shorter", bad(func(d *ocispec.Descriptor) { d.Size++ }), diffID, gz},
		{"truncated", desc, diffID, gz[:len(gz)/2]},
		{"corrupt", desc, diffID, append(append([]byte{}, gz[:20]...), bytes.Repeat([]byte{0xff}, len(gz)-20)...)},
		{"media type", bad(func(d *ocispec.Descriptor) { d.MediaType = "application/vnd.oci.image.layer.v1.tar+xz" }), diffID, gz},
		{"bad digest", bad(func(d *ocispec.Descriptor) { d.Digest = "sha256:../../etc" }), diffID, gz},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			_, err := s.PutLayerStream(ctx, tc.desc, tc.diffID, "", bytes.NewReader(tc.body))
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("PutLayerStream() = %v, want ErrInvalid", err)
			}
			checkClean(t, s)
			if n := len(listDir(t, s.path("layers"))) + len(listDir(t, s.path("blobs/sha256"))); n != 0 {
				t.Errorf("%d layers and blobs left", n)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.PutLayerStream(ctx, desc, diffID, "", bytes.NewReader(gz)); !errors.Is(err, context.Canceled) {
			t.Errorf("PutLayerStream(canceled) = %v", err)
		}
		checkClean(t, s)
	})
}

func TestPutLayerStreamConcurrent(t *testing.T) {
	testutil.RequireRoot(t)
	root := t.TempDir()
	stores := []*Store{openStore(t, root), openStore(t, root), openStore(t, root)}
	gz, desc, diffID := gzLayer(t, smallTar(t, "race"))
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = stores[i%3].PutLayerStream(context.Background(), desc, diffID, "", bytes.NewReader(gz))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("PutLayerStream() %d = %v", i, err)
		}
	}
	checkClean(t, stores[0])
	if !stores[0].HasLayer(desc.Digest, diffID) {
		t.Error("layer missing")
	}
}

func TestCommitImage(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	s := newStore(t)
	gz, desc, diffID := gzLayer(t, smallTar(t, "commit"))
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "arm64"}, RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}}})
	cdesc, err := s.PutBlob(ctx, bytes.NewReader(cfg), "", -1)
	if err != nil {
		t.Fatal(err)
	}
	cdesc.MediaType = ocispec.MediaTypeImageConfig
	man, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cdesc, Layers: []ocispec.Descriptor{desc}})
	plat := &ocispec.Platform{OS: "linux", Architecture: "arm64"}

	// The layer is missing: refused, nothing visible changes.
	if _, err := s.CommitImage(ctx, man, plat, "app:v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("CommitImage(layer missing) = %v, want ErrNotFound", err)
	}
	if tags := tagsInIndex(t, s); len(tags) != 0 {
		t.Errorf("index = %v after a refused commit", tags)
	}
	// The blob alone is not enough: the layer must be unpacked.
	if _, err := s.PutBlob(ctx, bytes.NewReader(gz), desc.Digest, desc.Size); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitImage(ctx, man, plat, "app:v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("CommitImage(layer not unpacked) = %v, want ErrNotFound", err)
	}
	if _, err := s.UnpackLayer(ctx, desc, diffID, ""); err != nil {
		t.Fatalf("UnpackLayer() = %v", err)
	}
	img, err := s.CommitImage(ctx, man, plat, "app:v1")
	if err != nil || img.Digest != digest.FromBytes(man) || img.ID != cdesc.Digest || len(img.Names) != 1 || img.Names[0] != "docker.io/library/app:v1" {
		t.Fatalf("CommitImage() = %+v, %v", img, err)
	}
	if got, err := s.Resolve("app:v1"); err != nil || got.ID != img.ID {
		t.Errorf("Resolve(app:v1) = %v, %v", got, err)
	}
	// Untagged commit of an image with tags: no change.
	if img, err := s.CommitImage(ctx, man, plat, ""); err != nil || len(img.Names) != 1 {
		t.Errorf("CommitImage(untagged) = %+v, %v", img, err)
	}
	if _, err := s.CommitImage(ctx, man, plat, "app@sha256:"+diffID.Encoded()); !errors.Is(err, ErrInvalid) {
		t.Errorf("CommitImage(digest tag) = %v, want ErrInvalid", err)
	}
	checkClean(t, s)
}
