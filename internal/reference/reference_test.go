package reference

import (
	"errors"
	"strings"
	"testing"
)

const (
	hex64  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hex128 = hex64 + hex64
)

func TestParse(t *testing.T) {
	tests := []struct {
		in                     string
		domain, path, tag, dig string
		str, familiar          string
	}{
		{in: "busybox", domain: "docker.io", path: "library/busybox", tag: "latest",
			str: "docker.io/library/busybox:latest", familiar: "busybox:latest"},
		{in: "busybox:1.36", domain: "docker.io", path: "library/busybox", tag: "1.36",
			str: "docker.io/library/busybox:1.36", familiar: "busybox:1.36"},
		{in: "library/busybox", domain: "docker.io", path: "library/busybox", tag: "latest",
			str: "docker.io/library/busybox:latest", familiar: "busybox:latest"},
		{in: "docker.io/busybox", domain: "docker.io", path: "library/busybox", tag: "latest",
			str: "docker.io/library/busybox:latest", familiar: "busybox:latest"},
		{in: "index.docker.io/busybox", domain: "docker.io", path: "library/busybox", tag: "latest",
			str: "docker.io/library/busybox:latest", familiar: "busybox:latest"},
		{in: "user/app:1", domain: "docker.io", path: "user/app", tag: "1",
			str: "docker.io/user/app:1", familiar: "user/app:1"},
		{in: "library/a/b", domain: "docker.io", path: "library/a/b", tag: "latest",
			str: "docker.io/library/a/b:latest", familiar: "library/a/b:latest"},
		{in: "localhost:5000/a/b:tag", domain: "localhost:5000", path: "a/b", tag: "tag",
			str: "localhost:5000/a/b:tag", familiar: "localhost:5000/a/b:tag"},
		{in: "localhost:5000/a:b", domain: "localhost:5000", path: "a", tag: "b",
			str: "localhost:5000/a:b", familiar: "localhost:5000/a:b"},
		{in: "localhost/a", domain: "localhost", path: "a", tag: "latest",
			str: "localhost/a:latest", familiar: "localhost/a:latest"},
		{in: "127.0.0.1:5000/x", domain: "127.0.0.1:5000", path: "x", tag: "latest",
			str: "127.0.0.1:5000/x:latest", familiar: "127.0.0.1:5000/x:latest"},
		{in: "[::1]:5000/x:y", domain: "[::1]:5000", path: "x", tag: "y",
			str: "[::1]:5000/x:y", familiar: "[::1]:5000/x:y"},
		{in: "Registry.Example.com/a/b/c/d", domain: "Registry.Example.com", path: "a/b/c/d", tag: "latest",
			str: "Registry.Example.com/a/b/c/d:latest", familiar: "Registry.Example.com/a/b/c/d:latest"},
		{in: "ghcr.io/o/r-x_y.z__w---v", domain: "ghcr.io", path: "o/r-x_y.z__w---v", tag: "latest",
			str: "ghcr.io/o/r-x_y.z__w---v:latest", familiar: "ghcr.io/o/r-x_y.z__w---v:latest"},
		{in: "name@sha256:" + hex64, domain: "docker.io", path: "library/name", dig: "sha256:" + hex64,
			str: "docker.io/library/name@sha256:" + hex64, familiar: "name@sha256:" + hex64},
		{in: "name:tag@sha256:" + hex64, domain: "docker.io", path: "library/name", tag: "tag", dig: "sha256:" + hex64,
			str: "docker.io/library/name:tag@sha256:" + hex64, familiar: "name:tag@sha256:" + hex64},
		{in: "h:1/n@sha512:" + hex128, domain: "h:1", path: "n", dig: "sha512:" + hex128,
			str: "h:1/n@sha512:" + hex128, familiar: "h:1/n@sha512:" + hex128},
		{in: "a:_Tag.x-Y", domain: "docker.io", path: "library/a", tag: "_Tag.x-Y",
			str: "docker.io/library/a:_Tag.x-Y", familiar: "a:_Tag.x-Y"},
		{in: "a:" + strings.Repeat("t", 128), domain: "docker.io", path: "library/a", tag: strings.Repeat("t", 128),
			str: "docker.io/library/a:" + strings.Repeat("t", 128), familiar: "a:" + strings.Repeat("t", 128)},
		{in: "localhost:5000", domain: "docker.io", path: "library/localhost", tag: "5000",
			str: "docker.io/library/localhost:5000", familiar: "localhost:5000"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.in, err)
			}
			if r.Domain != tt.domain || r.Path != tt.path || r.Tag != tt.tag || string(r.Digest) != tt.dig {
				t.Errorf("Parse(%q) = %#v, want domain %q path %q tag %q digest %q", tt.in, r, tt.domain, tt.path, tt.tag, tt.dig)
			}
			if got := r.String(); got != tt.str {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.str)
			}
			if got := r.Familiar(); got != tt.familiar {
				t.Errorf("Parse(%q).Familiar() = %q, want %q", tt.in, got, tt.familiar)
			}
			if got, want := r.Name(), tt.domain+"/"+tt.path; got != want {
				t.Errorf("Parse(%q).Name() = %q, want %q", tt.in, got, want)
			}
			again, err := Parse(r.String())
			if err != nil || again != r {
				t.Errorf("Parse(%q) = %#v, %v, want %#v", r.String(), again, err, r)
			}
		})
	}
}

