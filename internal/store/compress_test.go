package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-dock/dock/internal/testutil"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zstdBytes compresses b into one zstd frame (with a checksum).
func zstdBytes(t testing.TB, b []byte, opts ...zstd.EOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, opts...)
	require.NoError(t, err)
	_, err = w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// zstdBombs are frames of a few bytes (a header and one raw block of one
// byte) that declare windows far over maxZstdWindow.
func zstdBombs() map[string][]byte {
	magic := []byte{0x28, 0xb5, 0x2f, 0xfd}
	block := []byte{0x09, 0, 0, 'x'} // last block, raw, 1 byte
	// Window_Descriptor: exponent 20, windowLog 30: 1 GiB.
	window := append(append(bytes.Clone(magic), 0x00, 20<<3), block...)
	// Single segment, 8-byte content size of 1 TiB: the window is that.
	single := append(bytes.Clone(magic), 0xe0)
	single = binary.LittleEndian.AppendUint64(single, 1<<40)
	single = append(single, block...)
	// Just over the limit: windowLog 27 (128 MiB), mantissa 1 (+1/8).
	over := append(append(bytes.Clone(magic), 0x00, 17<<3|1), block...)
	return map[string][]byte{"zstd bomb 1 GiB window": window, "zstd bomb 1 TiB single segment": single, "zstd bomb 144 MiB window": over}
}

// failReader yields b, then err.
type failReader struct {
	b   []byte
	err error
}

func (f *failReader) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, f.err
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

func TestDecompress(t *testing.T) {
	tarb := smallTar(t, "hello")
	gz := testutil.Gzip(t, tarb)
	zs := zstdBytes(t, tarb)
	corrupt := bytes.Clone(zs)
	for i := len(corrupt) / 3; i < len(corrupt)*2/3; i++ {
		corrupt[i] ^= 0x5a
	}
	twoFrames := append(zstdBytes(t, tarb[:100]), zstdBytes(t, tarb[100:])...)
	bigWindow := zstdBytes(t, tarb, zstd.WithWindowSize(64<<20)) // under the limit
	tests := []struct {
		name, mt string
		in       []byte
		wantErr  bool
	}{
		{"oci tar", ocispec.MediaTypeImageLayer, tarb, false},
		{"oci gzip", ocispec.MediaTypeImageLayerGzip, gz, false},
		{"docker gzip", mediaTypeDockerLayer, gz, false},
		{"oci zstd", ocispec.MediaTypeImageLayerZstd, zs, false},
		{"zstd two frames", ocispec.MediaTypeImageLayerZstd, twoFrames, false},
		{"zstd 64 MiB window", ocispec.MediaTypeImageLayerZstd, bigWindow, false},
		{"detect tar", mediaTypeDetect, tarb, false},
		{"detect gzip", mediaTypeDetect, gz, false},
		{"detect zstd", mediaTypeDetect, zs, false},
		{"unknown media type", "application/vnd.oci.image.layer.v1.tar+xz", tarb, true},
		{"config media type", ocispec.MediaTypeImageConfig, tarb, true},
		{"detect xz", mediaTypeDetect, []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0}, true},
		{"detect bzip2", mediaTypeDetect, []byte("BZh91AY&SY"), true},
		{"zstd corrupt", ocispec.MediaTypeImageLayerZstd, corrupt, true},
		{"zstd truncated", ocispec.MediaTypeImageLayerZstd, zs[:len(zs)-5], true},
		{"zstd header only", ocispec.MediaTypeImageLayerZstd, zs[:6], true},
		{"zstd labeled, gzip inside", ocispec.MediaTypeImageLayerZstd, gz, true},
		{"gzip truncated", ocispec.MediaTypeImageLayerGzip, gz[:len(gz)-5], true},
		{"gzip labeled, zstd inside", ocispec.MediaTypeImageLayerGzip, zs, true},
	}
	for name, b := range zstdBombs() {
		tests = append(tests, struct {
			name, mt string
			in       []byte
			wantErr  bool
		}{name, ocispec.MediaTypeImageLayerZstd, b, true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			rc, err := decompress(tc.mt, bytes.NewReader(tc.in))
			if err == nil {
				got, err = io.ReadAll(rc)
				require.NoError(t, rc.Close())
			}
			if tc.wantErr {
				assert.ErrorIs(t, err, ErrInvalid)
				t.Log(err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tarb, got)
		})
	}
}

