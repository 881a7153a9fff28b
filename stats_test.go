package dock

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestParseNetDev(t *testing.T) {
	// /proc/net/dev of a container on a bridge network (kernel 6.x).
	const sample = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     336       4    0    0    0     0          0         0      336       4    0    0    0     0       0          0
  eth0:    1226      12    1    2    0     0          0         0      648        8    3    4    0     0       0          0
 broken: 1 2 3
`
	got := parseNetDev([]byte(sample))
	require.Equal(t, map[string]NetworkStats{
		"eth0": {RxBytes: 1226, RxPackets: 12, RxErrors: 1, RxDropped: 2, TxBytes: 648, TxPackets: 8, TxErrors: 3, TxDropped: 4},
	}, got, "parseNetDev: loopback and lines that do not parse left out")
	s := Stats{Networks: got}
	rx, tx := s.RxTx()
	assert.Equal(t, [2]uint64{1226, 648}, [2]uint64{rx, tx}, "RxTx")
}

func TestBlockIOReadWrite(t *testing.T) {
	// cgroup v1 words and v2 words count alike; Sync, Async and Total
	// are other views of the same bytes.
	b := BlockIOStats{ServiceBytes: []BlockIOEntry{
		{Major: 254, Op: "Read", Value: 100}, {Major: 254, Op: "Write", Value: 20},
		{Major: 254, Op: "Sync", Value: 20}, {Major: 254, Op: "Total", Value: 120},
		{Major: 253, Op: "read", Value: 1}, {Major: 253, Op: "write", Value: 2},
	}}
	r, w := b.ReadWrite()
	assert.Equal(t, [2]uint64{101, 22}, [2]uint64{r, w}, "ReadWrite")
}

func TestStatsNetworkAndBlockIO(t *testing.T) {
	nettest.Require(t)
	e := testEngine(t)
	ctx := context.Background()
	// Talks to its gateway (the bridge) and writes 1 MiB past the page
	// cache, so that both show in its counters. Since kernel 6.9 cgroup
	// v1 counts a disk's I/O only once a throttle was set on it: a limit
	// nothing reaches makes sure of it.
	c := startDetached(t, e, Config{Network: "bridge", Resources: Resources{
		BlkioDeviceWriteBps: []ThrottleDevice{{Path: diskOf(t, e.Root()), Rate: 1 << 40}}}, Cmd: []string{"sh", "-c",
		`ping -c 2 -W 1 $(ip route | awk '/default/{print $3}'); dd if=/dev/zero of=/f bs=64k count=16 oflag=direct; exec sleep 60`}})
	var s *Stats
	waitFor(t, "traffic and writes counted", func() bool {
		var err error
		s, err = c.Stats(ctx)
		require.NoError(t, err)
		_, w := s.BlockIO.ReadWrite()
		return s.Networks["eth0"].RxBytes > 0 && s.Networks["eth0"].TxBytes > 0 && w >= 1<<20
	})
	assert.NotContains(t, s.Networks, "lo", "loopback is not counted")
	assert.NotEmpty(t, s.BlockIO.Serviced)

	none := startDetached(t, e, Config{Cmd: []string{"sh", "-c", "ping -c 1 127.0.0.1; exec sleep 60"}})
	s, err := none.Stats(ctx)
	require.NoError(t, err)
	assert.NotNil(t, s.Networks, "Stats(none).Networks: a running container's map is there")
	assert.Empty(t, s.Networks, "Stats(none).Networks: only loopback, which is left out")

	require.NoError(t, c.Stop(ctx, 0))
	s, err = c.Stats(ctx)
	require.NoError(t, err)
	assert.Nil(t, s.Networks, "Stats of a stopped container: no network")
	_, w := s.BlockIO.ReadWrite()
	assert.GreaterOrEqual(t, w, uint64(1<<20), "the cgroup keeps its I/O counters after the exit")
}

// diskOf is the block device node of the whole disk that holds path.
func diskOf(t *testing.T, path string) string {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Stat(path, &st))
	sys := fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	dev, err := filepath.EvalSymlinks(sys)
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dev, "partition")); err == nil {
		dev = filepath.Dir(dev)
	}
	return "/dev/" + filepath.Base(dev)
}
