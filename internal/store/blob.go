package store

import (
	"context"
	_ "crypto/sha256" // digest algorithms used by the store
	_ "crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PutBlob stores the bytes of r as a blob and returns its descriptor
// (digest and size; the media type is the caller's to set).
//
// want is the expected digest ("sha256:..." or "sha512:..."), or "" to
// compute a sha256 digest; size is the expected length, or -1 when unknown.
// The bytes are streamed to tmp/, checked against want and size, synced and
// renamed into blobs/; a mismatch is an error wrapping ErrInvalid and leaves
// nothing behind. When want is given and the blob exists already, r is not
// read. PutBlob takes no lock: a blob is visible once complete, and Prune
// spares unreferenced blobs younger than TmpGrace, so a pull has that long
// to reference what it put.
func (s *Store) PutBlob(ctx context.Context, r io.Reader, want digest.Digest, size int64) (ocispec.Descriptor, error) {
	alg := digest.SHA256
	if want != "" {
		if err := validDigest(want); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("put blob: %w", err)
		}
		alg = want.Algorithm()
		if st, err := os.Stat(s.blobPath(want)); err == nil {
			if size >= 0 && st.Size() != size {
				return ocispec.Descriptor{}, fmt.Errorf("put blob %s: %w: size %d, stored blob has %d", want, ErrInvalid, size, st.Size())
			}
			touch(s.blobPath(want))
			return ocispec.Descriptor{Digest: want, Size: st.Size()}, nil
		}
	}
	tmp, d, n, err := s.writeTmpBlob(ctx, r, alg, size)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("put blob: %w", err)
	}
	defer os.Remove(tmp) // no-op once renamed
	if want != "" && d != want {
		return ocispec.Descriptor{}, fmt.Errorf("put blob: %w: digest %s, want %s", ErrInvalid, d, want)
	}
	if _, err := s.commitBlob(tmp, d); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("put blob: %w", err)
	}
	return ocispec.Descriptor{Digest: d, Size: n}, nil
}

// writeTmpBlob streams r into a new file in tmp/ and returns its name,
// digest and size. size >= 0 is enforced. On error nothing is left.
func (s *Store) writeTmpBlob(ctx context.Context, r io.Reader, alg digest.Algorithm, size int64) (name string, d digest.Digest, n int64, err error) {
	f, err := os.CreateTemp(s.path("tmp"), "blob-*")
	if err != nil {
		return "", "", 0, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := alg.Hash()
	src := r
	if size >= 0 {
		src = io.LimitReader(r, size+1)
	}
	n, err = io.Copy(io.MultiWriter(f, h), ctxReader{ctx, src})
	if err != nil {
		return "", "", 0, err
	}
	if size >= 0 && n != size {
		return "", "", 0, fmt.Errorf("%w: size %d, want %d", ErrInvalid, n, size)
	}
	if err := finishFile(f); err != nil {
		return "", "", 0, err
	}
	return f.Name(), digest.NewDigest(alg, h), n, nil
}

// finishFile makes a written blob read-only, syncs and closes it.
func finishFile(f *os.File) error {
	if err := f.Chmod(0o444); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// commitBlob renames the complete file tmp to the blob d. It reports
// whether the blob is new; an existing blob is kept (and tmp left for the
// caller to remove).
func (s *Store) commitBlob(tmp string, d digest.Digest) (bool, error) {
	dst := s.blobPath(d)
	if _, err := os.Lstat(dst); err == nil {
		touch(dst)
		return false, nil
	}
	if err := os.MkdirAll(s.path("blobs", d.Algorithm().String()), 0o711); err != nil {
		return false, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return false, err
	}
	return true, nil
}

// touch sets a file's mtime to now, so that Prune spares it for a while.
func touch(name string) {
	now := time.Now()
	_ = os.Chtimes(name, now, now)
}

// ReadBlob returns the content of a small blob (a manifest or a config),
// verified against d. A blob larger than MaxMetadataSize is an error
// wrapping ErrInvalid; a missing one wraps ErrNotFound.
func (s *Store) ReadBlob(d digest.Digest) ([]byte, error) {
	if err := validDigest(d); err != nil {
		return nil, fmt.Errorf("read blob: %w", err)
	}
	f, err := os.Open(s.blobPath(d))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", d, notFound(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", d, err)
	}
	if len(b) > MaxMetadataSize {
		return nil, fmt.Errorf("read blob %s: %w: larger than %d bytes", d, ErrInvalid, MaxMetadataSize)
	}
	if got := d.Algorithm().FromBytes(b); got != d {
		return nil, fmt.Errorf("read blob %s: %w: content has digest %s", d, ErrInvalid, got)
	}
	return b, nil
}

// OpenBlob opens the blob d for reading. The reader verifies the digest:
// reading to the end of a blob whose content does not match returns an
// error wrapping ErrInvalid instead of io.EOF. A missing blob wraps
// ErrNotFound.
func (s *Store) OpenBlob(d digest.Digest) (io.ReadCloser, error) {
	if err := validDigest(d); err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	f, err := os.Open(s.blobPath(d))
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", d, notFound(err))
	}
	return &verifyReader{f: f, d: d, h: d.Algorithm().Hash()}, nil
}

type verifyReader struct {
	f *os.File
	d digest.Digest
	h hash.Hash
}

func (v *verifyReader) Read(p []byte) (int, error) {
	n, err := v.f.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := digest.NewDigest(v.d.Algorithm(), v.h); got != v.d {
			return n, fmt.Errorf("read blob %s: %w: content has digest %s", v.d, ErrInvalid, got)
		}
	}
	return n, err
}

func (v *verifyReader) Close() error { return v.f.Close() }

// notFound wraps ErrNotFound around a missing-file error.
func notFound(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
