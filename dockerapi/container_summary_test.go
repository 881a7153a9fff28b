package dockerapi

import (
	"net/netip"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
)

func TestPortSummaries(t *testing.T) {
	pm := network.PortMap{
		network.MustParsePort("80/tcp"): {{HostIP: netip.IPv4Unspecified(), HostPort: "8080"}, {HostIP: netip.IPv6Unspecified(), HostPort: "8080"}},
		network.MustParsePort("53/udp"): nil,
		network.MustParsePort("22/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "2222"}},
	}
	require.Equal(t, []container.PortSummary{
		{IP: netip.MustParseAddr("127.0.0.1"), PrivatePort: 22, PublicPort: 2222, Type: "tcp"},
		{PrivatePort: 53, Type: "udp"},
		{IP: netip.IPv4Unspecified(), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
		{IP: netip.IPv6Unspecified(), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
	}, portSummaries(pm))
	require.Equal(t, []container.PortSummary{}, portSummaries(network.PortMap{}), "an empty list, not null")
}

func TestContainerStatus(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		state  dock.State
		health *dock.Health
		want   string
	}{
		{dock.State{Status: dock.StatusCreated}, nil, "Created"},
		{dock.State{Status: dock.StatusRunning, StartedAt: now.Add(-2 * time.Minute)}, nil, "Up 2 minutes"},
		{dock.State{Status: dock.StatusRunning, StartedAt: now.Add(-3 * time.Second)}, &dock.Health{Status: dock.HealthStarting}, "Up 3 seconds (health: starting)"},
		{dock.State{Status: dock.StatusRunning, StartedAt: now.Add(-time.Hour)}, &dock.Health{Status: dock.HealthHealthy}, "Up About an hour (healthy)"},
		{dock.State{Status: dock.StatusPaused, StartedAt: now.Add(-3 * time.Hour)}, nil, "Up 3 hours (Paused)"},
		{dock.State{Status: dock.StatusExited, FinishedAt: now.Add(-5 * time.Second), Exit: dock.ExitStatus{Code: 3}}, nil, "Exited (3) 5 seconds ago"},
		{dock.State{Status: dock.StatusRestarting, FinishedAt: now.Add(-time.Second), Exit: dock.ExitStatus{Code: 1}}, nil, "Restarting (1) 1 second ago"},
	} {
		got := ContainerStatus(&dock.Info{State: tt.state, Health: tt.health}, now)
		require.Equal(t, tt.want, got)
	}
}
