package distribution

import (
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
)

// FuzzParseChallenge: no panic, and what parses formats back to itself.
func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{
		`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"`,
		`Basic realm="Registry Realm"`,
		`Bearer realm="a\"b\\c", service = "s" , scope="x y"`,
		`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`,
		`Negotiate abc+/def==, Basic`,
		`Bearer realm=https://x/t,service=reg`,
		`Bearer realm="unterminated`,
		`a b=, c d="", e`,
		``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		chs, err := parseChallenges([]string{s})
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		var parts []string
		for _, ch := range chs {
			require.NotEmpty(t, ch.scheme)
			require.LessOrEqual(t, len(ch.params), maxChallengeParams)
			parts = append(parts, ch.String())
		}
		again, err := parseChallenges([]string{strings.Join(parts, ", ")})
		require.NoError(t, err, "parse(%q) of format(parse(%q))", strings.Join(parts, ", "), s)
		require.Equal(t, chs, again, "format %q", strings.Join(parts, ", "))
	})
}

// FuzzManifest: verifying and selecting never panic, and what verifies has
// a known media type and the body's digest.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}`), ocispec.MediaTypeImageManifest)
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:`+strings.Repeat("a", 64)+`","size":5,"platform":{"os":"linux","architecture":"amd64"}}]}`), MediaTypeDockerManifestList)
	f.Add([]byte(`{"schemaVersion":1,"fsLayers":[]}`), "application/json")
	f.Add([]byte(`{"schemaVersion":2,"config":{},"MediaType":"x","mediaType":"y"}`), "")
	f.Add([]byte(`{"a":1,"a":2}`), ocispec.MediaTypeImageIndex)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		if len(body) > 1<<20 {
			return
		}
		desc, err := verifyManifest(body, contentType, "", "")
		if err == nil {
			require.True(t, IsIndex(desc.MediaType) || IsManifest(desc.MediaType), desc.MediaType)
			require.Equal(t, digest.FromBytes(body), desc.Digest)
			require.Equal(t, int64(len(body)), desc.Size)
		}
		for _, mt := range []string{ocispec.MediaTypeImageIndex, contentType} {
			d, err := SelectPlatform(body, mt, ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"})
			if err == nil {
				_, derr := checkDigest(string(d.Digest))
				require.NoError(t, derr)
				require.Positive(t, d.Size)
			}
		}
	})
}

// FuzzErrorBody: registry error bodies never panic and print safely.
func FuzzErrorBody(f *testing.F) {
	f.Add([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}`))
	f.Add([]byte("<html>\x1b[31mred\x00</html>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		details, text := parseErrorBody(body)
		e := &Error{Method: "GET", URL: "https://r/v2/", StatusCode: 500, Errors: details, Text: text}
		msg := e.Error()
		for _, r := range msg {
			require.False(t, r < 0x20 || r == 0x7f, "control character in %q", msg)
		}
		require.LessOrEqual(t, len(msg), 2000)
	})
}
