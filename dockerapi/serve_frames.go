package dockerapi

import (
	"encoding/binary"
	"io"
	"net/http"
)

// A process's output on the wire, as Docker sends it (logs, attach, exec
// start): the bytes as they come for a terminal (one output), else stdout
// and stderr apart in multiplexed frames, which stdcopy reads.

// The media types of the two forms (Docker's).
const (
	rawStreamType         = "application/vnd.docker.raw-stream"
	multiplexedStreamType = "application/vnd.docker.multiplexed-stream"
)

// Docker's stream numbers in a multiplexed frame's header.
const (
	streamStdin  byte = 0
	streamStdout byte = 1
	streamStderr byte = 2
)

// streamType is the media type of output in multiplexed frames or not:
// before API 1.42 Docker says raw for both.
func streamType(r *http.Request, multiplexed bool) string {
	if multiplexed && versionAtLeast(r, "1.42") {
		return multiplexedStreamType
	}
	return rawStreamType
}

// maxFrame bounds a frame, well below what its 32-bit length holds.
const maxFrame = 1 << 20

// frameWriter writes to w in Docker's multiplexed frames of one stream:
// the stream's number, three zero bytes, the length (big-endian, 32
// bits), the bytes. Each frame is one write, so that the frames of two
// streams never mix on a w that takes one write at a time.
type frameWriter struct {
	w      io.Writer
	stream byte
}

func (f *frameWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), maxFrame)]
		frame := make([]byte, 0, 8+len(chunk))
		frame = append(frame, f.stream, 0, 0, 0)
		frame = binary.BigEndian.AppendUint32(frame, uint32(len(chunk)))
		frame = append(frame, chunk...)
		if _, err := f.w.Write(frame); err != nil {
			return written, err
		}
		written += len(chunk)
		p = p[len(chunk):]
	}
	return written, nil
}
