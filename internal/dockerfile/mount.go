package dockerfile

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
)

var timeParseDuration = time.ParseDuration

// Mount is one parsed RUN --mount flag.
type Mount struct {
	// Type is bind (the default), cache, tmpfs, secret or ssh.
	Type string
	// Options are the other key=value fields with their aliases resolved:
	// target (dst, destination), source (src), readonly (ro; rw and
	// readwrite set it to "false"), from, id, sharing, mode, uid, gid,
	// required, size, env. A bare key such as "ro" has the value "true".
	// Values are unexpanded.
	Options map[string]string
}

var mountKeys = map[string]string{
	"target": "target", "dst": "target", "destination": "target",
	"source": "source", "src": "source",
	"readonly": "readonly", "ro": "readonly",
	"rw": "rw", "readwrite": "rw",
	"from": "from", "id": "id", "sharing": "sharing", "mode": "mode",
	"uid": "uid", "gid": "gid", "required": "required", "size": "size", "env": "env",
}

// ParseMount parses the value of a RUN --mount flag, a CSV list of
// key=value fields ("type=cache,target=/root/.cache,sharing=locked").
func ParseMount(value string) (Mount, error) {
	r := csv.NewReader(strings.NewReader(value))
	r.LazyQuotes = true
	fields, err := r.Read()
	if err != nil {
		return Mount{}, fmt.Errorf("invalid --mount %q: %w", value, err)
	}
	m := Mount{Type: "bind", Options: map[string]string{}}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, v, hasVal := strings.Cut(f, "=")
		k = strings.ToLower(k)
		if k == "type" {
			switch v {
			case "bind", "cache", "tmpfs", "secret", "ssh":
				m.Type = v
			default:
				return Mount{}, fmt.Errorf("invalid --mount type %q: want bind, cache, tmpfs, secret or ssh", v)
			}
			continue
		}
		key, ok := mountKeys[k]
		if !ok {
			return Mount{}, fmt.Errorf("invalid --mount field %q", k)
		}
		if !hasVal {
			switch key {
			case "readonly", "rw", "required":
				v = "true"
			default:
				return Mount{}, fmt.Errorf("invalid --mount field %q: needs a value", k)
			}
		}
		switch key {
		case "rw":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Mount{}, fmt.Errorf("invalid --mount %s=%q: not a boolean", k, v)
			}
			key, v = "readonly", strconv.FormatBool(!b)
		case "readonly", "required":
			if _, err := strconv.ParseBool(v); err != nil {
				return Mount{}, fmt.Errorf("invalid --mount %s=%q: not a boolean", k, v)
			}
		case "sharing":
			if v != "shared" && v != "private" && v != "locked" {
				return Mount{}, fmt.Errorf("invalid --mount sharing=%q: want shared, private or locked", v)
			}
		}
		m.Options[key] = v
	}
	if m.Options["target"] == "" && m.Type != "secret" && m.Type != "ssh" {
		return Mount{}, fmt.Errorf("invalid --mount %q: type=%s needs a target", value, m.Type)
	}
	return m, nil
}
