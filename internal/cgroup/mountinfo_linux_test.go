package cgroup

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/go-dock/dock/internal/testutil"
)

// The kept mountinfo follows the mount table: a mount made after a read, and
// its removal, show at the next call.
func TestMountinfoFollowsChanges(t *testing.T) {
	testutil.RequireRoot(t)
	read := func() string {
		selfMounts.Lock()
		defer selfMounts.Unlock()
		b, err := mountinfoLocked()
		require.NoError(t, err)
		return string(b)
	}
	dir := t.TempDir()
	require.NotContains(t, read(), " "+dir+" ")
	require.NotContains(t, read(), " "+dir+" ", "cached")
	require.NoError(t, unix.Mount("tmpfs", dir, "tmpfs", 0, ""))
	mounted := false
	defer func() {
		if mounted {
			unix.Unmount(dir, unix.MNT_DETACH)
		}
	}()
	mounted = true
	require.Contains(t, read(), " "+dir+" ")
	require.Contains(t, read(), " "+dir+" ", "cached")
	require.NoError(t, unix.Unmount(dir, 0))
	mounted = false
	require.NotContains(t, read(), " "+dir+" ")
	// Mounts elsewhere, then the same answer again.
	require.Equal(t, read(), read())
	require.True(t, strings.Contains(read(), " / "), "the root is there")
}
