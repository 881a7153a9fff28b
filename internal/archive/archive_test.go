package archive

import (
	"archive/tar"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantErr error
	}{
		{name: "a/b", want: "a/b"},
		{name: "./a/b/", want: "a/b"},
		{name: "/abs/x", want: "abs/x"},
		{name: "//abs//x/.", want: "abs/x"},
		{name: "a/../b", want: "b"},
		{name: "./", want: "."},
		{name: "/", want: "."},
		{name: "/../x", wantErr: ErrUnsafe},
		{name: "../../x", wantErr: ErrUnsafe},
		{name: "a/../../x", wantErr: ErrUnsafe},
		{name: "..", wantErr: ErrUnsafe},
		{name: "", wantErr: ErrUnsafe},
		{name: "a\x00b", wantErr: ErrUnsafe},
		{name: strings.Repeat("a", maxNameLen+1), wantErr: ErrUnsafe},
	}
	for _, tt := range tests {
		got, err := cleanName(tt.name)
		if tt.wantErr != nil {
			require.ErrorIs(t, err, tt.wantErr, "cleanName(%q) = %q, %v, want error %v", tt.name, got, err, tt.wantErr)
			continue
		}
		require.NoError(t, err, "cleanName(%q)", tt.name)
		require.Equal(t, tt.want, got, "cleanName(%q) = %q, want %q", tt.name, got, tt.want)
	}
}

func TestPlanEntry(t *testing.T) {
	reg := func(name string) *tar.Header { return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o4755} }
	tests := []struct {
		desc    string
		hdr     *tar.Header
		opt     Options
		want    entry
		wantErr error
	}{
		{desc: "file", hdr: reg("a/b"), want: entry{kind: kindReg, name: "a/b", parent: "a", base: "b", mode: 0o4755}},
		{desc: "root dir", hdr: &tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o40755}, want: entry{kind: kindDir, name: ".", base: ".", mode: 0o755}},
		{desc: "root as file", hdr: reg("/"), wantErr: ErrUnsafe},
		{desc: "whiteout", hdr: reg("a/.wh.b"), want: entry{kind: kindWhiteout, name: "a/.wh.b", parent: "a", base: "b", mode: 0o4755}},
		{desc: "opaque", hdr: reg("a/.wh..wh..opq"), want: entry{kind: kindOpaque, name: "a/.wh..wh..opq", parent: "a"}},
		{desc: "root opaque", hdr: reg(".wh..wh..opq"), want: entry{kind: kindOpaque, name: ".wh..wh..opq"}},
		{desc: "aufs metadata", hdr: reg(".wh..wh.aufs"), want: entry{kind: kindSkip}},
		{desc: "aufs link dir", hdr: reg(".wh..wh.plnk/123.456"), want: entry{kind: kindSkip}},
		{desc: "bare whiteout", hdr: reg("a/.wh."), wantErr: ErrUnsafe},
		{desc: "whiteout dot", hdr: reg(".wh.."), wantErr: ErrUnsafe},
		{desc: "whiteout dotdot", hdr: reg(".wh..."), wantErr: ErrUnsafe},
		{desc: "whiteout escape", hdr: reg("../.wh.x"), wantErr: ErrUnsafe},
		{desc: "whiteout as dir", hdr: reg(".wh.a/b"), wantErr: ErrUnsafe},
		{desc: "nul", hdr: reg("a\x00/../../x"), wantErr: ErrUnsafe},
		{desc: "char", hdr: &tar.Header{Typeflag: tar.TypeChar, Name: "null", Devmajor: 1, Devminor: 3}, wantErr: ErrUnsafe},
		{desc: "block", hdr: &tar.Header{Typeflag: tar.TypeBlock, Name: "sda", Devmajor: 8}, wantErr: ErrUnsafe},
		{desc: "char allowed", hdr: &tar.Header{Typeflag: tar.TypeChar, Name: "null", Mode: 0o666}, opt: Options{AllowDevices: true},
			want: entry{kind: kindChar, name: "null", base: "null", mode: 0o666}},
		{desc: "hardlink escape", hdr: &tar.Header{Typeflag: tar.TypeLink, Name: "x", Linkname: "../../etc/shadow"}, wantErr: ErrUnsafe},
		{desc: "hardlink abs", hdr: &tar.Header{Typeflag: tar.TypeLink, Name: "x", Linkname: "/etc/shadow"},
			want: entry{kind: kindLink, name: "x", base: "x", link: "etc/shadow"}},
		{desc: "symlink kept verbatim", hdr: &tar.Header{Typeflag: tar.TypeSymlink, Name: "d", Linkname: "../../"},
			want: entry{kind: kindSymlink, name: "d", base: "d", link: "../../"}},
		{desc: "empty symlink", hdr: &tar.Header{Typeflag: tar.TypeSymlink, Name: "d"}, wantErr: ErrUnsafe},
		{desc: "negative uid", hdr: &tar.Header{Typeflag: tar.TypeReg, Name: "f", Uid: -1}, wantErr: ErrUnsafe},
		{desc: "uid -1 as uint32", hdr: &tar.Header{Typeflag: tar.TypeReg, Name: "f", Gid: 1<<32 - 1}, wantErr: ErrUnsafe},
		{desc: "global header", hdr: &tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "../x"}, want: entry{kind: kindSkip}},
		{desc: "multi-volume", hdr: &tar.Header{Typeflag: 'M', Name: "x"}, wantErr: ErrUnsafe},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := planEntry(tt.hdr, &tt.opt)
			if tt.wantErr != nil {
				require.True(t, errors.Is(err, tt.wantErr), "planEntry(%q) = %+v, %v, want error %v", tt.hdr.Name, got, err, tt.wantErr)
				return
			}
			require.NoError(t, err, "planEntry(%q)", tt.hdr.Name)
			require.Equal(t, tt.want, got, "planEntry(%q) = %+v, want %+v", tt.hdr.Name, got, tt.want)
		})
	}
}

func TestKeepXattr(t *testing.T) {
	for name, want := range map[string]bool{
		"user.foo":                true,
		"user.overlay.x":          false,
		"user.overlay.opaque":     false,
		"trusted.overlay.opaque":  false,
		"trusted.foo":             false,
		"security.capability":     false,
		"security.selinux":        false,
		"system.posix_acl_access": true,
		"system.nfs4_acl":         false,
	} {
		require.Equal(t, want, keepXattr(name), "keepXattr(%q) = %v, want %v", name, !want, want)
	}
}