// The reader's own errors (a network, a disk) are not the bytes' fault.
func TestDecompressPassesReaderErrors(t *testing.T) {
	errNet := errors.New("connection reset")
	tarb := bytes.Repeat(smallTar(t, "x"), 64)
	for _, tc := range []struct{ name, mt string }{
		{"gzip", ocispec.MediaTypeImageLayerGzip},
		{"zstd", ocispec.MediaTypeImageLayerZstd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := testutil.Gzip(t, tarb)
			if tc.name == "zstd" {
				b = zstdBytes(t, tarb)
			}
			rc, err := decompress(tc.mt, &failReader{b: b[:len(b)/2], err: errNet})
			if err == nil {
				_, err = io.ReadAll(rc)
				rc.Close()
			}
			assert.ErrorIs(t, err, errNet)
			assert.NotErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestPutLayerStreamCompressions(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	tarb := smallTar(t, "compressed")
	diffID := digest.FromBytes(tarb)
	zs := zstdBytes(t, tarb)
	corrupt := bytes.Clone(zs)
	corrupt[len(corrupt)/2] ^= 0xff
	type blob struct {
		mt string
		b  []byte
	}
	tests := []struct {
		name    string
		in      blob
		wantErr bool
	}{
		{"gzip", blob{ocispec.MediaTypeImageLayerGzip, testutil.Gzip(t, tarb)}, false},
		{"docker gzip", blob{mediaTypeDockerLayer, testutil.Gzip(t, tarb)}, false},
		{"zstd", blob{ocispec.MediaTypeImageLayerZstd, zs}, false},
		{"plain", blob{ocispec.MediaTypeImageLayer, tarb}, false},
		{"zstd corrupt", blob{ocispec.MediaTypeImageLayerZstd, corrupt}, true},
		{"zstd truncated", blob{ocispec.MediaTypeImageLayerZstd, zs[:len(zs)/2]}, true},
		{"zstd of another tar", blob{ocispec.MediaTypeImageLayerZstd, zstdBytes(t, smallTar(t, "other"))}, true},
	}
	for name, b := range zstdBombs() {
		tests = append(tests, struct {
			name    string
			in      blob
			wantErr bool
		}{name, blob{ocispec.MediaTypeImageLayerZstd, b}, true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			desc := ocispec.Descriptor{MediaType: tc.in.mt, Digest: digest.FromBytes(tc.in.b), Size: int64(len(tc.in.b))}
			chain, err := s.PutLayerStream(ctx, desc, diffID, "", bytes.NewReader(tc.in.b))
			checkClean(t, s)
			if tc.wantErr {
				assert.ErrorIs(t, err, ErrInvalid)
				assert.Empty(t, listDir(t, s.path("layers")))
				assert.False(t, s.HasBlob(desc.Digest))
				return
			}
			require.NoError(t, err)
			assert.True(t, s.HasLayer(desc.Digest, chain))
			b, err := os.ReadFile(filepath.Join(s.layerPath(chain), diffDir, "etc/hello"))
			require.NoError(t, err)
			assert.Equal(t, "compressed", string(b))
		})
	}
}

// Load of archives with zstd layers (OCI, Docker) and of a zstd archive;
// LayerDirs unpacks their layers on first use.
func TestLoadZstd(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	tarb := smallTar(t, "zstd")
	zs := zstdBytes(t, tarb)
	ociZstd := func(layer []byte) []byte {
		p := newOCIParts(t, "zstd")
		p.layer, p.layerMT = layer, ocispec.MediaTypeImageLayerZstd
		return p.build(t, nil)
	}
	docker, _ := legacyArchive(t, zs, []digest.Digest{digest.FromBytes(tarb), digest.FromBytes(tarb)}, `["busybox:latest"]`)
	bomb := zstdBombs()["zstd bomb 1 GiB window"]
	tests := []struct {
		name    string
		in      []byte
		wantErr bool
	}{
		{"oci archive, zstd layer", ociZstd(zs), false},
		{"oci archive, gzip layer", newOCIParts(t, "zstd").build(t, nil), false},
		{"zstd oci archive, zstd layer", zstdBytes(t, ociZstd(zs)), false},
		{"gzip oci archive, zstd layer", testutil.Gzip(t, ociZstd(zs)), false},
		{"docker archive, zstd layer", docker, false},
		{"oci archive, zstd bomb layer", ociZstd(bomb), true},
		{"oci archive, corrupt zstd layer", ociZstd(append(bytes.Clone(zs[:len(zs)-8]), 0, 0, 0, 0, 0, 0, 0, 0)), true},
		{"zstd bomb archive", bomb, true},
		{"truncated zstd archive", func() []byte { b := zstdBytes(t, ociZstd(zs)); return b[:len(b)-10] }(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			imgs, err := s.Load(ctx, bytes.NewReader(tc.in), LoadOptions{})
			checkClean(t, s)
			if tc.wantErr {
				assert.ErrorIs(t, err, ErrInvalid)
				assert.Empty(t, tagsInIndex(t, s))
				return
			}
			require.NoError(t, err)
			require.Len(t, imgs, 1)
			dirs, err := s.LayerDirs(ctx, imgs[0])
			require.NoError(t, err)
			b, err := os.ReadFile(filepath.Join(dirs[0], "etc/hello"))
			require.NoError(t, err)
			assert.Equal(t, "zstd", string(b))
			checkClean(t, s)
		})
	}
}

// Import reads zstd tars too (and stores the layer gzip-compressed, as
// always).
func TestImportZstd(t *testing.T) {
	testutil.RequireRoot(t)
	tarb := smallTar(t, "imported")
	zs := zstdBytes(t, tarb)
	tests := []struct {
		name    string
		in      []byte
		wantErr bool
	}{
		{"zstd", zs, false},
		{"gzip", testutil.Gzip(t, tarb), false},
		{"zstd corrupt", append(bytes.Clone(zs[:len(zs)-8]), 1, 2, 3, 4, 5, 6, 7, 8), true},
		{"zstd truncated", zs[:len(zs)-3], true},
	}
	for name, b := range zstdBombs() {
		tests = append(tests, struct {
			name    string
			in      []byte
			wantErr bool
		}{name, b, true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			img, err := s.Import(context.Background(), bytes.NewReader(tc.in), ImportOptions{Ref: "z"})
			checkClean(t, s)
			if tc.wantErr {
				assert.ErrorIs(t, err, ErrInvalid)
				assert.Empty(t, listDir(t, s.path("layers")))
				return
			}
			require.NoError(t, err)
			require.Len(t, img.Manifest.Layers, 1)
			// Kept uncompressed, whatever the input's compression.
			assert.Equal(t, ocispec.MediaTypeImageLayer, img.Manifest.Layers[0].MediaType)
			assert.Equal(t, digest.FromBytes(tarb), img.Manifest.Layers[0].Digest)
			assert.Equal(t, digest.FromBytes(tarb), img.Config.RootFS.DiffIDs[0])
		})
	}
}
