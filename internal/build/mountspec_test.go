package build

import (
	"testing"

	"github.com/go-dock/dock/internal/dockerfile"
	"github.com/stretchr/testify/require"
)

func TestParseMountSpec(t *testing.T) {
	vars := map[string]string{"T": "/cache", "ID": "go"}
	expand := func(w string) (string, error) {
		return dockerfile.Expand(w, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, '\\')
	}
	for _, c := range []struct {
		flag string
		want mountSpec // zero typ: an error
	}{
		{"type=bind,target=rel", mountSpec{typ: "bind", target: "/w/rel", source: ".", readonly: true}},
		{"target=/x,source=/a/../b,rw", mountSpec{typ: "bind", target: "/x", source: "b"}},
		{"type=cache,target=$T", mountSpec{typ: "cache", target: "/cache", source: ".", id: "/cache", sharing: "shared", mode: 0o755}},
		{"type=cache,target=/c,id=$ID,sharing=locked,mode=0700,uid=1,gid=2,ro", mountSpec{typ: "cache", target: "/c", source: ".", id: "go", sharing: "locked", mode: 0o700, uid: 1, gid: 2, readonly: true}},
		{"type=tmpfs,target=/t,size=2m", mountSpec{typ: "tmpfs", target: "/t", size: 2 << 20}},
		{"type=secret,id=tok", mountSpec{typ: "secret", target: "/run/secrets/tok", id: "tok", mode: 0o400}},
		{"type=secret,target=/s/key,required", mountSpec{typ: "secret", target: "/s/key", id: "key", mode: 0o400, required: true}},
		{"type=secret,id=tok,env=TOK", mountSpec{typ: "secret", id: "tok", env: "TOK", mode: 0o400}},
		{"type=bind,target=/x,source=../up", mountSpec{}},
		{"type=cache,target=/", mountSpec{}},
		{"type=cache,target=/c,mode=8", mountSpec{}},
		{"type=cache,target=/c,uid=x", mountSpec{}},
		{"type=tmpfs,target=/t,size=-1", mountSpec{}},
		{"type=secret", mountSpec{}},
		{"type=secret,id=a,env=A=B", mountSpec{}},
		{"type=secret,id=a,required=maybe", mountSpec{}},
		{"type=ssh", mountSpec{}},
		{"type=cache,target=${T", mountSpec{}},
	} {
		m, err := dockerfile.ParseMount(c.flag)
		if err == nil {
			var s *mountSpec
			s, err = parseMountSpec(m, expand, "/w")
			if err == nil {
				require.Equal(t, c.want, *s, c.flag)
				continue
			}
		}
		require.Empty(t, c.want.typ, "parseMountSpec(%q) = %v", c.flag, err)
	}
}
