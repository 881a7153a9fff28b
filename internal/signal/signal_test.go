package signal

import (
	"syscall"
	"testing"
)

func TestParse(t *testing.T) {
	for s, want := range map[string]syscall.Signal{
		"SIGTERM": 15, "term": 15, "9": 9, "64": 64, "SIGRTMIN": 34, "RTMIN+3": 37,
		"0": 0, "65": 0, "NOPE": 0, "RTMIN+31": 0, "": 0,
	} {
		got, ok := Parse(s)
		if ok != (want != 0) || (ok && got != want) {
			t.Errorf("Parse(%q) = %d, %t, want %d", s, got, ok, want)
		}
	}
}
