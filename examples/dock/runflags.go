package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-dock/dock"
)

// The flags of docker run and create that tie a container to the host:
// devices, sysctls, namespaces, OOM and block I/O settings, and the
// security options. Each sets a field of dock.Config, checked there
// again; here the syntax is checked, with docker's words, as docker's
// CLI checks it.

// hostFlags are those flags, as given.
type hostFlags struct {
	shmSize       string
	ipc, pid, uts string
	cgroupns      string
	userns        string
	sysctls       []string
	throttles     [4][]dock.ThrottleDevice
}

// register adds the flags to fs, with docker's names and help texts.
func (h *hostFlags) register(fs *flagSet, cfg *dock.Config) {
	fs.String(&h.shmSize, "shm-size", "Size of /dev/shm")
	fs.Func("device", "Add a host device to the container", func(s string) error {
		d, err := parseDevice(s)
		cfg.Devices = append(cfg.Devices, d)
		return err
	})
	fs.Func("device-cgroup-rule", "Add a rule to the cgroup allowed devices list", func(s string) error {
		if !deviceCgroupRule.MatchString(s) {
			return fmt.Errorf("invalid device cgroup format '%s'", s)
		}
		cfg.DeviceCgroupRules = append(cfg.DeviceCgroupRules, s)
		return nil
	})
	fs.Func("sysctl", "Sysctl options", func(s string) error {
		if err := validateSysctl(s); err != nil {
			return err
		}
		h.sysctls = append(h.sysctls, s)
		return nil
	})
	fs.String(&h.ipc, "ipc", "IPC mode to use")
	fs.String(&h.pid, "pid", "PID namespace to use")
	fs.String(&h.uts, "uts", "UTS namespace to use")
	fs.String(&h.cgroupns, "cgroupns", "Cgroup namespace to use (host|private)")
	fs.String(&h.userns, "userns", "User namespace to use")
	fs.Bool(&cfg.Resources.OOMKillDisable, "oom-kill-disable", "Disable OOM Killer")
	fs.Int(&cfg.OOMScoreAdj, "oom-score-adj", "Tune host's OOM preferences (-1000 to 1000)")
	fs.Func("blkio-weight", "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return errors.Unwrap(err) // strconv's "invalid syntax", "value out of range"
		}
		cfg.Resources.BlkioWeight = uint16(v)
		return nil
	})
	for i, f := range []struct{ name, usage string }{
		{"device-read-bps", "Limit read rate (bytes per second) from a device"},
		{"device-write-bps", "Limit write rate (bytes per second) to a device"},
		{"device-read-iops", "Limit read rate (IO per second) from a device"},
		{"device-write-iops", "Limit write rate (IO per second) to a device"},
	} {
		iops := i >= 2
		fs.Func(f.name, f.usage, func(s string) error {
			d, err := parseThrottle(s, iops)
			h.throttles[i] = append(h.throttles[i], d)
			return err
		})
	}
}

// apply checks the modes, with docker's words, and sets them in cfg.
func (h *hostFlags) apply(cfg *dock.Config) error {
	if h.shmSize != "" {
		n, err := parseBytes(h.shmSize)
		if err != nil {
			return fmt.Errorf("invalid argument %q for \"--shm-size\" flag: %v", h.shmSize, err)
		}
		cfg.ShmSize = n
	}
	switch {
	case h.ipc == "" || h.ipc == "private" || h.ipc == "shareable" || h.ipc == "host" || h.ipc == "none":
	case strings.HasPrefix(h.ipc, "container:") && len(h.ipc) > len("container:"):
	default:
		return errors.New("--ipc: invalid IPC mode")
	}
	switch {
	case h.pid == "" || h.pid == "host":
	case strings.HasPrefix(h.pid, "container:") && len(h.pid) > len("container:"):
	default:
		return errors.New("--pid: invalid PID mode")
	}
	if h.uts != "" && h.uts != "host" {
		return errors.New("--uts: invalid UTS mode")
	}
	if h.cgroupns != "" && h.cgroupns != "host" && h.cgroupns != "private" {
		return errors.New("--cgroupns: invalid CGROUP mode")
	}
	// dock has no daemon to remap users by default: "host" is what a
	// container gets without the flag (the library's UIDMap and GIDMap
	// make user namespaces).
	if h.userns != "" && h.userns != "host" {
		return errors.New("--userns: invalid USER mode")
	}
	cfg.IPC, cfg.PID, cfg.UTS, cfg.CgroupNS = h.ipc, h.pid, h.uts, h.cgroupns
	for _, s := range h.sysctls {
		k, v, _ := strings.Cut(s, "=")
		if cfg.Sysctls == nil {
			cfg.Sysctls = map[string]string{}
		}
		cfg.Sysctls[k] = v
	}
	r := &cfg.Resources
	r.BlkioDeviceReadBps, r.BlkioDeviceWriteBps = h.throttles[0], h.throttles[1]
	r.BlkioDeviceReadIOps, r.BlkioDeviceWriteIOps = h.throttles[2], h.throttles[3]
	return nil
}

// deviceCgroupRule is docker's syntax of --device-cgroup-rule.
var deviceCgroupRule = regexp.MustCompile(`^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$`)

