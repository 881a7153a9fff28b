package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIStdinIsACopy checks that `run -i`, `exec -i` and `start -a -i`
// copy the CLI's stdin to the container through a pipe instead of handing
// the descriptor over (through /proc/self/fd/0 the container could write
// to a read-only host file, or reach the host's root from a directory),
// and that `run -d -i` gives the container none of it.
func TestCLIStdinIsACopy(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "ro-file")
	if err := os.WriteFile(file, []byte("host secret\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	script := `cat >/dev/null; readlink /proc/self/fd/0; ` +
		`echo pwned > /proc/self/fd/0 2>/dev/null; touch /proc/self/fd/0/escaped 2>/dev/null; true`
	e.ok(nil, "run", "-d", "--name", "target", "busybox", "sleep", "60")
	e.ok(nil, "create", "-i", "--name", "created", "busybox", "sh", "-c", script)
	for _, tc := range []struct {
		name string
		args []string
		want string // the output's prefix
	}{
		{"run -i", []string{"run", "--rm", "-i", "busybox", "sh", "-c", script}, "pipe:["},
		{"exec -i", []string{"exec", "-i", "target", "sh", "-c", script}, "pipe:["},
		{"start -a -i", []string{"start", "-a", "-i", "created"}, "pipe:["},
		// Detached: the monitor's pipe, which an attach writes to (it
		// stays open: the script does not wait for its end).
		{"run -d -i", []string{"run", "-d", "-i", "busybox", "sh", "-c", strings.TrimPrefix(script, "cat >/dev/null; ")}, ""},
	} {
		for _, in := range []string{file, dir} {
			t.Run(tc.name+" < "+filepath.Base(in), func(t *testing.T) {
				f, err := os.Open(in)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				c := e.cmd(ctx, tc.args...)
				var out, errb bytes.Buffer
				c.Stdin, c.Stdout, c.Stderr = f, &out, &errb
				if err := c.Run(); err != nil {
					t.Fatalf("dock %q: %v (stderr %q)", tc.args, err, errb.String())
				}
				got := out.String()
				if tc.want == "" {
					// Detached: the ID, then the log shows what fd 0 was.
					id := strings.TrimSpace(got)
					e.ok(nil, "wait", id)
					got = e.ok(nil, "logs", id)
					if !strings.HasPrefix(got, "pipe:[") {
						t.Errorf("dock %q: the container's stdin was %q, want the monitor's pipe", tc.args, got)
					}
				} else if !strings.HasPrefix(got, tc.want) {
					t.Errorf("dock %q: the container's stdin was %q, want a pipe", tc.args, got)
				}
				if b, err := os.ReadFile(file); err != nil || string(b) != "host secret\n" {
					t.Errorf("dock %q: the host file holds %q, %v after the container", tc.args, b, err)
				}
				if _, err := os.Stat(filepath.Join(dir, "escaped")); err == nil {
					t.Errorf("dock %q: the container created a file in the host directory", tc.args)
				}
			})
		}
	}
}
