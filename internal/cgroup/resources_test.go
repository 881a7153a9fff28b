package cgroup

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestV1Writes(t *testing.T) {
	const unlimited = 1 << 62
	tests := []struct {
		name string
		r    Resources
		cur  int64
		want []write
	}{
		{"zero", Resources{}, unlimited, nil},
		{"memory", Resources{Memory: 16 << 20}, unlimited, []write{{"memory", "memory.limit_in_bytes", "16777216"}}},
		{"swap raise new cgroup", Resources{Memory: 16 << 20, MemorySwap: 32 << 20}, unlimited, []write{
			{"memory", "memory.limit_in_bytes", "16777216"},
			{"memory", "memory.memsw.limit_in_bytes", "33554432"},
		}},
		{"swap above current memory", Resources{Memory: 64 << 20, MemorySwap: 128 << 20}, 16 << 20, []write{
			{"memory", "memory.memsw.limit_in_bytes", "134217728"},
			{"memory", "memory.limit_in_bytes", "67108864"},
		}},
		{"swap unlimited", Resources{Memory: 64 << 20, MemorySwap: -1}, 16 << 20, []write{
			{"memory", "memory.memsw.limit_in_bytes", "-1"},
			{"memory", "memory.limit_in_bytes", "67108864"},
		}},
		{"reservation", Resources{MemoryReservation: 8 << 20}, unlimited, []write{{"memory", "memory.soft_limit_in_bytes", "8388608"}}},
		{"quota", Resources{CPUQuota: 50000}, unlimited, []write{{"cpu", "cpu.cfs_quota_us", "50000"}}},
		{"quota unlimited", Resources{CPUQuota: -1}, unlimited, []write{{"cpu", "cpu.cfs_quota_us", "-1"}}},
		{"period then quota", Resources{CPUQuota: 20000, CPUPeriod: 10000}, unlimited, []write{
			{"cpu", "cpu.cfs_period_us", "10000"},
			{"cpu", "cpu.cfs_quota_us", "20000"},
		}},
		{"shares", Resources{CPUShares: 512}, unlimited, []write{{"cpu", "cpu.shares", "512"}}},
		{"cpuset", Resources{CpusetCpus: "0-1", CpusetMems: "0"}, unlimited, []write{
			{"cpuset", "cpuset.cpus", "0-1"},
			{"cpuset", "cpuset.mems", "0"},
		}},
		{"pids", Resources{PIDs: 5}, unlimited, []write{{"pids", "pids.max", "5"}}},
		{"pids unlimited", Resources{PIDs: -1}, unlimited, []write{{"pids", "pids.max", "max"}}},
		{"devices", Resources{Devices: []DeviceRule{
			{Type: 'a', Major: -1, Minor: -1, Access: "rwm"},
			{Allow: true, Type: 'c', Major: 1, Minor: 3, Access: "rwm"},
			{Allow: true, Type: 'b', Major: -1, Minor: -1, Access: "m"},
			{Type: 'c', Major: 10, Minor: 229, Access: "rw"},
		}}, unlimited, []write{
			{"devices", "devices.deny", "a"},
			{"devices", "devices.allow", "c 1:3 rwm"},
			{"devices", "devices.allow", "b *:* m"},
			{"devices", "devices.deny", "c 10:229 rw"},
		}},
		{"oom kill disable", Resources{Memory: 16 << 20, OOMKillDisable: true}, unlimited, []write{
			{"memory", "memory.limit_in_bytes", "16777216"},
			{"memory", "memory.oom_control", "1"},
		}},
		{"blkio", Resources{BlkioWeight: 300, Throttles: []Throttle{
			{Kind: ReadBps, Major: 8, Minor: 0, Rate: 1 << 20},
			{Kind: WriteIOPS, Major: 254, Minor: 16, Rate: 100},
			{Kind: WriteBps, Major: 8, Minor: 0, Rate: 0},
			{Kind: ReadIOPS, Major: 8, Minor: 0, Rate: 7},
		}}, unlimited, []write{
			{"blkio", "blkio.weight", "300"},
			{"blkio", "blkio.throttle.read_bps_device", "8:0 1048576"},
			{"blkio", "blkio.throttle.write_iops_device", "254:16 100"},
			{"blkio", "blkio.throttle.write_bps_device", "8:0 0"},
			{"blkio", "blkio.throttle.read_iops_device", "8:0 7"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := v1Writes(tt.r, tt.cur)
			require.Equal(t, tt.want, got, "v1Writes(%+v, %d)", tt.r, tt.cur)
		})
	}
}

func TestV2Writes(t *testing.T) {
	tests := []struct {
		name string
		r    Resources
		want []write
	}{
		{"zero", Resources{}, nil},
		{"memory", Resources{Memory: 16 << 20}, []write{{"memory", "memory.max", "16777216"}}},
		{"swap is the difference", Resources{Memory: 16 << 20, MemorySwap: 48 << 20}, []write{
			{"memory", "memory.max", "16777216"},
			{"memory", "memory.swap.max", "33554432"},
		}},
		{"no swap", Resources{Memory: 16 << 20, MemorySwap: 16 << 20}, []write{
			{"memory", "memory.max", "16777216"},
			{"memory", "memory.swap.max", "0"},
		}},
		{"swap unlimited", Resources{Memory: 16 << 20, MemorySwap: -1}, []write{
			{"memory", "memory.max", "16777216"},
			{"memory", "memory.swap.max", "max"},
		}},
		{"reservation", Resources{MemoryReservation: 8 << 20}, []write{{"memory", "memory.low", "8388608"}}},
		{"quota", Resources{CPUQuota: 50000}, []write{{"cpu", "cpu.max", "50000"}}},
		{"quota and period", Resources{CPUQuota: 50000, CPUPeriod: 100000}, []write{{"cpu", "cpu.max", "50000 100000"}}},
		{"quota unlimited", Resources{CPUQuota: -1}, []write{{"cpu", "cpu.max", "max"}}},
		{"period only", Resources{CPUPeriod: 20000}, []write{{"cpu", "cpu.max", "max 20000"}}},
		{"shares", Resources{CPUShares: 1024}, []write{{"cpu", "cpu.weight", "39"}}},
		{"cpuset", Resources{CpusetCpus: "1", CpusetMems: "0"}, []write{
			{"cpuset", "cpuset.cpus", "1"},
			{"cpuset", "cpuset.mems", "0"},
		}},
		{"pids", Resources{PIDs: 100}, []write{{"pids", "pids.max", "100"}}},
		{"pids unlimited", Resources{PIDs: -1}, []write{{"pids", "pids.max", "max"}}},
		{"devices are not files", Resources{Devices: DefaultDevices()}, nil},
		{"no oom switch", Resources{OOMKillDisable: true}, nil},
		{"blkio", Resources{BlkioWeight: 500, Throttles: []Throttle{
			{Kind: ReadBps, Major: 8, Minor: 0, Rate: 1 << 20},
			{Kind: WriteIOPS, Major: 254, Minor: 16, Rate: 100},
			{Kind: WriteBps, Major: 8, Minor: 0, Rate: 0},
		}}, []write{
			{"io", "io.bfq.weight", "500"},
			{"io", "io.max", "8:0 rbps=1048576 wbps=max"},
			{"io", "io.max", "254:16 wiops=100"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, v2Writes(tt.r), "v2Writes(%+v)", tt.r)
		})
	}
}

func TestSharesToWeight(t *testing.T) {
	for shares, want := range map[uint64]uint64{0: 0, 2: 1, 1024: 39, 512: 20, 262144: 10000, 1: 1, 1 << 20: 10000} {
		require.Equal(t, want, sharesToWeight(shares), "sharesToWeight(%d)", shares)
	}
}

func TestWeightToV2(t *testing.T) {
	for w, want := range map[uint16]uint64{0: 0, 10: 1, 1000: 10000, 500: 4950} {
		require.Equal(t, want, weightToV2(w), "weightToV2(%d)", w)
	}
}

func TestValidate(t *testing.T) {
	online := func() (map[int]bool, error) { return map[int]bool{0: true, 1: true, 2: true, 3: true}, nil }
	good := []Resources{
		{},
		{Memory: MinMemory},
		{Memory: 64 << 20, MemorySwap: -1, MemoryReservation: 32 << 20},
		{Memory: 64 << 20, MemorySwap: 64 << 20},
		{CPUQuota: -1, CPUPeriod: 1000},
		{CPUQuota: 1000, CPUPeriod: 1000000, CPUShares: 2},
		{CPUShares: 262144},
		{CpusetCpus: "0-3", CpusetMems: "0"},
		{CpusetCpus: "0,2-3"},
		{PIDs: -1},
		{Devices: DefaultDevices()},
		{BlkioWeight: 10, Throttles: []Throttle{{Kind: WriteIOPS, Major: 4095, Minor: 1<<20 - 1, Rate: 1}}},
	}
	for _, r := range good {
		require.NoError(t, validate(r, online, online), "validate(%+v)", r)
	}
	bad := []struct {
		r    Resources
		want string
	}{
		{Resources{Memory: -1}, "negative"},
		{Resources{Memory: MinMemory - 1}, "below the minimum"},
		{Resources{Memory: 512}, "below the minimum"},
		{Resources{Memory: 64 << 20, MemorySwap: -2}, "negative"},
		{Resources{MemorySwap: 64 << 20}, "needs a memory limit"},
		{Resources{Memory: 64 << 20, MemorySwap: 32 << 20}, "below the memory limit"},
		{Resources{MemoryReservation: -1}, "negative"},
		{Resources{Memory: 16 << 20, MemoryReservation: 32 << 20}, "above the memory limit"},
		{Resources{CPUQuota: -2}, "negative"},
		{Resources{CPUQuota: 999}, "below the kernel's minimum"},
		{Resources{CPUPeriod: 999}, "outside"},
		{Resources{CPUPeriod: 1000001}, "outside"},
		{Resources{CPUShares: 1}, "outside"},
		{Resources{CPUShares: 262145}, "outside"},
		{Resources{CpusetCpus: "0-"}, "not a number"},
		{Resources{CpusetCpus: "3-1"}, "backwards"},
		{Resources{CpusetCpus: "a"}, "not a number"},
		{Resources{CpusetCpus: "0,,1"}, "not a number"},
		{Resources{CpusetCpus: "-1"}, "not a number"},
		{Resources{CpusetCpus: "99999999"}, "out of range"},
		{Resources{CpusetCpus: "4"}, "cpu 4 is not online"},
		{Resources{CpusetMems: "0-7"}, "memory node 4 is not online"},
		{Resources{PIDs: -2}, "negative"},
		{Resources{Devices: []DeviceRule{{Type: 'x', Access: "rwm"}}}, "device type"},
		{Resources{Devices: []DeviceRule{{Type: 'a', Major: 1, Minor: -1, Access: "rwm"}}}, "type 'a'"},
		{Resources{Devices: []DeviceRule{{Type: 'c', Major: 1, Minor: 3, Access: ""}}}, "access"},
		{Resources{Devices: []DeviceRule{{Type: 'c', Major: 1, Minor: 3, Access: "rwx"}}}, "access"},
		{Resources{Devices: []DeviceRule{{Type: 'c', Major: 1, Minor: 3, Access: "rr"}}}, "access"},
		{Resources{Devices: []DeviceRule{{Type: 'c', Major: -2, Minor: 3, Access: "r"}}}, "major"},
		{Resources{Devices: []DeviceRule{{Type: 'c', Major: 1 << 12, Minor: 3, Access: "r"}}}, "major"},
		{Resources{Devices: []DeviceRule{{Type: 'b', Major: 1, Minor: 1 << 20, Access: "r"}}}, "minor"},
		{Resources{BlkioWeight: 9}, "blkio weight"},
		{Resources{BlkioWeight: 1001}, "blkio weight"},
		{Resources{Throttles: []Throttle{{Kind: 4, Major: 8}}}, "throttle kind"},
		{Resources{Throttles: []Throttle{{Major: -1}}}, "out of range"},
	}
	for _, tt := range bad {
		err := validate(tt.r, online, online)
		require.Error(t, err, "validate(%+v) = nil, want an error", tt.r)
		require.ErrorIs(t, err, ErrInvalid)
		require.Contains(t, err.Error(), tt.want, "validate(%+v)", tt.r)
	}
	// Several mistakes are reported together.
	err := validate(Resources{Memory: -1, CPUShares: 1}, nil, nil)
	require.Equal(t, 2, strings.Count(err.Error(), ErrInvalid.Error()), "%v", err)
	// Without the online probes only the syntax is checked.
	require.NoError(t, validate(Resources{CpusetCpus: "4000"}, nil, nil))
	require.NoError(t, validate(Resources{CpusetCpus: "4"}, func() (map[int]bool, error) { return nil, errors.New("no sysfs") }, nil))
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{"dock/abc": "dock/abc", "/dock/abc": "dock/abc", "x": "x"} {
		got, err := cleanPath(in)
		require.NoError(t, err)
		require.Equal(t, want, got, "cleanPath(%q)", in)
	}
	for _, in := range []string{"", "/", ".", "..", "../x", "dock/../../x", "dock//x", "dock/", "dock/./x"} {
		_, err := cleanPath(in)
		require.Error(t, err, "cleanPath(%q) = nil error", in)
	}
}

func TestV1Mounts(t *testing.T) {
	const mountinfo = `22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:32 /sub /mnt/mem\040copy rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /weird\040dir/freezer rw,relatime - cgroup cgroup rw,freezer
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
bad line
`
	m, unified, err := v1Mounts(strings.NewReader(mountinfo))
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"cpu":     "/sys/fs/cgroup/cpu,cpuacct",
		"cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
		"cpuset":  "/sys/fs/cgroup/cpuset",
		"memory":  "/sys/fs/cgroup/memory",
		"freezer": "/weird dir/freezer",
	}, m)
	require.Equal(t, "/sys/fs/cgroup/unified", unified)

	h, err := v1Hierarchies(strings.NewReader(mountinfo))
	require.NoError(t, err)
	require.Equal(t, []Hierarchy{
		{Name: "cpu,cpuacct", Controllers: "cpu,cpuacct"},
		{Name: "cpuset", Controllers: "cpuset"},
		{Name: "memory", Controllers: "memory"},
		{Name: "freezer", Controllers: "freezer"},
	}, h, "v1Hierarchies: each hierarchy once (the memory bind mount is skipped), name=systemd and cgroup2 left out")
}

func TestParseKeyed(t *testing.T) {
	got := parseKeyed("oom_kill_disable 0\nunder_oom 1\noom_kill 3\nbroken\nname x\n")
	require.Equal(t, map[string]uint64{"oom_kill_disable": 0, "under_oom": 1, "oom_kill": 3}, got)
}
