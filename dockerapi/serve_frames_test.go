package dockerapi

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"strings"
	"testing"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A write longer than a frame goes in several, which stdcopy reads back
// whole; a failed write reports what went before it.
func TestServeFrameWriter(t *testing.T) {
	var buf bytes.Buffer
	big := strings.Repeat("x", maxFrame+10)
	n, err := (&frameWriter{w: &buf, stream: streamStderr}).Write([]byte(big))
	require.NoError(t, err)
	assert.Equal(t, len(big), n)
	assert.Equal(t, []byte{streamStderr, 0, 0, 0}, buf.Bytes()[:4])
	assert.Equal(t, uint32(maxFrame), binary.BigEndian.Uint32(buf.Bytes()[4:8]), "the first frame's length")
	var out, errOut bytes.Buffer
	_, err = stdcopy.StdCopy(&out, &errOut, &buf)
	require.NoError(t, err)
	assert.Empty(t, out.String())
	assert.Equal(t, big, errOut.String())

	n, err = (&frameWriter{w: failWriter{}, stream: streamStdout}).Write([]byte("lost"))
	assert.Error(t, err)
	assert.Zero(t, n)
	n, err = (&frameWriter{w: failWriter{}, stream: streamStdout}).Write(nil)
	assert.NoError(t, err, "nothing to write, no frame")
	assert.Zero(t, n)
}

// Multiplexed output is said so from API 1.42; before, and for a
// terminal's output, the type is raw.
func TestServeStreamType(t *testing.T) {
	for _, tc := range []struct {
		version     string
		multiplexed bool
		want        string
	}{
		{"1.42", true, multiplexedStreamType},
		{"1.57", true, multiplexedStreamType},
		{"1.41", true, rawStreamType},
		{"1.57", false, rawStreamType},
	} {
		r, err := http.NewRequest(http.MethodGet, "http://docker/v"+tc.version+"/containers/x/logs", nil)
		require.NoError(t, err)
		r, err = withAPIVersion(r)
		require.NoError(t, err)
		assert.Equal(t, tc.want, streamType(r, tc.multiplexed), "%+v", tc)
	}
}
