package distribution

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// SelectPlatform returns the descriptor of the image manifest of index (an
// OCI index or Docker manifest list of that mediaType) that best fits p.
// Empty fields of p mean the host's: runtime.GOOS, runtime.GOARCH, and the
// default variant of the architecture ("v8" for arm64, "v7" for arm).
// Names are normalized as containerd does (x86_64 is amd64, aarch64 is
// arm64, arm64 "8" is "v8"). An exact variant wins; else an arm CPU takes
// the nearest older arm variant (v7 runs v6 and v5), an amd64 one the
// nearest lower microarchitecture level. Entries that are not image
// manifests (nested indexes, attestations) are skipped. No match is an
// error wrapping ErrNotFound that lists the platforms of the index; a
// malformed index, or a chosen entry with a bad digest or size, wraps
// ErrInvalid. It is safe for concurrent use.
func SelectPlatform(index []byte, mediaType string, p ocispec.Platform) (ocispec.Descriptor, error) {
	if !IsIndex(mediaType) {
		return ocispec.Descriptor{}, invalidf("select platform: %q is not an index media type", clean(mediaType, 100))
	}
	var idx struct {
		Manifests []ocispec.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(index, &idx); err != nil {
		return ocispec.Descriptor{}, invalidf("select platform: index: %v", err)
	}
	if p.OS == "" {
		p.OS = runtime.GOOS
	}
	if p.Architecture == "" {
		p.Architecture = runtime.GOARCH
	}
	want := normalizePlatform(p)
	best, bestRank := -1, 0
	var avail []string
	for i, d := range idx.Manifests {
		if d.Platform == nil {
			continue
		}
		have := normalizePlatform(*d.Platform)
		if have.OS != "unknown" {
			if s := platformString(have); !slices.Contains(avail, s) && len(avail) < 50 {
				avail = append(avail, s)
			}
		}
		if !IsManifest(d.MediaType) {
			continue
		}
		if rank, ok := matchPlatform(want, have); ok && (best < 0 || rank < bestRank) {
			best, bestRank = i, rank
		}
	}
	if best < 0 {
		return ocispec.Descriptor{}, fmt.Errorf("%w: no manifest for %s in the index; it has: %s",
			ErrNotFound, platformString(want), clean(strings.Join(avail, ", "), 2000))
	}
	d := idx.Manifests[best]
	if _, err := checkDigest(string(d.Digest)); err != nil {
		return ocispec.Descriptor{}, invalidf("select platform: %s: %v", platformString(want), err)
	}
	if d.Size <= 0 {
		return ocispec.Descriptor{}, invalidf("select platform: %s: size %d", platformString(want), d.Size)
	}
	return d, nil
}

func platformString(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// normalizePlatform returns p with containerd's names.
func normalizePlatform(p ocispec.Platform) ocispec.Platform {
	p.OS = strings.ToLower(p.OS)
	arch, variant := strings.ToLower(p.Architecture), strings.ToLower(p.Variant)
	switch arch {
	case "i386", "i486", "i586", "i686":
		arch, variant = "386", ""
	case "x86_64", "x86-64", "amd64":
		arch = "amd64"
		if variant == "v1" {
			variant = ""
		}
	case "aarch64", "arm64":
		arch = "arm64"
		if variant == "8" || variant == "" {
			variant = "v8"
		}
	case "armhf":
		arch, variant = "arm", "v7"
	case "armel":
		arch, variant = "arm", "v6"
	case "arm":
		switch variant {
		case "", "7":
			variant = "v7"
		case "5", "6", "8":
			variant = "v" + variant
		}
	}
	p.Architecture, p.Variant = arch, variant
	return p
}

// MatchPlatform reports whether an image of platform have is one that a
// request for want accepts (containerd's platforms.Only, which docker
// uses): the same OS and architecture once normalized, and the same
// variant or, on arm and amd64, an older one that want's CPU runs. An
// empty variant is the architecture's default ("v7" on arm, "v8" on
// arm64).
func MatchPlatform(want, have ocispec.Platform) bool {
	_, ok := matchPlatform(normalizePlatform(want), normalizePlatform(have))
	return ok
}

// matchPlatform reports whether a host of platform want can run have, and
// how good a fit it is (0 is exact; lower is better).
func matchPlatform(want, have ocispec.Platform) (int, bool) {
	if want.OS != have.OS || want.Architecture != have.Architecture {
		return 0, false
	}
	if want.Variant == have.Variant {
		return 0, true
	}
	switch want.Architecture {
	case "arm", "amd64":
		w, h := variantLevel(want.Variant), variantLevel(have.Variant)
		if w > 0 && h > 0 && h < w {
			return w - h, true
		}
	}
	return 0, false
}

// variantLevel is the number of "vN" (1 for ""), or 0.
func variantLevel(v string) int {
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(strings.TrimPrefix(v, "v"))
	if err != nil || n <= 0 || !strings.HasPrefix(v, "v") {
		return 0
	}
	return n
}
