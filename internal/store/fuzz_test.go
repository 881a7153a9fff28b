package store

import (
	"os"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzLoad feeds arbitrary manifest and config bytes to the code that
// reads images from the index: it must return an error or an image whose
// digests are all valid, never panic.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"digest":"sha256:../../x","size":-1}]}`), []byte(`{}`))
	f.Add([]byte(`{"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}}`), []byte(`{"rootfs":{"diff_ids":["sha256:AA"]}}`))
	f.Add([]byte(`null`), []byte(`null`))
	s, err := Open(f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, manifest, config []byte) {
		put := func(b []byte) ocispec.Descriptor { // no fsync: fast
			d := digest.FromBytes(b)
			if err := os.WriteFile(s.blobPath(d), b, 0o644); err != nil {
				t.Fatal(err)
			}
			return ocispec.Descriptor{Digest: d, Size: int64(len(b))}
		}
		put(config)
		md := put(manifest)
		for _, mt := range []string{ocispec.MediaTypeImageManifest, mediaTypeDockerManifest} {
			img, err := s.load(&entry{desc: ocispec.Descriptor{MediaType: mt, Digest: md.Digest, Size: md.Size}})
			if err != nil {
				continue
			}
			for _, d := range append([]digest.Digest{img.ID}, img.Config.RootFS.DiffIDs...) {
				if validDigest(d) != nil {
					t.Fatalf("load accepted digest %q", d)
				}
			}
			for _, l := range img.Manifest.Layers {
				if validDigest(l.Digest) != nil || l.Size < 0 {
					t.Fatalf("load accepted layer %+v", l)
				}
			}
		}
		idx := newIndex()
		idx.Manifests = []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageManifest, Digest: md.Digest, Size: md.Size}}
		_ = s.reachable(idx)
	})
}
