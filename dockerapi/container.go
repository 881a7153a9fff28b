package dockerapi

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"

	"github.com/go-dock/dock"
)

// Time is t as Docker's JSON writes a time in a string field: RFC 3339
// in UTC with nanoseconds, "0001-01-01T00:00:00Z" for the zero time.
func Time(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ContainerInspect is the container info describes as docker inspect and
// GET /containers/{id}/json (API 1.52 and later) show it.
func ContainerInspect(info *dock.Info) *container.InspectResponse {
	r := &container.InspectResponse{
		ID:             info.ID,
		Created:        Time(info.Created),
		Args:           []string{},
		State:          containerState(info),
		Image:          info.ImageID,
		ResolvConfPath: info.ResolvConfPath,
		HostnamePath:   info.HostnamePath,
		HostsPath:      info.HostsPath,
		LogPath:        info.LogPath,
		Driver:         info.Storage.Driver,
		Platform:       "linux",
		HostConfig:     hostConfig(info),
		GraphDriver:    graphDriver(info.Storage),
		Mounts:         mounts(info.Mounts),
		Config:         containerConfig(info),
		NetworkSettings: &container.NetworkSettings{
			Ports:    Ports(info),
			Networks: endpoints(info),
		},
	}
	r.RestartCount = info.State.RestartCount
	if len(info.Args) > 0 {
		r.Path, r.Args = info.Args[0], slices.Clone(info.Args[1:])
	}
	if info.Name != "" {
		r.Name = "/" + info.Name
	}
	if running(info) && len(r.NetworkSettings.Networks) > 0 && attached(info) {
		// Docker's key is a bind mount of the namespace; nsenter --net
		// takes this path as well.
		r.NetworkSettings.SandboxKey = "/proc/" + itoa(info.State.Pid) + "/ns/net"
	}
	return r
}

// running reports whether the container's process is there: running or
// paused.
func running(info *dock.Info) bool {
	return info.State.Status == dock.StatusRunning || info.State.Status == dock.StatusPaused
}

// containerState is Docker's State: a restarting container is Running
// and Restarting, with the exit code of the run that ended, as Docker
// shows it; Health once a health check was set up.
func containerState(info *dock.Info) *container.State {
	st := info.State
	s := &container.State{
		Status:     container.ContainerState(st.Status),
		Running:    running(info) || st.Status == dock.StatusRestarting,
		Paused:     st.Status == dock.StatusPaused,
		Restarting: st.Status == dock.StatusRestarting,
		Pid:        st.Pid,
		StartedAt:  Time(st.StartedAt),
		FinishedAt: Time(st.FinishedAt),
		Health:     health(info.Health),
	}
	if st.Status == dock.StatusExited || st.Status == dock.StatusRestarting {
		s.ExitCode, s.OOMKilled, s.Error = st.Exit.Code, st.Exit.OOMKilled, st.Exit.Err
	}
	return s
}

// health is Docker's State.Health; nil for none.
func health(h *dock.Health) *container.Health {
	if h == nil {
		return nil
	}
	out := &container.Health{Status: container.HealthStatus(h.Status), FailingStreak: h.FailingStreak,
		Log: []*container.HealthcheckResult{}}
	for _, r := range h.Log {
		out.Log = append(out.Log, &container.HealthcheckResult{Start: r.Start, End: r.End, ExitCode: r.ExitCode, Output: r.Output})
	}
	return out
}

// healthConfig is Docker's Config.Healthcheck: the container's, merged
// with its image's at create.
func healthConfig(h *dock.Healthcheck) *container.HealthConfig {
	if h == nil {
		return nil
	}
	return &container.HealthConfig{Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
		StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
}

// containerConfig is Docker's Config: the container's settings with the
// image's defaults merged in at create (info.Resolved).
func containerConfig(info *dock.Info) *container.Config {
	cfg, res := &info.Config, &info.Resolved
	c := &container.Config{
		Hostname:     info.Hostname,
		User:         res.User,
		ExposedPorts: exposedPorts(info),
		Tty:          cfg.Tty,
		OpenStdin:    cfg.OpenStdin,
		StdinOnce:    cfg.StdinOnce,
		Env:          slices.Clone(res.Env),
		Cmd:          slices.Clone(res.Cmd),
		Image:        cfg.Image,
		WorkingDir:   res.WorkingDir,
		Entrypoint:   slices.Clone(res.Entrypoint),
		Labels:       maps.Clone(res.Labels),
		StopSignal:   res.StopSignal,
		Healthcheck:  healthConfig(cfg.Healthcheck),
	}
	if c.Labels == nil {
		c.Labels = map[string]string{} // Docker's daemon always makes one
	}
	for _, v := range res.Volumes {
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		c.Volumes[v] = struct{}{}
	}
	if cfg.StopTimeout != nil {
		s := int(*cfg.StopTimeout / time.Second)
		c.StopTimeout = &s
	}
	return c
}

// exposedPorts are the container's exposed ports as Docker counts them:
// the image's EXPOSE, --expose, and the container ports of -p.
func exposedPorts(info *dock.Info) network.PortSet {
	var set network.PortSet
	add := func(p dock.Port) {
		if set == nil {
			set = network.PortSet{}
		}
		set[portOf(p)] = struct{}{}
	}
	for _, p := range info.ExposedPorts {
		add(p)
	}
	for _, p := range info.Config.ExposedPorts {
		add(p)
	}
	for _, m := range info.Config.Ports {
		add(dock.Port{Number: m.ContainerPort, Proto: m.Proto})
	}
	return set
}

// mounts are Docker's Mounts: the volumes and bind mounts (a tmpfs is in
// HostConfig.Tmpfs only, as docker run --tmpfs puts it).
func mounts(ms []dock.MountPoint) []container.MountPoint {
	out := []container.MountPoint{}
	for _, m := range ms {
		mp := container.MountPoint{Type: mount.Type(m.Type), Source: m.Source, Destination: m.Target, RW: !m.ReadOnly}
		if m.ReadOnly {
			mp.Mode = "ro"
		}
		switch m.Type {
		case "volume":
			mp.Name, mp.Driver = m.Name, "local"
		case "bind":
			mp.Propagation = mount.PropagationRPrivate
		default:
			continue
		}
		out = append(out, mp)
	}
	return out
}

// graphDriver is Docker's GraphDriver of an overlay2 container.
func graphDriver(s dock.StorageInfo) *storage.DriverData {
	if s.Driver == "" {
		return nil
	}
	return &storage.DriverData{Name: s.Driver, Data: map[string]string{
		"LowerDir":  strings.Join(s.LowerDirs, ":"),
		"UpperDir":  s.UpperDir,
		"WorkDir":   s.WorkDir,
		"MergedDir": s.MergedDir,
	}}
}
