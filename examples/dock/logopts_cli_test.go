package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --log-opt bounds a container's log; docker's unknown options are
// refused before anything runs.
func TestCLILogOpts(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok(nil, "run", "-d", "--log-opt", "max-size=4k", "--log-opt", "max-file=2", "busybox", "seq", "1", "2000"))
	e.expect(0, "0\n", "wait", id)
	e.expect(0, "1999\n2000\n", "logs", "--tail", "2", id)
	names, err := filepath.Glob(filepath.Join(e.root, "containers", id, "json.log*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 {
		t.Errorf("log files %q, want json.log and json.log.1", names)
	}
	for _, n := range names {
		if fi, err := os.Stat(n); err != nil || fi.Size() > 4000 {
			t.Errorf("%s: %v, want at most 4000 bytes (4k, docker's decimal units)", n, err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--log-opt", "bogus=1"}, "unknown log opt 'bogus' for json-file log driver"},
		{[]string{"--log-opt", "max-file=0"}, "max-file cannot be less than 1"},
		{[]string{"--log-opt", "max-size=-1", "--log-opt", "max-file=3"}, "needs a max size"},
		{[]string{"--log-driver", "syslog"}, `log driver "syslog" is not supported`},
	} {
		args := append(append([]string{"run", "--rm"}, tc.args...), "busybox", "echo", "ran")
		out, errOut, code := e.dock(nil, args...)
		if code != 125 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("dock %q = exit %d, stdout %q, stderr %q; want 125 and %q", args, code, out, errOut, tc.want)
		}
	}
}
