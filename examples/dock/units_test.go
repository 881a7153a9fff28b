package main

import (
	"testing"
	"time"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"4096", 4096, true},
		{"100b", 100, true},
		{"512k", 512 << 10, true},
		{"512K", 512 << 10, true},
		{"64m", 64 << 20, true},
		{"64mb", 64 << 20, true},
		{"64MiB", 64 << 20, true},
		{"1g", 1 << 30, true},
		{"1.5g", 3 << 29, true},
		{"2t", 2 << 40, true},
		{"1 g", 1 << 30, true},
		{"", 0, false},
		{"12x", 0, false},
		{"m", 0, false},
		{"-1", 0, false},
		{"1.2.3m", 0, false},
		{"1gg", 0, false},
		{"99999999999p", 0, false},
	}
	for _, tt := range tests {
		got, err := parseBytes(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseUlimit(t *testing.T) {
	got, err := parseUlimit("core=0")
	if err != nil || got != (dock.Ulimit{Name: "core", Soft: 0, Hard: 0}) {
		t.Errorf("parseUlimit(core=0) = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "nofile", "nofile=", "nofile=-1", "nofile=1:", "x=1", "nofile=3:2"} {
		if _, err := parseUlimit(bad); err == nil {
			t.Errorf("parseUlimit(%q) succeeded, want an error", bad)
		}
	}
}

func TestHumanFormats(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{500 * time.Millisecond, "Less than a second"},
		{time.Second, "1 second"},
		{59 * time.Second, "59 seconds"},
		{90 * time.Second, "About a minute"},
		{5 * time.Minute, "5 minutes"},
		{65 * time.Minute, "About an hour"},
		{5 * time.Hour, "5 hours"},
		{72 * time.Hour, "3 days"},
		{21 * 24 * time.Hour, "3 weeks"},
		{90 * 24 * time.Hour, "3 months"},
		{3 * 365 * 24 * time.Hour, "3 years"},
	} {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	for n, want := range map[int64]string{0: "0B", 999: "999B", 4_260_000: "4.26MB", 1_000_000_000: "1GB", 1536: "1.54kB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[uint64]string{0: "0B", 1024: "1KiB", 1536 << 10: "1.5MiB", 7 << 30: "7GiB"} {
		if got := bytesSize(n); got != want {
			t.Errorf("bytesSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestStatusText(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		st     dock.State
		health dock.HealthStatus
		want   string
	}{
		{st: dock.State{Status: dock.StatusCreated}, want: "Created"},
		{st: dock.State{Status: dock.StatusRunning, StartedAt: now.Add(-2 * time.Minute)}, want: "Up 2 minutes"},
		{st: dock.State{Status: dock.StatusRunning, StartedAt: now.Add(-5 * time.Second)}, health: dock.HealthHealthy, want: "Up 5 seconds (healthy)"},
		{st: dock.State{Status: dock.StatusRunning, StartedAt: now.Add(-5 * time.Second)}, health: dock.HealthStarting, want: "Up 5 seconds (health: starting)"},
		{st: dock.State{Status: dock.StatusRunning, StartedAt: now.Add(-5 * time.Second)}, health: dock.HealthUnhealthy, want: "Up 5 seconds (unhealthy)"},
		{st: dock.State{Status: dock.StatusPaused, StartedAt: now.Add(-90 * time.Second)}, want: "Up About a minute (Paused)"},
		{st: dock.State{Status: dock.StatusPaused, StartedAt: now.Add(-90 * time.Second)}, health: dock.HealthHealthy, want: "Up About a minute (Paused)"},
		{st: dock.State{Status: dock.StatusRestarting, FinishedAt: now.Add(-2 * time.Second), Exit: dock.ExitStatus{Code: 1}}, want: "Restarting (1) 2 seconds ago"},
		{st: dock.State{Status: dock.StatusExited, FinishedAt: now.Add(-5 * time.Second), Exit: dock.ExitStatus{Code: 0}}, want: "Exited (0) 5 seconds ago"},
		{st: dock.State{Status: dock.StatusExited, FinishedAt: now.Add(-3 * time.Hour), Exit: dock.ExitStatus{Code: 137}}, health: dock.HealthHealthy, want: "Exited (137) 3 hours ago"},
	} {
		info := &dock.Info{State: tt.st}
		if tt.health != "" {
			info.Health = &dock.Health{Status: tt.health}
		}
		if got := dockerapi.ContainerStatus(info, now); got != tt.want {
			t.Errorf("ContainerStatus(%+v) = %q, want %q", tt.st, got, tt.want)
		}
	}
}

func TestSmallHelpers(t *testing.T) {
	if got := ellipsis("sh -c 'echo hello world'", 20); got != "sh -c 'echo hello w…" {
		t.Errorf("ellipsis = %q", got)
	}
	if got := ellipsis("short", 20); got != "short" {
		t.Errorf("ellipsis(short) = %q", got)
	}
	for in, want := range map[string][2]string{
		"busybox:latest":       {"busybox", "latest"},
		"localhost:5000/app:1": {"localhost:5000/app", "1"},
		"localhost:5000/app":   {"localhost:5000/app", "<none>"},
		"<none>:<none>":        {"<none>", "<none>"},
		"user/app:v1.2":        {"user/app", "v1.2"},
	} {
		if r, tag := splitTag(in); r != want[0] || tag != want[1] {
			t.Errorf("splitTag(%q) = %q, %q; want %q", in, r, tag, want)
		}
	}
	if got := cpuPercent(0, 50_000_000, 100*time.Millisecond); got != 50 {
		t.Errorf("cpuPercent = %v, want 50", got)
	}
}
