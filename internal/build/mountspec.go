package build

import (
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/go-dock/dock/internal/dockerfile"
)

// mountSpec is one RUN --mount flag, expanded and checked: pure data, so
// that the rules are the same (and unit-testable) on every OS.
type mountSpec struct {
	typ      string // bind, cache, tmpfs or secret
	target   string // absolute and clean; "" for a secret given as env only
	source   string // bind and cache: clean path relative to the root of from ("." is the root)
	from     string // bind and cache: a stage or an image; "" is the context (bind) or nothing (cache)
	readonly bool
	id       string // cache and secret
	sharing  string // cache: shared, private or locked
	mode     uint32 // cache (default 0755) and secret (default 0400)
	uid, gid int    // cache and secret
	required bool   // secret
	env      string // secret: the environment variable to set, if any
	size     int64  // tmpfs: bytes, 0 for the kernel's default
}

// keyText is the spec as the cache key sees it: every option, never the
// content of a secret.
func (m *mountSpec) keyText() string {
	return fmt.Sprintf("mount %s target=%q source=%q from=%q ro=%t id=%q sharing=%s mode=%o uid=%d gid=%d required=%t env=%q size=%d",
		m.typ, m.target, m.source, m.from, m.readonly, m.id, m.sharing, m.mode, m.uid, m.gid, m.required, m.env, m.size)
}

// parseMountSpec expands the options of m with expand (the stage's ARG and
// ENV, as BuildKit does) and checks them; workdir resolves a relative
// target, as BuildKit resolves it.
func parseMountSpec(m dockerfile.Mount, expand func(string) (string, error), workdir string) (*mountSpec, error) {
	opt := map[string]string{}
	for k, v := range m.Options {
		x, err := expand(v)
		if err != nil {
			return nil, fmt.Errorf("--mount %s=%s: %w", k, v, err)
		}
		opt[k] = x
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: --mount type=%s: %s", ErrInvalid, m.Type, fmt.Sprintf(format, a...))
	}
	s := &mountSpec{typ: m.Type, id: opt["id"], from: opt["from"], env: opt["env"]}
	if m.Type == "ssh" {
		return nil, fmt.Errorf("RUN --mount=type=ssh: %w (no SSH agent forwarding in dock builds)", ErrUnsupported)
	}
	if t := opt["target"]; t != "" {
		if !path.IsAbs(t) {
			t = path.Join("/", workdir, t)
		}
		if s.target = path.Clean(t); s.target == "/" {
			return nil, bad("target cannot be /")
		}
	}
	boolOpt := func(key string, def bool) (bool, error) {
		v, ok := opt[key]
		if !ok {
			return def, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, bad("%s=%q is not a boolean", key, v)
		}
		return b, nil
	}
	intOpt := func(key string, def, max int64, base int) (int64, error) {
		v, ok := opt[key]
		if !ok {
			return def, nil
		}
		n, err := strconv.ParseInt(v, base, 64)
		if err != nil || n < 0 || n > max {
			return 0, bad("%s=%q: want a number from 0 to %d", key, v, max)
		}
		return n, nil
	}
	var err error
	var mode, uid, gid int64
	switch m.Type {
	case "bind", "cache":
		if s.source, err = mountSource(opt["source"]); err != nil {
			return nil, bad("%v", err)
		}
		if s.readonly, err = boolOpt("readonly", m.Type == "bind"); err != nil {
			return nil, err
		}
		if m.Type == "bind" {
			return s, nil
		}
		if s.id == "" {
			s.id = s.target
		}
		if s.sharing = opt["sharing"]; s.sharing == "" {
			s.sharing = "shared"
		}
		mode, err = intOpt("mode", 0o755, 0o7777, 8)
	case "tmpfs":
		if v, ok := opt["size"]; ok {
			if s.size, err = parseByteSize(v); err != nil {
				return nil, bad("size=%q: %v", v, err)
			}
		}
		return s, nil
	case "secret":
		if s.id == "" {
			if s.target == "" {
				return nil, bad("needs an id or a target")
			}
			s.id = path.Base(s.target)
		}
		if s.target == "" && s.env == "" {
			s.target = "/run/secrets/" + s.id
		}
		if strings.ContainsAny(s.env, "=\x00") {
			return nil, bad("env=%q is not a variable name", s.env)
		}
		if s.required, err = boolOpt("required", false); err != nil {
			return nil, err
		}
		mode, err = intOpt("mode", 0o400, 0o7777, 8)
	default:
		return nil, fmt.Errorf("%w: --mount type=%s", ErrUnsupported, m.Type)
	}
	if err != nil {
		return nil, err
	}
	if uid, err = intOpt("uid", 0, math.MaxInt32, 10); err != nil {
		return nil, err
	}
	if gid, err = intOpt("gid", 0, math.MaxInt32, 10); err != nil {
		return nil, err
	}
	s.mode, s.uid, s.gid = uint32(mode), int(uid), int(gid)
	return s, nil
}

// mountSource cleans the source of a bind or cache mount into a path
// relative to the root of its from (an absolute path is taken from that
// root, as BuildKit takes it); a path leading out with ".." is refused
// rather than silently clamped.
func mountSource(src string) (string, error) {
	if src == "" {
		return ".", nil
	}
	if c := path.Clean(src); c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("source %q is outside the build context", src)
	}
	rel := strings.TrimPrefix(path.Clean("/"+src), "/")
	if rel == "" {
		return ".", nil
	}
	return rel, nil
}

// parseByteSize parses a size in bytes with an optional binary suffix (k,
// m, g, with or without "b"), as BuildKit's tmpfs size takes it.
func parseByteSize(v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	s = strings.TrimSuffix(s, "b")
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:n-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("not a size")
	}
	return n * mult, nil
}
