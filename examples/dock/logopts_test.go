package main

import (
	"strings"
	"testing"

	"github.com/go-dock/dock"
)

func TestParseLogOpts(t *testing.T) {
	for _, tc := range []struct {
		driver string
		opts   []string
		want   dock.LogConfig
	}{
		{"", nil, dock.LogConfig{}},
		{"json-file", nil, dock.LogConfig{}},
		{"local", nil, dock.LogConfig{}},
		{"", []string{"max-size=10m", "max-file=3"}, dock.LogConfig{MaxSize: 10_000_000, MaxFiles: 3}},
		{"", []string{"max-size=512k"}, dock.LogConfig{MaxSize: 512_000}},
		{"", []string{"max-size=1g"}, dock.LogConfig{MaxSize: 1_000_000_000}},
		{"", []string{"max-size=2MB"}, dock.LogConfig{MaxSize: 2_000_000}},
		{"", []string{"max-size=4096"}, dock.LogConfig{MaxSize: 4096}},
		{"", []string{"max-size=-1"}, dock.LogConfig{MaxSize: -1}},
		{"", []string{"max-file=1"}, dock.LogConfig{MaxFiles: 1}},
		{"", []string{"max-size=1m", "max-size=2m"}, dock.LogConfig{MaxSize: 2_000_000}}, // the last one, as docker
		{"local", []string{"compress=false", "max-file=2"}, dock.LogConfig{MaxFiles: 2}},
	} {
		got, err := parseLogOpts(tc.driver, tc.opts)
		if err != nil || got != tc.want {
			t.Errorf("parseLogOpts(%q, %q) = %+v, %v; want %+v", tc.driver, tc.opts, got, err, tc.want)
		}
	}
}

func TestParseLogOptsErrors(t *testing.T) {
	for _, tc := range []struct {
		driver string
		opts   []string
		want   string
	}{
		{"syslog", nil, `log driver "syslog" is not supported`},
		{"none", nil, `log driver "none" is not supported`},
		{"", []string{"labels=a"}, "unknown log opt 'labels' for json-file log driver"},
		{"json-file", []string{"max-size"}, `invalid size: ""`},
		{"local", []string{"mode=non-blocking"}, "unknown log opt 'mode' for log driver local"},
		{"", []string{"max-size=0"}, "max-size must be a positive number"},
		{"", []string{"max-size=-2"}, `invalid size: "-2"`},
		{"", []string{"max-size=10x"}, `invalid size: "10x"`},
		{"", []string{"max-file=0"}, "max-file cannot be less than 1"},
		{"", []string{"max-file=-3"}, "max-file cannot be less than 1"},
		{"", []string{"max-file=three"}, `max-file "three": not a number`},
		{"", []string{"compress=true"}, "compress=true is not supported"},
		{"", []string{"compress=maybe"}, `compress "maybe": want true or false`},
	} {
		_, err := parseLogOpts(tc.driver, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseLogOpts(%q, %q) = %v, want an error with %q", tc.driver, tc.opts, err, tc.want)
		}
	}
}