// validDeviceMode is docker's check of a device's permissions.
func validDeviceMode(mode string) bool {
	if mode == "" || len(mode) > 3 {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range mode {
		if !strings.ContainsRune("rwm", c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// parseDevice parses --device as docker does:
// PATH_ON_HOST[:PATH_IN_CONTAINER][:PERMISSIONS], where a second part
// that is a valid mode is the permissions.
func parseDevice(s string) (dock.Device, error) {
	arr := strings.SplitN(s, ":", 4)
	d := dock.Device{Permissions: "rwm"}
	switch len(arr) {
	case 3:
		d.Permissions = arr[2]
		d.PathInContainer = arr[1]
	case 2:
		if validDeviceMode(arr[1]) {
			d.Permissions = arr[1]
		} else {
			d.PathInContainer = arr[1]
		}
	case 1:
	default:
		return d, fmt.Errorf("bad format for path: %s", s)
	}
	d.PathOnHost = arr[0]
	if d.PathInContainer == "" {
		d.PathInContainer = d.PathOnHost
	}
	switch {
	case !validDeviceMode(d.Permissions):
		return d, fmt.Errorf("bad mode specified: %s", d.Permissions)
	case !path.IsAbs(d.PathInContainer):
		return d, fmt.Errorf("%s is not an absolute path", d.PathInContainer)
	case d.PathOnHost == "":
		return d, fmt.Errorf("bad format for path: %s", s)
	}
	return d, nil
}

// The sysctls docker's CLI allows (opts.ValidateSysctl): those a
// container's own namespaces hold.
var (
	allowedSysctls = map[string]bool{
		"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
		"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
	}
	allowedSysctlPrefixes = []string{"net.", "fs.mqueue."}
)

func validateSysctl(s string) error {
	k, _, ok := strings.Cut(s, "=")
	if ok && allowedSysctls[k] {
		return nil
	}
	for _, p := range allowedSysctlPrefixes {
		if ok && strings.HasPrefix(k, p) {
			return nil
		}
	}
	return fmt.Errorf("sysctl '%s' is not allowed", s)
}

// parseThrottle parses --device-read-bps and its kin (DEVICE:RATE; a
// rate in bytes may have a unit), as docker does.
func parseThrottle(s string, iops bool) (dock.ThrottleDevice, error) {
	dev, rate, ok := strings.Cut(s, ":")
	if !ok || strings.Contains(rate, ":") {
		return dock.ThrottleDevice{}, fmt.Errorf("bad format: %s", s)
	}
	if !strings.HasPrefix(dev, "/dev/") {
		return dock.ThrottleDevice{}, fmt.Errorf("bad format for device path: %s", s)
	}
	var n int64
	var err error
	if iops {
		var u uint64
		u, err = strconv.ParseUint(rate, 10, 64)
		if err != nil {
			return dock.ThrottleDevice{}, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>. Number must be a positive integer", s)
		}
		return dock.ThrottleDevice{Path: dev, Rate: u}, nil
	}
	if n, err = parseBytes(rate); err != nil || n < 0 {
		return dock.ThrottleDevice{}, fmt.Errorf("invalid rate for device: %s. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb", s)
	}
	return dock.ThrottleDevice{Path: dev, Rate: uint64(n)}, nil
}

// applySecurityOpts sets cfg from --security-opt values as docker's CLI
// takes them (KEY=VALUE or KEY:VALUE): seccomp=FILE reads the profile
// from the file (readFile), label and apparmor are kept for the library
// (which accepts them where the host runs no such LSM, as docker does).
func applySecurityOpts(cfg *dock.Config, opts []string, readFile func(string) ([]byte, error)) error {
	for _, s := range opts {
		if s == "no-new-privileges" {
			cfg.AllowNewPrivileges = false // the library's default, stricter than docker's
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			if k, v, ok = strings.Cut(s, ":"); !ok {
				//lint:ignore ST1005 docker's words
				return fmt.Errorf("Invalid --security-opt: %q", s)
			}
		}
		switch k {
		case "no-new-privileges":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("invalid --security-opt 2: %q", s)
			}
			cfg.AllowNewPrivileges = !b
		case "seccomp":
			switch v {
			case "unconfined":
				cfg.SeccompUnconfined = true
			case "builtin", "":
				cfg.SeccompProfile = ""
			default:
				data, err := readFile(v)
				if err != nil {
					return fmt.Errorf("opening seccomp profile (%s) failed: %v", v, errors.Unwrap(err))
				}
				var b bytes.Buffer
				if err := json.Compact(&b, data); err != nil {
					return fmt.Errorf("compacting json for seccomp profile (%s) failed: %v", v, err)
				}
				cfg.SeccompProfile = b.String()
			}
		case "apparmor":
			cfg.AppArmorProfile = v
		case "label":
			cfg.SELinuxLabel = append(cfg.SELinuxLabel, v)
		default:
			return fmt.Errorf("invalid --security-opt 2: %q", s)
		}
	}
	return nil
}

// parseAttach parses -a, --attach as docker does: a stream's name in any
// case.
func parseAttach(s string) (string, error) {
	switch v := strings.ToLower(s); v {
	case "stdin", "stdout", "stderr":
		return v, nil
	}
	return "", errors.New("valid streams are STDIN, STDOUT and STDERR")
}
