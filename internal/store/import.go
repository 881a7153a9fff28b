package store

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/go-dock/dock/internal/archive"
	"github.com/go-dock/dock/internal/pipe"
	"github.com/go-dock/dock/internal/reference"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImportOptions configure Import. The zero value imports an untagged image
// with an empty configuration, created now.
type ImportOptions struct {
	// Ref tags the image: "repo" (tag "latest") or "repo:tag", normalized
	// as Docker does. Empty leaves the image untagged. A reference with a
	// digest is refused.
	Ref string
	// Config is the image's runtime configuration (Cmd, Env, WorkingDir...,
	// and Docker's Healthcheck and OnBuild).
	Config RuntimeConfig
	// Message is the comment of the image's history entry.
	Message string
	// Created is the image's creation time; zero means now.
	Created time.Time
	// Archive bounds the unpacking of the layer; the zero value gives
	// archive's defaults.
	Archive archive.Options
}

// Import makes an image of one layer from r, a tar stream, plain or
// gzip- or zstd-compressed (recognized by its first bytes), as "docker import" does,
// and tags it with opt.Ref.
//
// r is read once: the stream is hashed (the diff ID), unpacked into the
// layer directory, and written uncompressed into the layer blob (its digest
// is the diff ID; Distributable compresses it for a registry), all as it
// arrives. The image config (os linux, the architecture of this program,
// one "import" history entry) and an OCI manifest are then written, and the
// blobs, the layer directory and the tag are committed under the lock. When
// the layer's directory exists already, the existing one is kept. A tag
// that named another image moves to this one; that image stays, untagged.
//
// On error nothing visible changes: no blob, layer or tag is added, and
// tmp/ holds nothing of the import. Malformed or unsafe archives, and
// unsupported compressions (xz, bzip2), are errors wrapping
// ErrInvalid. ctx is checked between reads; a read from r that blocks is
// not interrupted.
func (s *Store) Import(ctx context.Context, r io.Reader, opt ImportOptions) (*Image, error) {
	img, err := s.importImage(ctx, r, opt)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return img, nil
}

func (s *Store) importImage(ctx context.Context, r io.Reader, opt ImportOptions) (*Image, error) {
	var tag string
	if opt.Ref != "" {
		ref, err := reference.Parse(opt.Ref)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if ref.Digest != "" {
			return nil, fmt.Errorf("%w: %q: cannot tag with a digest", ErrInvalid, opt.Ref)
		}
		tag = ref.String()
	}
	work, err := os.MkdirTemp(s.path("tmp"), "import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	l, err := spoolLayer(ctx, work, r, "", opt.Archive)
	if err != nil {
		return nil, err
	}

	created := opt.Created.UTC()
	if opt.Created.IsZero() {
		created = time.Now().UTC()
	}
	cfg := Config{
		Created:  &created,
		Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Config:   opt.Config,
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{l.diffID}},
		History:  []ocispec.History{{Created: &created, CreatedBy: "import", Comment: opt.Message}},
	}
	return s.storeImage(ctx, cfg, []ocispec.Descriptor{l.desc}, l.blob, l.dir, l.chain, tag, "", nil)
}

// spooledLayer is a new layer written under a work directory in tmp/: its
// gzip blob file and its unpacked directory (metadata included), waiting
// for storeImage to commit them.
type spooledLayer struct {
	blob, dir     string
	diffID, chain digest.Digest
	desc          ocispec.Descriptor
}

// spoolLayer reads the layer tar r (plain, gzip or zstd) into work as a
// blob and an unpacked directory, on top of the layer parentChain ("" for
// the first layer).
func spoolLayer(ctx context.Context, work string, r io.Reader, parentChain digest.Digest, opt archive.Options) (*spooledLayer, error) {
	l := &spooledLayer{dir: filepath.Join(work, "layer")}
	if err := mkdirLayer(l.dir); err != nil {
		return nil, err
	}
	blob, err := os.CreateTemp(work, "blob-")
	if err != nil {
		return nil, err
	}
	l.blob = blob.Name()
	l.diffID, l.desc, err = writeLayer(ctx, r, l.dir, blob, opt)
	if err != nil {
		blob.Close()
		return nil, err
	}
	if err := finishFile(blob); err != nil {
		return nil, err
	}
	l.chain = ChainID(parentChain, l.diffID)
	if err := writeLayerMeta(l.dir, l.chain, l.diffID, parentChain); err != nil {
		return nil, err
	}
	return l, nil
}

