package store

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// spool is an archive read into a work directory. Files are stored under
// names of the spool's choosing, never under the names in the archive.
type spool struct {
	work  string
	files map[string]*spoolFile // cleaned archive name → file
	links map[string]string     // cleaned archive name → cleaned target
	// diffIDs caches the uncompressed digests computed, by file, media
	// type and algorithm.
	diffIDs map[string]digest.Digest
}

// spoolFile is a regular file of an archive.
type spoolFile struct {
	name   string // in the archive
	path   string // in the work directory
	size   int64
	digest digest.Digest // the algorithm its name says (blobs/sha512/...), else sha256
}

// isArchiveMetadata names the files that are read whole into memory.
func isArchiveMetadata(name string) bool {
	switch name {
	case archiveManifestFile, archiveRepositoriesFile, indexFile, ociLayoutFile:
		return true
	}
	return false
}

// cleanArchiveName checks a name from an archive (an entry's, or one in
// manifest.json) and returns it cleaned ("" for the archive's root).
func cleanArchiveName(name string) (string, error) {
	if name == "" || strings.ContainsRune(name, 0) || path.IsAbs(name) {
		return "", fmt.Errorf("%w: unsafe name %q in archive", ErrInvalid, name)
	}
	if slices.Contains(strings.Split(name, "/"), "..") {
		return "", fmt.Errorf("%w: unsafe name %q in archive", ErrInvalid, name)
	}
	c := path.Clean(name)
	if c == "." {
		return "", nil
	}
	return c, nil
}

// blobDigest returns the digest that a name blobs/<alg>/<hex> says, or "".
func blobDigest(name string) digest.Digest {
	parts := strings.Split(name, "/")
	if len(parts) != 3 || parts[0] != "blobs" {
		return ""
	}
	d := digest.Digest(parts[1] + ":" + parts[2])
	if validDigest(d) != nil {
		return ""
	}
	return d
}

// truncated adds to errors of a short archive that it is one.
func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: archive truncated: %w", ErrInvalid, err)
	}
	return invalidArchive(err)
}

// read reads the archive r (plain, gzip or zstd) into the spool.
func (sp *spool) read(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(6)
	kind, err := sniffCompression(magic)
	if err != nil {
		return err
	}
	stream, err := decompress(mediaTypeDetect, br)
	if err != nil {
		return invalidArchive(err)
	}
	defer stream.Close()
	tr := tar.NewReader(ctxReader{ctx, stream})
	n := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return truncated(err)
		}
		if n++; n > maxArchiveEntries {
			return fmt.Errorf("%w: more than %d entries in archive", ErrInvalid, maxArchiveEntries)
		}
		name, err := cleanArchiveName(hdr.Name)
		if err != nil {
			return err
		}
		if name == "" {
			continue // "./"
		}
		if hdr.Typeflag != tar.TypeDir && sp.has(name) {
			return fmt.Errorf("%w: %q appears twice in archive", ErrInvalid, name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
		case tar.TypeReg, '\x00': // '\x00' is the old TypeRegA
			if isSparse(hdr) {
				// Its holes read as zeros: a few bytes could claim terabytes.
				return fmt.Errorf("%w: %q: sparse files are not supported in image archives", ErrInvalid, name)
			}
			if err := sp.readFile(ctx, name, hdr, tr); err != nil {
				return err
			}
		case tar.TypeSymlink:
			target := path.Join(path.Dir(name), hdr.Linkname)
			if hdr.Linkname == "" || path.IsAbs(hdr.Linkname) || target == ".." || strings.HasPrefix(target, "../") || target == "." {
				return fmt.Errorf("%w: link %q to %q leaves the archive", ErrInvalid, name, hdr.Linkname)
			}
			sp.links[name] = target
		case tar.TypeLink:
			target, err := cleanArchiveName(hdr.Linkname)
			if err != nil {
				return err
			}
			if target == "" {
				return fmt.Errorf("%w: hard link %q to the archive's root", ErrInvalid, name)
			}
			sp.links[name] = target
		default:
			return fmt.Errorf("%w: %q: unsupported entry type %q in image archive", ErrInvalid, name, hdr.Typeflag)
		}
	}
	if kind != compressionNone {
		// Check the checksum (what follows the tar is padding).
		if _, err := io.CopyN(io.Discard, stream, maxArchiveTrailer); err != nil && !errors.Is(err, io.EOF) {
			return truncated(err)
		}
	}
	return nil
}

// isSparse reports whether hdr is a PAX sparse file (GNU sparse formats
// 0.x and 1.0; the old GNU format has its own type flag).
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// readFile spools one regular file.
func (sp *spool) readFile(ctx context.Context, name string, hdr *tar.Header, tr io.Reader) error {
	if isArchiveMetadata(name) && hdr.Size > MaxMetadataSize {
		return fmt.Errorf("%w: %s of %d bytes, more than %d", ErrInvalid, name, hdr.Size, MaxMetadataSize)
	}
	want := blobDigest(name)
	alg := digest.SHA256
	if want != "" {
		alg = want.Algorithm()
	}
	f, err := os.CreateTemp(sp.work, "file-")
	if err != nil {
		return err
	}
	h := alg.Hash()
	n, err := io.Copy(io.MultiWriter(f, h), tr)
	if err == nil && n != hdr.Size {
		err = fmt.Errorf("%w: %s: %d bytes, header says %d", ErrInvalid, name, n, hdr.Size)
	}
	if err != nil {
		f.Close()
		return truncated(err)
	}
	// Read-only, like blobs; synced only if kept (commitLoaded).
	if err := f.Chmod(0o444); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	d := digest.NewDigest(alg, h)
	if want != "" && d != want {
		return fmt.Errorf("%w: blob %s has digest %s", ErrInvalid, want, d)
	}
	sp.files[name] = &spoolFile{name: name, path: f.Name(), size: n, digest: d}
	return nil
}

