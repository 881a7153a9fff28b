package dock

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/go-dock/dock/internal/cgroup"
)

// checkHost checks, at Create, what of cfg the host itself must carry
// out: its devices and block devices exist, and its LSM options can be
// honoured. What the kernel cannot do and Docker discards (the OOM
// switch on cgroup v2, a block I/O weight without BFQ) is discarded from
// cfg, with Docker's warning.
func checkHost(cfg *Config) (warnings []string, err error) {
	if _, err := resolveDevices(cfg.Devices); err != nil {
		return nil, err
	}
	if _, err := resolveThrottles(&cfg.Resources); err != nil {
		return nil, err
	}
	if err := checkLSM(cfg, hostLSM()); err != nil {
		return nil, err
	}
	f, r := cgroup.Probe(), &cfg.Resources
	if r.OOMKillDisable && !f.OOMKillDisable {
		warnings = append(warnings, "Your kernel does not support OomKillDisable. OomKill disabling discarded.")
		r.OOMKillDisable = false
	}
	if r.OOMKillDisable && r.Memory == 0 {
		warnings = append(warnings, "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.")
	}
	if r.BlkioWeight != 0 && !f.BlkioWeight {
		warnings = append(warnings, "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.")
		r.BlkioWeight = 0
	}
	if !f.BlkioThrottle {
		for _, t := range []struct {
			list *[]ThrottleDevice
			warn string
		}{
			{&r.BlkioDeviceReadBps, "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded."},
			{&r.BlkioDeviceWriteBps, "Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded."},
			{&r.BlkioDeviceReadIOps, "Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded."},
			{&r.BlkioDeviceWriteIOps, "Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded."},
		} {
			if len(*t.list) > 0 {
				warnings = append(warnings, t.warn)
				*t.list = nil
			}
		}
	}
	return warnings, nil
}

// lsms are the Linux security modules in force on the host that a
// container's options may name.
type lsms struct{ apparmor, selinux bool }

// hostLSM finds them once: AppArmor as Docker does (the module's enabled
// parameter), SELinux by its filesystem. A variable for tests.
var hostLSM = sync.OnceValue(func() lsms {
	aa, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return lsms{apparmor: strings.HasPrefix(string(aa), "Y"), selinux: err == nil}
})

// checkLSM refuses the LSM options that ask for a confinement the host
// has and dock cannot apply; without that LSM they are accepted and do
// nothing, as with Docker. "unconfined" and "disable" ask for nothing.
func checkLSM(cfg *Config, l lsms) error {
	if p := cfg.AppArmorProfile; p != "" && p != "unconfined" && l.apparmor {
		return fmt.Errorf("AppArmor enabled on system but the %s profile could not be loaded: dock applies no AppArmor profile: %w", p, ErrUnsupported)
	}
	if !l.selinux {
		return nil
	}
	for _, o := range cfg.SELinuxLabel {
		if o != "disable" {
			return fmt.Errorf("security option label=%s: SELinux is enabled on this host and dock applies no SELinux label: %w", o, ErrUnsupported)
		}
	}
	for _, m := range cfg.Mounts {
		if m.Relabel != "" {
			return fmt.Errorf("mount %s: relabel %s: SELinux is enabled on this host and dock does not relabel: %w", m.Target, m.Relabel, ErrUnsupported)
		}
	}
	return nil
}
