package main

import (
	"testing"

	"github.com/go-dock/dock"
)

func TestStatsIOColumns(t *testing.T) {
	s := &dock.Stats{
		Networks: map[string]dock.NetworkStats{"eth0": {RxBytes: 1000, TxBytes: 648}, "eth1": {RxBytes: 200}},
		BlockIO: dock.BlockIOStats{ServiceBytes: []dock.BlockIOEntry{
			{Major: 254, Op: "Read", Value: 12_345_678}, {Major: 254, Op: "Write", Value: 1 << 20},
			{Major: 254, Op: "Total", Value: 12_345_678 + 1<<20},
		}},
	}
	netIO, blockIO := ioColumns(s)
	if netIO != "1.2kB / 648B" || blockIO != "12.3MB / 1.05MB" {
		t.Errorf("ioColumns = %q, %q, want %q, %q", netIO, blockIO, "1.2kB / 648B", "12.3MB / 1.05MB")
	}
	netIO, blockIO = ioColumns(&dock.Stats{})
	if netIO != "0B / 0B" || blockIO != "0B / 0B" {
		t.Errorf("ioColumns(no traffic) = %q, %q, want 0B / 0B twice", netIO, blockIO)
	}
}