// storeImage writes the config cfg and a manifest of layers, then commits,
// under the lock, the new layer (its blob file newBlob, the last of layers,
// and its unpacked directory layerDir of chain ID chain; none when newBlob
// is ""), the config, the manifest and the tag. parent, if not "", is
// recorded as the image's parent; lease, if not nil, gets the image before
// the index names it.
func (s *Store) storeImage(ctx context.Context, cfg Config, layers []ocispec.Descriptor, newBlob, layerDir string, chain digest.Digest, tag string, parent digest.Digest, lease *Lease) (*Image, error) {
	cfgBytes, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cfgTmp, cfgDigest, cfgSize, err := s.writeTmpBlob(ctx, bytes.NewReader(cfgBytes), digest.SHA256, -1)
	if err != nil {
		return nil, err
	}
	defer os.Remove(cfgTmp)
	man := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cfgDigest, Size: cfgSize},
		Layers:    layers,
	}
	manBytes, err := json.Marshal(man)
	if err != nil {
		return nil, err
	}
	manTmp, manDigest, manSize, err := s.writeTmpBlob(ctx, bytes.NewReader(manBytes), digest.SHA256, -1)
	if err != nil {
		return nil, err
	}
	defer os.Remove(manTmp)

	desc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageManifest,
		Digest:    manDigest,
		Size:      manSize,
		Platform:  &ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture},
	}
	var blobs []tmpBlob
	if newBlob != "" {
		blobs = append(blobs, tmpBlob{newBlob, layers[len(layers)-1].Digest})
	}
	blobs = append(blobs, tmpBlob{cfgTmp, cfgDigest}, tmpBlob{manTmp, manDigest})
	var names []string
	err = s.lock(func() (retErr error) {
		if err := ctx.Err(); err != nil {
			return err
		}
		var added []string
		defer func() {
			if retErr != nil {
				for _, p := range added {
					os.RemoveAll(p)
				}
			}
		}()
		if err := s.commitBlobs(blobs, &added); err != nil {
			return err
		}
		if newBlob != "" {
			if moved, err := s.commitLayer(layerDir, chain); err != nil {
				return err
			} else if moved {
				added = append(added, s.layerPath(chain))
			}
		}
		if parent != "" && parent != cfgDigest && s.readParent(cfgDigest) == "" {
			// The first record stays: the same image ID made
			// again (a rebuild) has the same content, and
			// rewriting could not be rolled back.
			created, err := s.writeParent(cfgDigest, parent)
			if created {
				added = append(added, s.metaDir(cfgDigest))
			}
			if err != nil {
				return err
			}
		}
		if lease != nil {
			// Before the index names the image: a prune that
			// runs as soon as the lock is released sees it leased.
			if err := lease.Add(cfgDigest); err != nil {
				return err
			}
		}
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		setTag(idx, desc, tag)
		if err := s.writeIndex(idx); err != nil {
			return err
		}
		names = namesOf(idx, manDigest)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Image{
		ID:           cfgDigest,
		Digest:       manDigest,
		ManifestSize: manSize,
		Names:        names,
		Manifest:     man,
		Config:       cfg,
		Size:         layersSize(layers),
		Parent:       s.readParent(cfgDigest),
	}, nil
}

// mkdirLayer creates a layer directory and its empty diff/ (mode 0755,
// the root directory of the layer unless the archive sets it).
func mkdirLayer(dir string) error {
	if err := os.Mkdir(dir, 0o711); err != nil {
		return err
	}
	diff := filepath.Join(dir, diffDir)
	if err := os.Mkdir(diff, 0o755); err != nil {
		return err
	}
	return os.Chmod(diff, 0o755) // whatever the umask
}

type layerMeta struct {
	ChainID digest.Digest `json:"chainID"`
	DiffID  digest.Digest `json:"diffID"`
	Parent  digest.Digest `json:"parent,omitempty"`
}

func writeLayerMeta(dir string, chain, diffID, parent digest.Digest) error {
	b, err := json.Marshal(layerMeta{ChainID: chain, DiffID: diffID, Parent: parent})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, layerMetaFile), b, 0o644)
}

