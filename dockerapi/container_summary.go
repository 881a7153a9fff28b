package dockerapi

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/go-dock/dock"
)

// ContainerSummary is a listed container as GET /containers/json shows
// it; now is the reference of its Status ("Up 2 minutes").
func ContainerSummary(lc *ListedContainer, now time.Time) container.Summary {
	info := lc.Info
	s := container.Summary{
		ID:      info.ID,
		Names:   []string{},
		Image:   lc.ImageName,
		ImageID: info.ImageID,
		Command: lc.Command,
		Created: info.Created.Unix(),
		Ports:   portSummaries(Ports(info)),
		Labels:  lc.Labels,
		State:   container.ContainerState(info.State.Status),
		Status:  ContainerStatus(info, now),
		Mounts:  mounts(info.Mounts),
		NetworkSettings: &container.NetworkSettingsSummary{
			Networks: map[string]*network.EndpointSettings{},
		},
	}
	if info.Name != "" {
		s.Names = append(s.Names, "/"+info.Name)
	}
	s.HostConfig.NetworkMode = info.Config.Network
	if s.HostConfig.NetworkMode == "" {
		s.HostConfig.NetworkMode = network.NetworkNone // the library's default
	}
	if lc.Size != nil {
		s.SizeRw, s.SizeRootFs = lc.Size.RW, lc.Size.RootFS
	}
	if info.Health != nil {
		s.Health = &container.HealthSummary{Status: container.HealthStatus(info.Health.Status), FailingStreak: info.Health.FailingStreak}
	}
	eps := endpoints(info)
	for _, ep := range lc.Networks {
		es := eps[ep.Network]
		if es == nil {
			es = &network.EndpointSettings{NetworkID: ep.NetworkID}
		}
		s.NetworkSettings.Networks[ep.Network] = es
	}
	return s
}

// portSummaries are the Ports of a listed container: each binding of
// each port, and an exposed port that is not published alone, sorted as
// Docker's CLI prints them.
func portSummaries(pm network.PortMap) []container.PortSummary {
	out := []container.PortSummary{}
	for p, bindings := range pm {
		if len(bindings) == 0 {
			out = append(out, container.PortSummary{PrivatePort: p.Num(), Type: string(p.Proto())})
			continue
		}
		for _, b := range bindings {
			public, _ := strconv.ParseUint(b.HostPort, 10, 16) // Ports gives one port, taken
			out = append(out, container.PortSummary{IP: b.HostIP, PrivatePort: p.Num(), PublicPort: uint16(public), Type: string(p.Proto())})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.PrivatePort != b.PrivatePort {
			return a.PrivatePort < b.PrivatePort
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.IP.Less(b.IP)
	})
	return out
}

// ContainerStatus is the Status Docker lists a container with, as docker
// ps shows it: "Up 2 minutes (healthy)", "Up 3 hours (Paused)",
// "Restarting (1) 5 seconds ago", "Exited (0) 3 seconds ago", "Created".
func ContainerStatus(info *dock.Info, now time.Time) string {
	st := info.State
	switch st.Status {
	case dock.StatusRunning:
		up := "Up " + units.HumanDuration(now.Sub(st.StartedAt))
		if h := info.Health; h != nil {
			if h.Status == dock.HealthStarting {
				return up + " (health: starting)"
			}
			return up + " (" + string(h.Status) + ")"
		}
		return up
	case dock.StatusPaused:
		return "Up " + units.HumanDuration(now.Sub(st.StartedAt)) + " (Paused)"
	case dock.StatusRestarting:
		return fmt.Sprintf("Restarting (%d) %s ago", st.Exit.Code, units.HumanDuration(now.Sub(st.FinishedAt)))
	case dock.StatusExited:
		return fmt.Sprintf("Exited (%d) %s ago", st.Exit.Code, units.HumanDuration(now.Sub(st.FinishedAt)))
	case dock.StatusCreated:
		return "Created"
	}
	return string(st.Status)
}
