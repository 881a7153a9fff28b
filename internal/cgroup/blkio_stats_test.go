package cgroup

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseV1Blkio(t *testing.T) {
	// blkio.throttle.io_service_bytes_recursive of a cgroup that wrote to
	// a virtio disk and a zram device, as kernel 6.x prints it.
	const sample = `254:0 Read 1459200
254:0 Write 8392704
254:0 Sync 8392704
254:0 Async 1459200
254:0 Discard 0
254:0 Total 9851904
253:0 Read 4096
253:0 Write 0
253:0 Sync 0
253:0 Async 4096
253:0 Discard 0
253:0 Total 4096
Total 9856000
`
	got := parseV1Blkio(sample)
	require.Len(t, got, 12, "parseV1Blkio: every device line, the Total line over all devices left out")
	require.Equal(t, BlkioEntry{Major: 254, Minor: 0, Op: "Read", Value: 1459200}, got[0])
	require.Equal(t, BlkioEntry{Major: 254, Minor: 0, Op: "Write", Value: 8392704}, got[1])
	require.Equal(t, BlkioEntry{Major: 253, Minor: 0, Op: "Total", Value: 4096}, got[11])

	// A cgroup that did no I/O yet: only the Total line.
	require.Empty(t, parseV1Blkio("Total 0\n"))
	require.Empty(t, parseV1Blkio(""))
	require.Empty(t, parseV1Blkio("x:0 Read 1\n8:0 Read many\n8:0 Read\n"), "lines that do not parse are skipped")
}

func TestParseV2IOStat(t *testing.T) {
	// io.stat as kernel 5.x/6.x prints it (dbytes/dios since 5.1).
	const sample = `254:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0
253:0 rbytes=4096 wbytes=0 rios=1 wios=0
`
	got := parseV2IOStat(sample)
	require.Equal(t, []BlkioEntry{
		{Major: 254, Minor: 0, Op: "read", Value: 1459200},
		{Major: 254, Minor: 0, Op: "write", Value: 314773504},
		{Major: 253, Minor: 0, Op: "read", Value: 4096},
		{Major: 253, Minor: 0, Op: "write", Value: 0},
	}, got.ServiceBytes)
	require.Equal(t, []BlkioEntry{
		{Major: 254, Minor: 0, Op: "read", Value: 192},
		{Major: 254, Minor: 0, Op: "write", Value: 353},
		{Major: 253, Minor: 0, Op: "read", Value: 1},
		{Major: 253, Minor: 0, Op: "write", Value: 0},
	}, got.Serviced)
	require.Equal(t, BlkioStats{}, parseV2IOStat(""), "no I/O yet: io.stat is empty")
}
