package dock

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// A detached start whose init has exited, and been reaped by its
// monitor, before the start commits (`docker run --rm busybox true` on a
// busy machine) starts: the hand-over of its endpoints finds no process,
// and the monitor's hook takes the network back. It failed with "open
// /proc/PID/stat: no such file or directory".
func TestHandoverNetworkInitGone(t *testing.T) {
	testutil.RequireRoot(t)
	gone := exec.Command("/bin/true")
	require.NoError(t, gone.Run()) // exited and reaped: its PID names nothing
	require.NoError(t, handoverNetwork("0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123", gone.Process.Pid))
}
