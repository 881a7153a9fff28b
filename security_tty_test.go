//go:build linux

package dock

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestSecurityExecTerminalOnlyFromDevpts checks where exec -t opens its
// terminal: in the container's devpts, reached without symlinks, and only
// from a real devpts multiplexer. A container able to mount (privileged)
// that puts a tmpfs with a ptmx node of its own making on /dev/pts, or a
// symlink there, gets a clear refusal, not a terminal of whatever the
// node leads to (the shape of runc's console CVE-2025-52565); its own
// devpts still works.
func TestSecurityExecTerminalOnlyFromDevpts(t *testing.T) {
	e := testEngine(t)
	c := secStartDetached(t, e, Config{Image: "busybox", Privileged: true, Cmd: []string{"sleep", "60"}})
	if out, st, err := secExec(t, c, ExecConfig{Cmd: []string{"tty"}, Tty: true}); err != nil || st.Code != 0 || out != "/dev/pts/0\r\n" {
		t.Fatalf("exec -t tty = %q, %+v, %v; want /dev/pts/0", out, st, err)
	}
	for _, tc := range []struct{ name, setup, want string }{
		// The node works: the kernel finds a devpts in pts/ beside it.
		{"tmpfs with a ptmx node", "umount /dev/pts && mount -t tmpfs tmpfs /dev/pts && mknod /dev/pts/ptmx c 5 2 && " +
			"mkdir /dev/pts/pts && mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts/pts",
			"not the multiplexer of a devpts"},
		{"symlink", "umount /dev/pts && mkdir /tmp/fake && mknod /tmp/fake/ptmx c 5 2 && mount -t tmpfs tmpfs /dev/pts && ln -s /tmp/fake/ptmx /dev/pts/ptmx",
			"/dev/pts/ptmx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := secStartDetached(t, e, Config{Image: "busybox", Privileged: true, Cmd: []string{"sh", "-c", tc.setup + " && touch /tmp/ready && sleep 60"}})
			deadline := time.Now().Add(20 * time.Second)
			for {
				out, _, _ := secExec(t, c, ExecConfig{Cmd: []string{"ls", "/tmp/ready"}})
				if strings.TrimSpace(out) == "/tmp/ready" {
					break
				}
				if time.Now().After(deadline) {
					var logs bytes.Buffer
					c.Logs(context.Background(), &logs, &logs, LogOptions{})
					t.Fatalf("the container's setup did not finish: %q", logs.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			out, st, err := secExec(t, c, ExecConfig{Cmd: []string{"tty"}, Tty: true})
			secWantStartError(t, "exec -t with "+tc.name+" on /dev/pts", err, tc.want)
			if err == nil {
				t.Errorf("exec -t = %q, %+v; want a refusal", out, st)
			}
		})
	}
}
