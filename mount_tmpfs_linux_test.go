package dock

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/unix"
)

func TestTmpfsOptions(t *testing.T) {
	const defaults = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV
	for _, tc := range []struct {
		opts     []string
		readOnly bool
		flags    uintptr
		data     string
	}{
		{nil, false, defaults, ""},
		{[]string{"size=1m", "mode=1777"}, false, defaults, "size=1m,mode=1777"},
		{[]string{"exec"}, false, unix.MS_NOSUID | unix.MS_NODEV, ""},
		{[]string{"exec", "noexec"}, false, defaults, ""},
		{[]string{"suid", "dev", "rw"}, false, unix.MS_NOEXEC, ""},
		{[]string{"ro", "size=1m", "size=2m"}, false, defaults | unix.MS_RDONLY, "size=2m"},
		{[]string{"rw"}, true, defaults | unix.MS_RDONLY, ""},
		{[]string{"rprivate", "noatime", "uid=1000"}, false, defaults | unix.MS_NOATIME, "uid=1000"},
	} {
		flags, data := tmpfsOptions(tc.opts, tc.readOnly)
		assert.Equal(t, tc.flags, flags, "tmpfsOptions(%q, %v) flags", tc.opts, tc.readOnly)
		assert.Equal(t, tc.data, data, "tmpfsOptions(%q, %v) data", tc.opts, tc.readOnly)
	}
}

// TestTmpfsMountDefaults: a tmpfs mount is noexec, nosuid and nodev, as
// Docker's --tmpfs, unless its options say otherwise; mount flags among
// the options are flags, not data that tmpfs refuses.
func TestTmpfsMountDefaults(t *testing.T) {
	e := testEngine(t)
	out := sh(t, e, Config{Mounts: []Mount{
		{Type: "tmpfs", Target: "/a"},
		{Type: "tmpfs", Target: "/b", Options: []string{"rw", "exec", "size=8m"}},
		{Type: "tmpfs", Target: "/c", Options: []string{"ro", "nosuid"}},
	}}, `grep -E ' /(a|b|c) ' /proc/mounts | cut -d' ' -f2,4; cp /bin/busybox /a/echo; /a/echo 2>/dev/null || echo a-noexec; cp /bin/busybox /b/echo && /b/echo b-exec`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Len(t, lines, 5, out)
	assert.Contains(t, out, "/a rw,nosuid,nodev,noexec,")
	assert.Contains(t, out, "/b rw,nosuid,nodev,relatime,size=8192k\n")
	assert.Contains(t, out, "/c ro,nosuid,nodev,noexec,")
	assert.Contains(t, out, "a-noexec\nb-exec\n")
}
