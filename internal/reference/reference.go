// Package reference parses image references the way Docker does:
// "busybox" means "docker.io/library/busybox:latest", "user/app:1" means
// "docker.io/user/app:1", and a first component with a dot or a colon, or
// "localhost", names a registry ("localhost:5000/a/b:tag").
//
// It also validates digests. Every digest that is used to build a path (a
// blob in the store, a layer directory) must go through Digest or be
// produced by this module's own hashing: an unvalidated "sha256:../../x"
// is a path traversal (CVE-2024-3727).
//
// The grammar follows github.com/distribution/reference; the code is
// ours, to keep the dependency list short. All functions are safe for
// concurrent use.
package reference

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// ErrInvalid is wrapped by every error this package returns.
var ErrInvalid = errors.New("invalid reference format")

const (
	// DefaultDomain is the registry of names without one.
	DefaultDomain = "docker.io"
	// DefaultTag is the tag of names with neither a tag nor a digest.
	DefaultTag = "latest"
	// MaxNameLength bounds the length of Name() (domain/path), as in Docker.
	MaxNameLength = 255

	legacyDefaultDomain = "index.docker.io"
	officialRepoPrefix  = "library/"
)

// Ref is a parsed, normalized image reference. Domain and Path are always
// set; Tag, Digest or both may be set. Parse sets Tag to "latest" when the
// input has neither a tag nor a digest.
type Ref struct {
	Domain string        // registry host[:port], e.g. "docker.io", "localhost:5000"
	Path   string        // repository path, e.g. "library/busybox"
	Tag    string        // e.g. "latest"; may be empty when Digest is set
	Digest digest.Digest // manifest digest, validated; may be empty
}

// Parse parses s as Docker does and normalizes it: the default domain
// "docker.io", the "library/" prefix of official images on it, and the tag
// "latest" when s has neither a tag nor a digest. Errors wrap ErrInvalid.
func Parse(s string) (Ref, error) {
	r, err := ParseNoDefaultTag(s)
	if err != nil {
		return Ref{}, err
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = DefaultTag
	}
	return r, nil
}

// ParseNoDefaultTag is Parse without the default tag: "busybox" gives a
// Ref with an empty Tag.
func ParseNoDefaultTag(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("%w: empty reference", ErrInvalid)
	}
	if isImageID(s) {
		return Ref{}, fmt.Errorf("%w: %q: cannot specify 64-byte hexadecimal strings as a repository name", ErrInvalid, s)
	}
	var r Ref
	name := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		d, err := Digest(s[i+1:])
		if err != nil {
			return Ref{}, fmt.Errorf("%w: %q: %w", ErrInvalid, s, err)
		}
		r.Digest = d
		name = s[:i]
	}
	// A tag follows the last colon, unless a slash follows that colon
	// (then the colon belongs to a registry port).
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.ContainsRune(name[i+1:], '/') {
		r.Tag = name[i+1:]
		name = name[:i]
		if !isTag(r.Tag) {
			return Ref{}, fmt.Errorf("%w: %q: bad tag %q", ErrInvalid, s, r.Tag)
		}
	}
	r.Domain, r.Path = splitDomain(name)
	if !isDomain(r.Domain) {
		return Ref{}, fmt.Errorf("%w: %q: bad registry %q", ErrInvalid, s, r.Domain)
	}
	if r.Path == "" {
		return Ref{}, fmt.Errorf("%w: %q: empty repository name", ErrInvalid, s)
	}
	if strings.ToLower(r.Path) != r.Path {
		return Ref{}, fmt.Errorf("%w: %q: repository name must be lowercase", ErrInvalid, s)
	}
	for c := range strings.SplitSeq(r.Path, "/") {
		if !isComponent(c) {
			return Ref{}, fmt.Errorf("%w: %q: bad repository name component %q", ErrInvalid, s, c)
		}
	}
	if n := len(r.Name()); n > MaxNameLength {
		return Ref{}, fmt.Errorf("%w: %q: repository name longer than %d characters", ErrInvalid, s, MaxNameLength)
	}
	return r, nil
}

// splitDomain splits a name into registry and path, as Docker does: the
// first component is a registry when it has a dot or a colon, is
// "localhost", or has upper-case letters.
func splitDomain(name string) (domain, path string) {
	i := strings.IndexByte(name, '/')
	if i < 0 || (!strings.ContainsAny(name[:i], ".:") && name[:i] != "localhost" && strings.ToLower(name[:i]) == name[:i]) {
		domain, path = DefaultDomain, name
	} else {
		domain, path = name[:i], name[i+1:]
	}
	if domain == legacyDefaultDomain {
		domain = DefaultDomain
	}
	if domain == DefaultDomain && !strings.ContainsRune(path, '/') {
		path = officialRepoPrefix + path
	}
	return domain, path
}

// Name returns the repository: "docker.io/library/busybox".
func (r Ref) Name() string { return r.Domain + "/" + r.Path }

// String returns the full normalized form, which Parse reads back to the
// same Ref: "docker.io/library/busybox:latest",
// "localhost:5000/a@sha256:...".
func (r Ref) String() string { return r.Name() + r.suffix() }

// FamiliarName returns the repository as Docker shows it: "busybox",
// "user/app", "localhost:5000/a".
func (r Ref) FamiliarName() string {
	if r.Domain != DefaultDomain {
		return r.Name()
	}
	if rest, ok := strings.CutPrefix(r.Path, officialRepoPrefix); ok && !strings.ContainsRune(rest, '/') {
		return rest
	}
	return r.Path
}

// Familiar returns the reference as Docker shows it: "busybox:latest",
// "user/app:1", "localhost:5000/a:b".
func (r Ref) Familiar() string { return r.FamiliarName() + r.suffix() }

func (r Ref) suffix() string {
	s := ""
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + string(r.Digest)
	}
	return s
}

// Digest validates s as a digest that is safe to use as a path element:
// "sha256:" and 64 lower-case hex digits, or "sha512:" and 128. Other
// algorithms, upper case and any other character are refused. Errors wrap
// ErrInvalid.
func Digest(s string) (digest.Digest, error) {
	alg, hex, ok := strings.Cut(s, ":")
	var n int
	switch alg {
	case "sha256":
		n = 64
	case "sha512":
		n = 128
	default:
		if !ok {
			return "", fmt.Errorf("%w: digest %q: missing algorithm", ErrInvalid, s)
		}
		return "", fmt.Errorf("%w: digest %q: unsupported algorithm", ErrInvalid, s)
	}
	if len(hex) != n || !IsLowerHex(hex) {
		return "", fmt.Errorf("%w: digest %q: want %s and %d lower-case hex digits", ErrInvalid, s, alg, n)
	}
	return digest.Digest(s), nil
}

// IsLowerHex reports whether s is non-empty and has only 0-9 and a-f.
func IsLowerHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
