package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		hosts string // the hosts, space-separated
		err   string
	}{
		{nil, "unix:///run/dock.sock", ""},
		{[]string{"-H", "unix://"}, "unix:///run/dock.sock", ""},
		{[]string{"-H", "unix:///tmp/a.sock", "--host", "unix:///tmp/b.sock"}, "unix:///tmp/a.sock unix:///tmp/b.sock", ""},
		{[]string{"-H", "tcp://127.0.0.1:2999", "--insecure-tcp"}, "tcp://127.0.0.1:2999", ""},
		{[]string{"-H", "tcp://127.0.0.1", "--insecure-tcp"}, "tcp://127.0.0.1:2375", ""},
		{[]string{"-H", "tcp://", "--insecure-tcp"}, "tcp://127.0.0.1:2375", ""},
		{[]string{"-H", "tcp://::1", "--insecure-tcp"}, "tcp://[::1]:2375", ""},
		{[]string{"-H", "tcp://:2999", "--insecure-tcp"}, "tcp://:2999", ""},
		{[]string{"-H", "tcp://127.0.0.1", "--tlsverify", "--tlscacert", "ca", "--tlscert", "c", "--tlskey", "k"}, "tcp://127.0.0.1:2376", ""},
		// TCP needs mutual TLS, or the explicit flag.
		{[]string{"-H", "tcp://127.0.0.1:2375"}, "", "TCP without --tlsverify gives root"},
		{[]string{"-H", "tcp://127.0.0.1:2376", "--tlsverify"}, "", "--tlsverify needs --tlscacert, --tlscert and --tlskey"},
		{[]string{"-H", "tcp://127.0.0.1:2376", "--tlscert", "c"}, "", "need --tlsverify"},
		{[]string{"-H", "tcp://127.0.0.1:2376/path", "--insecure-tcp"}, "", "without a path"},
		{[]string{"-H", "unix://relative.sock"}, "", "must be absolute"},
		{[]string{"-H", "fd://"}, "", `unsupported protocol "fd"`},
		{[]string{"-H", "/run/dock.sock"}, "", "want unix:///path or tcp://host:port"},
		{[]string{"--log-level", "loud"}, "", `--log-level "loud"`},
		{[]string{"--root", ""}, "", "--root: empty path"},
		{[]string{"extra"}, "", `unexpected argument "extra"`},
		{[]string{"--nosuch"}, "", "flag provided but not defined: -nosuch"},
	} {
		cfg, err := parseFlags(tt.args, io.Discard)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseFlags(%q) = %v; want an error containing %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseFlags(%q): %v", tt.args, err)
			continue
		}
		var hosts []string
		for _, h := range cfg.hosts {
			hosts = append(hosts, h.String())
		}
		if got := strings.Join(hosts, " "); got != tt.hosts {
			t.Errorf("parseFlags(%q) hosts = %q, want %q", tt.args, got, tt.hosts)
		}
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	t.Setenv("DOCK_ROOT", "")
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.root != "/var/lib/dock" || cfg.group != "docker" || cfg.groupSet || cfg.logLevel.String() != "INFO" || cfg.insecureTCP {
		t.Errorf("parseFlags() = %+v; want root /var/lib/dock (the dock CLI's), group docker (not set), level info, no insecure TCP", cfg)
	}
	t.Setenv("DOCK_ROOT", "/srv/dock")
	cfg, err = parseFlags([]string{"--group", "wheel", "--log-level", "debug"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.root != "/srv/dock" || !cfg.groupSet || cfg.group != "wheel" || cfg.logLevel.String() != "DEBUG" {
		t.Errorf("parseFlags(--group wheel) with DOCK_ROOT = %+v; want root /srv/dock, group wheel set, level debug", cfg)
	}
}
