package dock

import (
	"slices"
	"strings"
)

// capNames lists the Linux capabilities by number.
var capNames = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
	"SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
	"NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
	"SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
	"SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// defaultCaps is Docker's default capability set.
var defaultCaps = []string{
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
	"SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
	"SYS_CHROOT", "KILL", "AUDIT_WRITE",
}

// capSet is a set of capabilities as the kernel's bit mask.
type capSet uint64

func (s capSet) names() []string {
	var out []string
	for i, n := range capNames {
		if s&(1<<i) != 0 {
			out = append(out, "CAP_"+n)
		}
	}
	return out
}

func allCaps() capSet { return capSet(1)<<len(capNames) - 1 }

// parseCap turns "NET_ADMIN", "cap_net_admin" or "CAP_NET_ADMIN" into its
// number.
func parseCap(name string) (int, bool) {
	n := strings.TrimPrefix(strings.ToUpper(name), "CAP_")
	i := slices.Index(capNames, n)
	return i, i >= 0
}

// effectiveCaps applies CapAdd and CapDrop to Docker's default set, as
// Docker does: "ALL" in CapAdd adds every capability, "ALL" in CapDrop
// starts from none, and explicit additions win over drops.
func effectiveCaps(c *Config) (capSet, error) {
	if c.Privileged {
		return allCaps(), nil
	}
	var set capSet
	for _, n := range defaultCaps {
		i, _ := parseCap(n)
		set |= 1 << i
	}
	for _, n := range c.CapDrop {
		if strings.EqualFold(n, "ALL") {
			set = 0
			continue
		}
		i, ok := parseCap(n)
		if !ok {
			return 0, invalidf("unknown capability %q", n)
		}
		set &^= 1 << i
	}
	for _, n := range c.CapAdd {
		if strings.EqualFold(n, "ALL") {
			set = allCaps()
			continue
		}
		i, ok := parseCap(n)
		if !ok {
			return 0, invalidf("unknown capability %q", n)
		}
		set |= 1 << i
	}
	return set, nil
}