func TestParseNoDefaultTag(t *testing.T) {
	r, err := ParseNoDefaultTag("busybox")
	if err != nil || r.Tag != "" || r.String() != "docker.io/library/busybox" {
		t.Errorf("ParseNoDefaultTag(busybox) = %#v, %v, want no tag", r, err)
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []string{
		"",
		"Busybox",
		"user/App",
		"localhost:5000/A",
		"a:",
		"a:-x",
		"a:.x",
		"a:" + strings.Repeat("t", 129),
		"a:b c",
		"a:b:c",
		"a@",
		"a@sha256:",
		"a@sha256:../../x",
		"a@sha256:" + strings.ToUpper(hex64),
		"a@sha256:" + hex64[:63],
		"a@sha256:" + hex64 + "0",
		"a@sha512:" + hex64,
		"a@md5:d41d8cd98f00b204e9800998ecf8427e",
		"a@" + hex64,
		hex64,
		"a//b",
		"/a",
		"a/",
		"a..b",
		"a___b",
		"-a",
		"a-",
		"a/.b",
		"-host/a",
		"host-/a:1/b",
		"[zz]:5000/a",
		"host:port/a",
		"a b",
		"a\x00b",
		"docker.io/" + strings.Repeat("a", MaxNameLength-len("docker.io/library/")+1),
		"h.io/" + strings.Repeat("a/", 200) + "a",
	}
	for _, in := range tests {
		if r, err := Parse(in); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %#v, %v, want error wrapping ErrInvalid", in, r, err)
		}
	}
	// Longest accepted name.
	long := "docker.io/library/" + strings.Repeat("a", MaxNameLength-len("docker.io/library/"))
	if _, err := Parse(long); err != nil {
		t.Errorf("Parse(255-character name) = %v", err)
	}
}

func TestDigest(t *testing.T) {
	good := []string{"sha256:" + hex64, "sha512:" + hex128}
	for _, s := range good {
		if d, err := Digest(s); err != nil || string(d) != s {
			t.Errorf("Digest(%q) = %q, %v, want it back", s, d, err)
		}
	}
	bad := []string{
		"", "sha256", "sha256:", hex64, "sha256:../../x", "sha256:" + strings.ToUpper(hex64),
		"sha256:" + hex64[:63], "sha256:" + hex64 + "a", "sha256:" + hex64[:63] + "g",
		"sha512:" + hex64, "sha384:" + hex64 + hex64[:32], "SHA256:" + hex64,
		"sha256:" + hex64 + "/", "sha256:/" + hex64[1:], "sha256+b64:" + hex64,
	}
	for _, s := range bad {
		if d, err := Digest(s); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("Digest(%q) = %q, %v, want error wrapping ErrInvalid", s, d, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"busybox", "user/app:1", "localhost:5000/a/b:tag", "127.0.0.1:5000/x",
		"name@sha256:" + hex64, "name:tag@sha256:" + hex64, "[::1]:80/a", "a/b/c/d:e",
		"Foo/bar", "index.docker.io/x", "sha256:../../x", hex64,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) = %v, want error wrapping ErrInvalid", s, err)
			}
			return
		}
		again, err := Parse(r.String())
		if err != nil || again != r {
			t.Fatalf("Parse(Parse(%q).String() = %q) = %#v, %v, want %#v", s, r.String(), again, err, r)
		}
		fam, err := Parse(r.Familiar())
		if err != nil || fam != r {
			t.Fatalf("Parse(Parse(%q).Familiar() = %q) = %#v, %v, want %#v", s, r.Familiar(), fam, err, r)
		}
		if r.Digest != "" {
			if _, err := Digest(string(r.Digest)); err != nil {
				t.Fatalf("Parse(%q) digest %q does not validate: %v", s, r.Digest, err)
			}
		}
	})
}
