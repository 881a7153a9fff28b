package dock

import (
	"errors"
	"runtime"
	"testing"
)

func TestParsePlatform(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Platform
	}{
		{"linux/amd64", Platform{"linux", "amd64", ""}},
		{"linux/arm/v7", Platform{"linux", "arm", "v7"}},
		{"LINUX/X86_64", Platform{"linux", "amd64", ""}},
		{"linux/aarch64/v8", Platform{"linux", "arm64", "v8"}},
		{"linux/i386", Platform{"linux", "386", ""}},
		{"linux/armhf", Platform{"linux", "arm", "v7"}},
		{"linux", Platform{"linux", runtime.GOARCH, ""}}, // docker: the host's architecture
		{"windows", Platform{"windows", runtime.GOARCH, ""}},
		{"arm64", Platform{"linux", "arm64", ""}},
		{"x86_64", Platform{"linux", "amd64", ""}},
		{"armel", Platform{"linux", "arm", "v6"}},
	} {
		got, err := ParsePlatform(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParsePlatform(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
	for in, want := range map[string]string{
		"":          `"" is an invalid component of "": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument`,
		"nope":      `"nope": unknown operating system or architecture: invalid argument`,
		"linux/":    `"" is an invalid component of "linux/": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument`,
		"a/b/c/d":   `"a/b/c/d": cannot parse platform specifier: invalid argument`,
		"linux/*":   `"linux/*": wildcards not yet supported: invalid argument`,
		"linux/a b": `"a b" is an invalid component of "linux/a b": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument`,
	} {
		_, err := ParsePlatform(in)
		if !errors.Is(err, ErrInvalid) || err.Error() != want {
			t.Errorf("ParsePlatform(%q) = %v, want %s (ErrInvalid)", in, err, want)
		}
	}
}

func TestPlatformMatches(t *testing.T) {
	for _, tc := range []struct {
		want, have Platform
		ok         bool
	}{
		{Platform{"linux", "amd64", ""}, Platform{"linux", "amd64", ""}, true},
		{Platform{"linux", "amd64", ""}, Platform{"linux", "x86_64", ""}, true},
		{Platform{"linux", "arm64", ""}, Platform{"linux", "arm64", "v8"}, true},
		{Platform{"linux", "arm64", "v8"}, Platform{"linux", "aarch64", ""}, true},
		{Platform{"linux", "arm", "v7"}, Platform{"linux", "arm", "v6"}, true}, // v7 runs v6
		{Platform{"linux", "arm", "v6"}, Platform{"linux", "arm", "v7"}, false},
		{Platform{"linux", "arm", ""}, Platform{"linux", "arm", "v7"}, true}, // v7 is arm's default
		{Platform{"linux", "amd64", ""}, Platform{"linux", "arm64", ""}, false},
		{Platform{"windows", "amd64", ""}, Platform{"linux", "amd64", ""}, false},
	} {
		if got := tc.want.Matches(tc.have); got != tc.ok {
			t.Errorf("%v.Matches(%v) = %v, want %v", tc.want, tc.have, got, tc.ok)
		}
	}
}
