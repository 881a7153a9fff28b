package dock

import (
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/distribution"
)

// Platform is the platform an image is built for, as OCI and Docker name
// it: OS "linux", Architecture "amd64", and a Variant such as "v7" only
// where the architecture has them.
type Platform struct {
	OS, Architecture, Variant string
}

// String is "os/arch" or "os/arch/variant".
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Matches reports whether an image of platform have is what p asks for,
// as docker compares them (containerd's platforms.Only): the same OS and
// architecture, the usual aliases taken as one ("x86_64" is "amd64",
// "aarch64" "arm64"), and the same variant or, on arm and amd64, an
// older one that p's CPU runs ("linux/arm/v7" runs "linux/arm/v6"). An
// empty variant is the architecture's default ("v7" on arm, "v8" on
// arm64).
func (p Platform) Matches(have Platform) bool {
	return distribution.MatchPlatform(p.oci(), have.oci())
}

func (p Platform) oci() ocispec.Platform {
	return ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}

// Platform is the image's platform.
func (img *Image) Platform() Platform {
	return Platform{OS: img.OS, Architecture: img.Architecture, Variant: img.Variant}
}

// platformComponent is what each part of a platform may hold
// (containerd's specifier component).
var platformComponent = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// knownOSes and knownArches are the names a platform of one part may be
// (Go's GOOS and GOARCH values, with the aliases of architectures).
var (
	knownOSes = []string{"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios",
		"js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos"}
	knownArches = []string{"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64",
		"mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le",
		"riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm"}
)

// ParsePlatform parses a platform as docker's --platform takes it
// (containerd's platform specifier): "os/arch" or "os/arch/variant"
// ("linux/arm64", "linux/arm/v7"); an OS alone is that OS on this
// program's architecture ("linux" is "linux/amd64" on an amd64 host),
// an architecture alone is linux on it ("arm64" is "linux/arm64"). Names
// are lowercased and architecture aliases replaced ("x86_64" is "amd64",
// "aarch64" "arm64", "armhf" "arm/v7", "armel" "arm/v6", "i386" "386").
// Anything else is an error wrapping ErrInvalid, in containerd's words.
func ParsePlatform(s string) (Platform, error) {
	if strings.Contains(s, "*") {
		return Platform{}, platformErr("%q: wildcards not yet supported", s)
	}
	parts := strings.Split(s, "/")
	for _, part := range parts {
		if !platformComponent.MatchString(part) {
			return Platform{}, platformErr("%q is an invalid component of %q: platform specifier component must match %q",
				part, s, platformComponent.String())
		}
	}
	for i := range parts {
		parts[i] = strings.ToLower(parts[i])
	}
	var p Platform
	switch len(parts) {
	case 1:
		switch {
		case slices.Contains(knownOSes, parts[0]):
			p = Platform{OS: parts[0], Architecture: runtime.GOARCH}
		case slices.Contains(knownArches, normalArch(parts[0])) || parts[0] == "armhf" || parts[0] == "armel":
			p = Platform{OS: "linux", Architecture: parts[0]}
		default:
			return Platform{}, platformErr("%q: unknown operating system or architecture", s)
		}
	case 2:
		p = Platform{OS: parts[0], Architecture: parts[1]}
	case 3:
		p = Platform{OS: parts[0], Architecture: parts[1], Variant: parts[2]}
	default:
		return Platform{}, platformErr("%q: cannot parse platform specifier", s)
	}
	switch p.Architecture {
	case "armhf":
		p.Architecture, p.Variant = "arm", "v7"
	case "armel":
		p.Architecture, p.Variant = "arm", "v6"
	default:
		p.Architecture = normalArch(p.Architecture)
	}
	return p, nil
}

// platformErr is an error of ParsePlatform, worded as containerd's (which
// docker prints): the reason, then ": invalid argument".
func platformErr(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalid)
}

// normalArch is an architecture's name for its aliases.
func normalArch(a string) string {
	switch a {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i486", "i586", "i686":
		return "386"
	}
	return a
}

// platformOption parses the platform of an option (WithPlatform,
// LoadPlatform), its errors named after it.
func platformOption(option, s string) (ocispec.Platform, error) {
	p, err := ParsePlatform(s)
	if err != nil {
		return ocispec.Platform{}, fmt.Errorf("%s: %w", option, err)
	}
	return p.oci(), nil
}
