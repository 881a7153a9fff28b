package dock

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseVolume(t *testing.T) {
	for _, tt := range []struct {
		spec string
		want Mount
	}{
		{"/data", Mount{Type: "volume", Target: "/data"}},
		{"vol:/data", Mount{Type: "volume", Source: "vol", Target: "/data"}},
		{"/host:/data", Mount{Type: "bind", Source: "/host", Target: "/data"}},
		{"/host:/data:ro", Mount{Type: "bind", Source: "/host", Target: "/data", ReadOnly: true}},
		{"/host:/data:rw,Z,cached,rprivate", Mount{Type: "bind", Source: "/host", Target: "/data", Relabel: "Z", Consistency: "cached"}},
		{"vol:/data:nocopy,ro", Mount{Type: "volume", Source: "vol", Target: "/data", NoCopy: true, ReadOnly: true}},
	} {
		got, err := ParseVolume(tt.spec)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseVolume(%q) = %+v, %v, want %+v", tt.spec, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ spec, msg string }{
		{"a:b:c:d", `invalid argument: invalid volume specification: "a:b:c:d"`},
		{":/data", `invalid argument: invalid volume specification: ":/data": empty source`},
		{"vol:data", `invalid argument: invalid volume specification: "vol:data": destination "data" is not an absolute path`},
		{"", `invalid argument: invalid volume specification: "": destination "" is not an absolute path`},
		{"/h:/d:ro,rw", "invalid argument: invalid mode: ro,rw"},
		{"/h:/d:nocopy", "invalid argument: invalid mode: nocopy"},
		{"/h:/d:shared", "invalid argument: invalid mode: shared"},
		{"/h:/d:", "invalid argument: invalid mode: "},
	} {
		_, err := ParseVolume(tt.spec)
		if !errors.Is(err, ErrInvalid) || err.Error() != tt.msg {
			t.Errorf("ParseVolume(%q) = %v, want %q (ErrInvalid)", tt.spec, err, tt.msg)
		}
	}
}
