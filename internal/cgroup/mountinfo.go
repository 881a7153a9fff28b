package cgroup

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
)

// v1Controllers are the cgroup v1 hierarchies dock creates its cgroups in,
// in the order New creates them.
var v1Controllers = []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "pids", "blkio"}

// v1Mounts maps each cgroup v1 controller in v1Controllers to the mount
// point of its hierarchy, read from /proc/self/mountinfo. Controllers
// mounted together ("cpu,cpuacct") map to the same directory; the first
// mount of a hierarchy wins (later ones are bind mounts). The unified
// (cgroup2) mount point, if any, is returned too.
func v1Mounts(mountinfo io.Reader) (map[string]string, string, error) {
	m := map[string]string{}
	var unified string
	s := bufio.NewScanner(mountinfo)
	s.Buffer(make([]byte, 0, 4096), 1024*1024) // grows for long lines
	for s.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		fields := strings.Fields(s.Text())
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || len(fields) < sep+3 {
			continue
		}
		mountpoint := unescapeOctal(fields[4])
		switch fields[sep+1] {
		case "cgroup2":
			if unified == "" {
				unified = mountpoint
			}
		case "cgroup":
			opts := ""
			if len(fields) > sep+3 {
				opts = fields[sep+3]
			}
			for opt := range strings.SplitSeq(opts, ",") {
				for _, c := range v1Controllers {
					if opt == c {
						if _, ok := m[c]; !ok {
							m[c] = mountpoint
						}
					}
				}
			}
		}
	}
	if err := s.Err(); err != nil {
		return nil, "", fmt.Errorf("read mountinfo: %w", err)
	}
	return m, unified, nil
}

// Hierarchy is a cgroup v1 hierarchy of the host that dock uses.
type Hierarchy struct {
	// Name is the base name of its mount point ("memory", "cpu,cpuacct").
	Name string
	// Controllers are its controllers among those dock uses, comma
	// separated, as mount(2) takes them ("cpu,cpuacct").
	Controllers string
}

// v1Hierarchies lists the hierarchies of mountinfo that hold a controller
// of v1Controllers, each once, in mount order.
func v1Hierarchies(mountinfo io.Reader) ([]Hierarchy, error) {
	var out []Hierarchy
	seen := map[string]bool{}
	s := bufio.NewScanner(mountinfo)
	s.Buffer(make([]byte, 0, 4096), 1024*1024) // grows for long lines
	for s.Scan() {
		fields := strings.Fields(s.Text())
		sep := slices.Index(fields, "-")
		if sep < 6 || len(fields) < sep+4 || fields[sep+1] != "cgroup" {
			continue
		}
		var ctrls []string
		for opt := range strings.SplitSeq(fields[sep+3], ",") {
			if slices.Contains(v1Controllers, opt) && !seen[opt] {
				ctrls = append(ctrls, opt)
			}
		}
		if len(ctrls) == 0 {
			continue
		}
		for _, c := range ctrls {
			seen[c] = true
		}
		out = append(out, Hierarchy{Name: path.Base(unescapeOctal(fields[4])), Controllers: strings.Join(ctrls, ",")})
	}
	return out, s.Err()
}

// unescapeOctal undoes mountinfo's \ooo escapes of space, tab, newline
// and backslash.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseKeyed parses a flat keyed cgroup file ("key value" lines:
// memory.events, cpu.stat, memory.oom_control). Values that are not
// numbers are skipped.
func parseKeyed(s string) map[string]uint64 {
	m := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}
