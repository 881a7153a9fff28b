package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	// mediaTypeDetect, given to decompress for a media type, means: find
	// the compression from the stream's first bytes (Import's and Load's
	// inputs, the layer files of Docker archives).
	mediaTypeDetect = ""

	// maxZstdWindow bounds the window of the zstd frames decompress reads,
	// which is what the decoder allocates: a frame of a few bytes can
	// declare a window of terabytes. zstd's own default maximum for
	// decoders is 128 MiB too; "zstd --long" writes 128 MiB at most.
	maxZstdWindow = 128 << 20

	compressionNone = "none"
	compressionGzip = "gzip"
	compressionZstd = "zstd"
)

// layerCompression returns the compression of a layer media type that
// decompress reads (compressionGzip, compressionZstd or compressionNone),
// or "" for any other media type.
func layerCompression(mt string) string {
	switch mt {
	case ocispec.MediaTypeImageLayerGzip, mediaTypeDockerLayer,
		ocispec.MediaTypeImageLayerNonDistributableGzip: //nolint:staticcheck // still found in the wild
		return compressionGzip
	case ocispec.MediaTypeImageLayerZstd,
		ocispec.MediaTypeImageLayerNonDistributableZstd: //nolint:staticcheck
		return compressionZstd
	case ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerNonDistributable: //nolint:staticcheck
		return compressionNone
	}
	return ""
}

// sniffCompression returns the compression that a stream's first bytes
// (6 suffice) say: compressionGzip, compressionZstd, or compressionNone for
// anything else (a tar, or bytes that are none). xz and bzip2 are errors
// wrapping ErrInvalid.
func sniffCompression(magic []byte) (string, error) {
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return compressionGzip, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return compressionZstd, nil
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return "", fmt.Errorf("%w: xz compression is not supported (plain, gzip or zstd tar only)", ErrInvalid)
	case bytes.HasPrefix(magic, []byte("BZh")):
		return "", fmt.Errorf("%w: bzip2 compression is not supported (plain, gzip or zstd tar only)", ErrInvalid)
	}
	return compressionNone, nil
}

// decompress returns the uncompressed stream of r, whose compression the
// layer media type mt says, or, for mediaTypeDetect, its first bytes.
// gzip and zstd are decompressed with github.com/klauspost/compress (gzip
// faster than compress/gzip; zstd on one goroutine, with windows of at
// most maxZstdWindow); a plain tar is r itself. The stream ends where r
// does (gzip and zstd read all their concatenated frames). Other media
// types, malformed or truncated compressed data, and read errors the
// decompressor makes of the bytes (not r's own errors, passed as they are)
// wrap ErrInvalid. The caller closes the result (not r); what it has read
// of r may run ahead of what it returned.
func decompress(mt string, r io.Reader) (io.ReadCloser, error) {
	var kind string
	if mt == mediaTypeDetect {
		br := bufio.NewReaderSize(r, 64<<10)
		magic, _ := br.Peek(6) // a shorter input gives fewer bytes
		var err error
		if kind, err = sniffCompression(magic); err != nil {
			return nil, err
		}
		r = br
	} else if kind = layerCompression(mt); kind == "" {
		return nil, fmt.Errorf("%w: unsupported layer media type %q", ErrInvalid, mt)
	}
	if kind == compressionNone {
		return io.NopCloser(r), nil
	}
	// Decoders read through a large buffer (pulls read small chunks of a
	// network stream otherwise); src tells r's errors from theirs.
	src := &srcReader{r: r}
	in := bufio.NewReaderSize(src, 64<<10)
	d := &decompressor{src: src}
	switch kind {
	case compressionGzip:
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, d.wrap(err)
		}
		d.r, d.close = zr, func() { zr.Close() }
	case compressionZstd:
		zr, err := zstd.NewReader(in,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(maxZstdWindow),
			zstd.WithDecoderMaxMemory(maxZstdWindow), // for streams: the window too
			zstd.WithDecodeBuffersBelow(0))
		if err != nil {
			return nil, d.wrap(err)
		}
		d.r, d.close = zr, zr.Close
	}
	return d, nil
}

// srcReader records the last error of the reader under a decompressor.
type srcReader struct {
	r   io.Reader
	err error
}

func (s *srcReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

type decompressor struct {
	src   *srcReader
	r     io.Reader
	close func()
}

func (d *decompressor) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	return n, d.wrap(err)
}

// wrap wraps ErrInvalid around the decompressor's errors other than
// io.EOF and those of the reader under it.
func (d *decompressor) wrap(err error) error {
	if err == nil || err == io.EOF || errors.Is(err, ErrInvalid) ||
		(d.src.err != nil && errors.Is(err, d.src.err)) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

func (d *decompressor) Close() error {
	d.close()
	return nil
}