// commitLayer renames the complete layer directory dir to layers/<chain>
// unless a complete one is there already. Call under the lock. It reports
// whether dir was moved.
func (s *Store) commitLayer(dir string, chain digest.Digest) (bool, error) {
	dst := s.layerPath(chain)
	if _, err := os.Lstat(filepath.Join(dst, diffDir)); err == nil {
		return false, nil
	}
	if _, err := os.Lstat(dst); err == nil {
		// Not made by the store (every layer directory is renamed in
		// complete): move it aside.
		trash, err := os.MkdirTemp(s.path("tmp"), "trash-")
		if err != nil {
			return false, err
		}
		if err := os.Rename(dst, filepath.Join(trash, "layer")); err != nil {
			return false, err
		}
	}
	if err := os.Rename(dir, dst); err != nil {
		return false, err
	}
	return true, nil
}

// tmpBlob is a verified blob in tmp/, waiting to be renamed into place.
type tmpBlob struct {
	tmp string
	d   digest.Digest
}

// commitBlobs renames verified blobs into place and appends the paths it
// added to *added, for the caller to remove if a later step fails. The
// caller holds the lock.
func (s *Store) commitBlobs(blobs []tmpBlob, added *[]string) error {
	for _, b := range blobs {
		isNew, err := s.commitBlob(b.tmp, b.d)
		if err != nil {
			return err
		}
		if isNew {
			*added = append(*added, s.blobPath(b.d))
		}
	}
	return nil
}

// writeLayer reads a layer tar (plain, gzip or zstd) from r, unpacks it into
// layerDir/diff, and writes it, uncompressed, to blob, all in one pass. It
// returns the diff ID and the blob's descriptor (the blob's digest is the
// diff ID).
//
// Layers made here are kept uncompressed, as Docker's own store keeps
// them: gzip would be most of the cost of a build step or an import (about
// 120 ms for 50 MB of incompressible data, against 40 ms for the hash), and
// only a registry needs the compressed form. Push compresses them once
// (Store.Distributable).
func writeLayer(ctx context.Context, r io.Reader, layerDir string, blob io.Writer, opt archive.Options) (digest.Digest, ocispec.Descriptor, error) {
	tarStream, err := decompress(mediaTypeDetect, r)
	if err != nil {
		return "", ocispec.Descriptor{}, invalidArchive(err)
	}
	defer tarStream.Close()

	diffHash := sha256.New()
	// Buffered: hashing and writing the blob go on while Apply writes
	// files, instead of taking turns.
	pr, pw := pipe.New(pipeBuffer)
	applied := make(chan error, 1)
	go func() {
		_, err := archive.Apply(ctx, filepath.Join(layerDir, diffDir), pr, opt)
		if err != nil {
			pr.CloseWithError(err)
			applied <- err
			return
		}
		// Apply stops at the end-of-archive marker; the rest (padding)
		// is still part of the diff ID and the blob.
		_, err = io.Copy(io.Discard, pr)
		applied <- err
	}()
	n, copyErr := io.Copy(io.MultiWriter(diffHash, blob, pw), ctxReader{ctx, tarStream})
	pw.CloseWithError(copyErr) // nil: Apply sees io.EOF
	applyErr := <-applied
	switch {
	case applyErr != nil && (copyErr == nil || copyErr == applyErr):
		return "", ocispec.Descriptor{}, invalidArchive(applyErr)
	case copyErr != nil:
		return "", ocispec.Descriptor{}, invalidArchive(copyErr)
	case n == 0:
		return "", ocispec.Descriptor{}, fmt.Errorf("%w: empty archive", ErrInvalid)
	}
	diffID := digest.NewDigest(digest.SHA256, diffHash)
	return diffID, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: diffID, Size: n}, nil
}

// pipeBuffer is the buffer between a layer's reader and Apply: a few
// files' worth.
const pipeBuffer = 4 << 20

// invalidArchive wraps ErrInvalid around errors caused by the bytes of an
// archive (as opposed to the disk or the context).
func invalidArchive(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, ErrInvalid): // decompress's, say
		return err
	case errors.Is(err, archive.ErrUnsafe), errors.Is(err, archive.ErrLimit),
		errors.Is(err, tar.ErrHeader), errors.Is(err, tar.ErrFieldTooLong),
		errors.Is(err, tar.ErrInsecurePath),
		errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum),
		errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &corrupt):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return err
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
