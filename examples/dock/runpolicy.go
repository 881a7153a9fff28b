package main

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-dock/dock"
)

// parseRestartPolicy parses --restart as the docker CLI does:
// NAME[:MAX_RETRIES]; the library checks the name and the count with
// dockerd's messages.
func parseRestartPolicy(s string) (dock.RestartPolicy, error) {
	if s == "" {
		return dock.RestartPolicy{}, nil
	}
	name, count, ok := strings.Cut(s, ":")
	if ok && name == "" {
		return dock.RestartPolicy{}, errors.New("invalid restart policy format: no policy provided before colon")
	}
	p := dock.RestartPolicy{Name: name}
	if count != "" {
		n, err := strconv.Atoi(count)
		if err != nil {
			return dock.RestartPolicy{}, errors.New("invalid restart policy format: maximum retry count must be an integer")
		}
		p.MaximumRetryCount = n
	}
	return p, nil
}

// healthFlags are docker run's --health-* and --no-healthcheck.
type healthFlags struct {
	cmd                                           string
	interval, timeout, startPeriod, startInterval time.Duration
	retries                                       int
	none                                          bool
}

func (h *healthFlags) register(fs *flagSet) {
	duration := func(p *time.Duration) func(string) error {
		return func(s string) error {
			d, err := time.ParseDuration(s)
			*p = d
			return err
		}
	}
	fs.String(&h.cmd, "health-cmd", "Command to run to check health")
	fs.Func("health-interval", "Time between running the check (ms|s|m|h) (default 0s)", duration(&h.interval))
	fs.Int(&h.retries, "health-retries", "Consecutive failures needed to report unhealthy")
	fs.Func("health-start-interval", "Time between running the check during the start period (ms|s|m|h) (default 0s)", duration(&h.startInterval))
	fs.Func("health-start-period", "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)", duration(&h.startPeriod))
	fs.Func("health-timeout", "Maximum time to allow one check to run (ms|s|m|h) (default 0s)", duration(&h.timeout))
	fs.Bool(&h.none, "no-healthcheck", "Disable any container-specified HEALTHCHECK")
}

// config is the health check the flags set, with the docker CLI's checks;
// nil when they set none (the image's applies).
func (h *healthFlags) config() (*dock.Healthcheck, error) {
	set := h.cmd != "" || h.interval != 0 || h.timeout != 0 || h.startPeriod != 0 || h.startInterval != 0 || h.retries != 0
	if h.none {
		if set {
			return nil, errors.New("--no-healthcheck conflicts with --health-* options")
		}
		return &dock.Healthcheck{Test: []string{"NONE"}}, nil
	}
	if !set {
		return nil, nil
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"interval", h.interval}, {"timeout", h.timeout}, {"start-period", h.startPeriod}, {"start-interval", h.startInterval}} {
		if d.v < 0 {
			return nil, errors.New("--health-" + d.flag + " cannot be negative")
		}
	}
	if h.retries < 0 {
		return nil, errors.New("--health-retries cannot be negative")
	}
	hc := &dock.Healthcheck{Interval: h.interval, Timeout: h.timeout, StartPeriod: h.startPeriod,
		StartInterval: h.startInterval, Retries: h.retries}
	if h.cmd != "" {
		hc.Test = []string{"CMD-SHELL", h.cmd}
	}
	return hc, nil
}
