package dock

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/procstat"
	"github.com/go-dock/dock/internal/testutil"
)

// A detached start whose init has exited, and been reaped by its
// monitor, before the start commits (`docker run --rm busybox true` on a
// busy machine) starts: the hand-over of its endpoints needs no process
// (it failed with "open /proc/PID/stat: no such file or directory"); the
// start time was read while the init waited for its go-ahead.
func TestHandoverNetworkInitGone(t *testing.T) {
	testutil.RequireRoot(t)
	gone := exec.Command("/bin/sleep", "0")
	require.NoError(t, gone.Start())
	start, err := procstat.StartTime(gone.Process.Pid)
	require.NoError(t, err)
	require.NoError(t, gone.Wait()) // exited and reaped: its PID names nothing
	require.NoError(t, handoverNetwork("0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123", gone.Process.Pid, start))
}
