package dockerapi

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"io"
	"net/http"

	"github.com/klauspost/compress/zstd"
)

// decompressTar returns the tar stream of r, a tar plain or compressed
// with gzip, bzip2 or zstd (recognized by its first bytes), as Docker's
// daemon takes a build context or an archive to extract (its
// DecompressStream); what names the stream in the errors, 400s. done
// releases the decompressor.
func decompressTar(r io.Reader, what string) (tr io.Reader, done func(), err error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(6)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "%s: %v", what, err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), func() {}, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(maxContextWindow), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "%s: %v", what, err)
		}
		return zr, zr.Close, nil
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return nil, nil, errorf(http.StatusBadRequest, "%s: xz compression is not supported (plain, gzip, bzip2 or zstd tar)", what)
	}
	return br, func() {}, nil
}
