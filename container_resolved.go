package dock

import (
	"maps"
	"path"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ResolvedConfig is a container's configuration with its image's
// defaults merged in by Docker's rules, as Create resolved them: what
// docker inspect shows as a container's Config. It does not change when
// the image does, or is removed.
type ResolvedConfig struct {
	// Entrypoint and Cmd are the command: Config's, else the image's. A
	// Config.Entrypoint drops the image's Cmd; [""] (docker run
	// --entrypoint "") stays as it is, as Docker shows it.
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	// Env is Config.Env, then the image's variables that Config.Env does
	// not set, in Docker's order. The default PATH that a process gets
	// when neither sets one is not in it (Docker shows none either).
	Env []string `json:"env,omitempty"`
	// WorkingDir, User and StopSignal are Config's, else the image's;
	// empty when neither sets them.
	WorkingDir string `json:"workingDir,omitempty"`
	User       string `json:"user,omitempty"`
	StopSignal string `json:"stopSignal,omitempty"`
	// Labels are the image's labels with Config.Labels over them.
	Labels map[string]string `json:"labels,omitempty"`
	// Volumes are the paths of the image's VOLUMEs and of Config's
	// anonymous volume mounts (docker run -v /path), sorted.
	Volumes []string `json:"volumes,omitempty"`
}

// resolveConfig merges cfg with the image's configuration ic as Docker's
// daemon merges a container's config with its image's at create. cfg's
// Mounts are the caller's, before the image's VOLUMEs are added.
func resolveConfig(cfg *Config, ic *ocispec.ImageConfig) ResolvedConfig {
	r := ResolvedConfig{
		Entrypoint: slices.Clone(cfg.Entrypoint), Cmd: slices.Clone(cfg.Cmd),
		WorkingDir: cfg.WorkingDir, User: cfg.User, StopSignal: cfg.StopSignal,
	}
	if len(cfg.Entrypoint) == 0 {
		if len(cfg.Cmd) == 0 {
			r.Cmd = slices.Clone(ic.Cmd)
		}
		if cfg.Entrypoint == nil {
			r.Entrypoint = slices.Clone(ic.Entrypoint)
		}
	}
	for _, kv := range cfg.Env {
		if strings.Contains(kv, "=") {
			r.Env = append(r.Env, kv)
		}
	}
	for _, kv := range ic.Env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(r.Env, func(s string) bool { return strings.HasPrefix(s, k+"=") }) {
			r.Env = append(r.Env, kv)
		}
	}
	if r.WorkingDir == "" {
		r.WorkingDir = ic.WorkingDir
	}
	if r.User == "" {
		r.User = ic.User
	}
	if r.StopSignal == "" {
		r.StopSignal = ic.StopSignal
	}
	if len(ic.Labels)+len(cfg.Labels) > 0 {
		r.Labels = maps.Clone(ic.Labels)
		if r.Labels == nil {
			r.Labels = map[string]string{}
		}
		maps.Copy(r.Labels, cfg.Labels)
	}
	vols := map[string]bool{}
	for v := range ic.Volumes {
		vols[v] = true
	}
	for _, m := range cfg.Mounts {
		if m.Type == "volume" && m.Source == "" {
			vols[path.Clean(m.Target)] = true
		}
	}
	if len(vols) > 0 {
		r.Volumes = slices.Sorted(maps.Keys(vols))
	}
	return r
}

// resolvedFromProcess stands in for the ResolvedConfig of a container
// created before records kept one: its process as resolved then (the
// command whole, as Cmd) and its own labels.
func resolvedFromProcess(rec *containerRecord) ResolvedConfig {
	p := rec.Process
	return ResolvedConfig{
		Cmd: p.Args, Env: p.Env, WorkingDir: p.WorkingDir, User: p.User, StopSignal: p.StopSignal,
		Labels: rec.Config.Labels,
	}
}