func (sp *spool) has(name string) bool {
	_, f := sp.files[name]
	_, l := sp.links[name]
	return f || l
}

// lookup finds the file that name (from manifest.json or a link) names.
func (sp *spool) lookup(name string) (*spoolFile, error) {
	c, err := cleanArchiveName(name)
	if err != nil {
		return nil, err
	}
	for range maxArchiveLinks + 1 {
		if f := sp.files[c]; f != nil {
			return f, nil
		}
		t, ok := sp.links[c]
		if !ok {
			return nil, fmt.Errorf("%w: %q: no such file in archive", ErrInvalid, name)
		}
		c = t
	}
	return nil, fmt.Errorf("%w: %q: too many links", ErrInvalid, name)
}

// readSmall reads a metadata file whole, bounded by MaxMetadataSize.
func (sp *spool) readSmall(f *spoolFile) ([]byte, error) {
	if f.size > MaxMetadataSize {
		return nil, fmt.Errorf("%w: %s of %d bytes, more than %d", ErrInvalid, f.name, f.size, MaxMetadataSize)
	}
	return os.ReadFile(f.path)
}

// readName is readSmall of the file that name names.
func (sp *spool) readName(name string) ([]byte, error) {
	f, err := sp.lookup(name)
	if err != nil {
		return nil, err
	}
	return sp.readSmall(f)
}

// blob finds the blob of desc in the OCI layout of the archive, checking
// its digest (done when it was read) and its size.
func (sp *spool) blob(desc ocispec.Descriptor) (*spoolFile, error) {
	if err := validDigest(desc.Digest); err != nil {
		return nil, err
	}
	f, err := sp.lookup(blobName(desc.Digest))
	if err != nil {
		return nil, err
	}
	if f.digest != desc.Digest {
		return nil, fmt.Errorf("%w: blob %s has digest %s", ErrInvalid, desc.Digest, f.digest)
	}
	if f.size != desc.Size {
		return nil, fmt.Errorf("%w: blob %s: %d bytes, descriptor says %d", ErrInvalid, desc.Digest, f.size, desc.Size)
	}
	return f, nil
}

// readBlob is readSmall of the blob of desc.
func (sp *spool) readBlob(desc ocispec.Descriptor) ([]byte, error) {
	f, err := sp.blob(desc)
	if err != nil {
		return nil, err
	}
	return sp.readSmall(f)
}

// parseConfig reads an image config and checks its diff IDs against the
// number of layers.
func parseConfig(b []byte, layers int) (*ocispec.Image, error) {
	var cfg ocispec.Image
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("config: %w: %w", ErrInvalid, err)
	}
	if cfg.RootFS.Type != "layers" {
		return nil, fmt.Errorf("config: %w: rootfs type %q, want \"layers\"", ErrInvalid, cfg.RootFS.Type)
	}
	if n := len(cfg.RootFS.DiffIDs); n != layers {
		return nil, fmt.Errorf("config: %w: %d diff IDs for %d layers", ErrInvalid, n, layers)
	}
	for _, d := range cfg.RootFS.DiffIDs {
		if err := validDigest(d); err != nil {
			return nil, fmt.Errorf("config: diff ID: %w", err)
		}
	}
	return &cfg, nil
}

// checkDiffID checks that the layer file f, of media type mt, has the
// uncompressed digest diffID.
func (sp *spool) checkDiffID(ctx context.Context, f *spoolFile, mt string, diffID digest.Digest) error {
	key := f.path + "\x00" + mt + "\x00" + diffID.Algorithm().String()
	got, ok := sp.diffIDs[key]
	if !ok {
		if layerCompression(mt) == compressionNone && diffID.Algorithm() == f.digest.Algorithm() {
			got = f.digest // a plain tar is its own diff
		} else {
			var err error
			if got, err = uncompressedDigest(ctx, f, mt, diffID.Algorithm()); err != nil {
				return err
			}
		}
		sp.diffIDs[key] = got
	}
	if got != diffID {
		return fmt.Errorf("%w: layer %s: uncompressed digest %s, config says %s", ErrInvalid, f.name, got, diffID)
	}
	return nil
}

func uncompressedDigest(ctx context.Context, f *spoolFile, mt string, alg digest.Algorithm) (digest.Digest, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return "", err
	}
	defer file.Close()
	r, err := decompress(mt, file)
	if err != nil {
		return "", fmt.Errorf("layer %s: %w", f.name, invalidArchive(err))
	}
	defer r.Close()
	h := alg.Hash()
	if _, err := io.Copy(h, ctxReader{ctx, r}); err != nil {
		return "", fmt.Errorf("layer %s: %w", f.name, invalidArchive(err))
	}
	return digest.NewDigest(alg, h), nil
}

// sniffLayer returns the media type of a layer file of a Docker archive,
// from its first bytes.
func sniffLayer(f *spoolFile) (string, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return "", err
	}
	defer file.Close()
	magic := make([]byte, 6)
	n, _ := io.ReadFull(file, magic)
	magic = magic[:n]
	kind, err := sniffCompression(magic)
	switch {
	case err != nil:
		return "", fmt.Errorf("layer %s: %w", f.name, err)
	case kind == compressionGzip:
		return ocispec.MediaTypeImageLayerGzip, nil
	case kind == compressionZstd:
		return ocispec.MediaTypeImageLayerZstd, nil
	}
	return ocispec.MediaTypeImageLayer, nil
}
