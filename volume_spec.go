package dock

import (
	"fmt"
	"path"
	"strings"
)

// ParseVolume parses a volume spec as docker run -v and the Engine API's
// HostConfig.Binds give it: SRC:DST[:OPTS], where an absolute SRC is a
// bind mount and another a named volume, or DST alone for an anonymous
// volume. OPTS are comma-separated, each kind at most once, as Docker
// takes them: ro or rw; z or Z (SELinux relabeling); consistent, cached
// or delegated (hints for a VM's file sharing, kept and ignored); nocopy
// (volumes only); private or rprivate (the propagation every mount here
// has; shared and slave mounts are not made, and are refused). An error
// wraps ErrInvalid, in Docker's words.
func ParseVolume(spec string) (Mount, error) {
	parts := strings.Split(spec, ":")
	var m Mount
	switch len(parts) {
	case 1:
		m = Mount{Type: "volume", Target: parts[0]}
	case 2, 3:
		m = Mount{Type: "volume", Source: parts[0], Target: parts[1]}
		if path.IsAbs(parts[0]) {
			m.Type = "bind"
		}
		if len(parts) == 3 {
			if err := m.parseVolumeModes(parts[2]); err != nil {
				return m, err
			}
		}
	default:
		return m, fmt.Errorf("%w: invalid volume specification: %q", ErrInvalid, spec)
	}
	if m.Source == "" && len(parts) > 1 {
		return m, fmt.Errorf("%w: invalid volume specification: %q: empty source", ErrInvalid, spec)
	}
	if !path.IsAbs(m.Target) {
		return m, fmt.Errorf("%w: invalid volume specification: %q: destination %q is not an absolute path", ErrInvalid, spec, m.Target)
	}
	return m, nil
}

// parseVolumeModes sets m from the OPTS of a volume spec.
func (m *Mount) parseVolumeModes(modes string) error {
	invalid := fmt.Errorf("%w: invalid mode: %s", ErrInvalid, modes)
	seen := map[string]bool{}
	for _, opt := range strings.Split(modes, ",") {
		kind := opt
		switch opt {
		case "ro", "rw":
			kind, m.ReadOnly = "rw", opt == "ro"
		case "z", "Z":
			kind, m.Relabel = "label", opt
		case "consistent", "cached", "delegated":
			kind, m.Consistency = "consistency", opt
		case "private", "rprivate":
			kind = "propagation"
		case "nocopy":
			m.NoCopy = true
		default:
			return invalid
		}
		if seen[kind] || (opt == "nocopy" && m.Type != "volume") {
			return invalid
		}
		seen[kind] = true
	}
	return nil
}
