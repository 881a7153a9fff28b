package dock

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePs(t *testing.T) {
	out := []byte("UID   PID  PPID  C STIME TTY  TIME     CMD\n" +
		"root    1     0  0 10:00 ?    00:00:01 /sbin/init splash\n" +
		"root  200     1  0 10:01 ?    00:00:00 sh -c sleep 600\n" +
		"root  201   200  0 10:01 ?    00:00:00 sleep 600\n")
	r, err := parsePs(out, []int{200, 201})
	require.NoError(t, err)
	assert.Equal(t, []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}, r.Titles)
	assert.Equal(t, [][]string{
		{"root", "200", "1", "0", "10:01", "?", "00:00:00", "sh -c sleep 600"},
		{"root", "201", "200", "0", "10:01", "?", "00:00:00", "sleep 600"},
	}, r.Processes)

	for name, bad := range map[string]string{
		"no PID column":    "USER COMMAND\nroot sh\n",
		"empty":            "",
		"pid not a number": "PID CMD\nabc sh\n",
	} {
		_, err := parsePs([]byte(bad), []int{1})
		assert.ErrorIs(t, err, ErrInvalid, name)
	}
}

// TestTop: docker top's rows are the container's processes only, in
// ps's format of choice; a stopped container has none to show.
func TestTop(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	c, err := e.Create(ctx, Config{Image: "busybox", Cmd: []string{"sh", "-c", "sleep 600 & exec sleep 601"}})
	require.NoError(t, err)
	defer c.Remove(ctx, RemoveForce())
	require.NoError(t, c.StartDetached(ctx))
	var r *TopResult
	for i := 0; i < 200; i++ {
		if r, err = c.Top(ctx); err == nil && len(r.Processes) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond) // the shell forks its child
	}
	require.NoError(t, err)
	require.Len(t, r.Processes, 2, "%+v", r.Processes)
	assert.Equal(t, "CMD", r.Titles[len(r.Titles)-1])
	var cmds []string
	for _, p := range r.Processes {
		cmds = append(cmds, p[len(p)-1])
	}
	assert.ElementsMatch(t, []string{"sleep 600", "sleep 601"}, cmds)

	r, err = c.Top(ctx, "-o", "pid,comm")
	require.NoError(t, err)
	assert.Equal(t, []string{"PID", "COMMAND"}, r.Titles)
	assert.Len(t, r.Processes, 2)

	_, err = c.Top(ctx, "-o", "comm")
	assert.ErrorIs(t, err, ErrInvalid, "no PID column")
	_, err = c.Top(ctx, "--no-such-option")
	assert.ErrorIs(t, err, ErrInvalid)
	if err != nil {
		assert.True(t, strings.HasPrefix(err.Error(), "top: ps: "), err.Error())
	}

	require.NoError(t, c.Stop(ctx, 0))
	_, err = c.Top(ctx)
	assert.ErrorIs(t, err, ErrNotRunning)
}
