//go:build linux

package dock

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEtcFilesOverVolume: a volume or a tmpfs over /etc does not hide the
// generated hostname, hosts and resolv.conf, which are mounted after the
// caller's mounts (as Docker does); a caller's own mount of one of them
// still wins over the generated one.
func TestEtcFilesOverVolume(t *testing.T) {
	e := testEngine(t)
	script := `cat /etc/hostname; grep -c box /etc/hosts; test -e /etc/resolv.conf && echo resolv; cat /etc/group | head -1`
	for _, m := range []Mount{
		{Type: "volume", Source: "etc", Target: "/etc"},
		{Type: "tmpfs", Target: "/etc"},
	} {
		out := sh(t, e, Config{Hostname: "box", Mounts: []Mount{m}}, script)
		want := "box\n1\nresolv\nroot:x:0:\n" // the volume is filled from the image
		if m.Type == "tmpfs" {
			want = "box\n1\nresolv\n"
		}
		assert.Equal(t, want, out, m.Type)
	}

	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("10.1.2.3 mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := sh(t, e, Config{Hostname: "box", Mounts: []Mount{
		{Type: "volume", Source: "etc2", Target: "/etc"},
		{Type: "bind", Source: hosts, Target: "/etc/hosts", ReadOnly: true},
	}}, `cat /etc/hosts /etc/hostname`)
	assert.Equal(t, "10.1.2.3 mine\nbox\n", out)

	// A read-only mount over /etc gets the generated file over the one
	// it has, and none of those it lacks: no mountpoint can be made in
	// it (Docker fails to start there).
	ro := t.TempDir()
	if err := os.WriteFile(filepath.Join(ro, "hosts"), []byte("10.9.9.9 ro\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = sh(t, e, Config{Hostname: "box", Mounts: []Mount{{Type: "bind", Source: ro, Target: "/etc", ReadOnly: true}}},
		`hostname; ls /etc; cat /etc/hosts`)
	assert.True(t, strings.HasPrefix(out, "box\nhosts\n127.0.0.1\tlocalhost\n"), out)
}

// TestEtcMtab: /etc/mtab is a link to /proc/mounts, as in Docker's
// containers (its init layer has it), in user namespaces too; it is not
// among the container's changes, which commit would keep.
func TestEtcMtab(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	const script = `readlink /etc/mtab; grep -c ' / overlay ' /etc/mtab; ls -ld /etc | cut -c1-10`
	assert.Equal(t, "/proc/mounts\n1\ndrwxr-xr-x\n", sh(t, e, Config{}, script))
	userns := Config{UIDMap: []IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}, GIDMap: []IDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}}
	assert.Equal(t, "/proc/mounts\n1\ndrwxr-xr-x\n", sh(t, e, userns, script))

	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"cat", "/etc/mtab"}})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	_, err = os.Lstat(c.dir("upper", "etc", "mtab"))
	assert.ErrorIs(t, err, os.ErrNotExist, "the writable layer has no /etc/mtab")
}
