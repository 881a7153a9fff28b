package main

import (
	"regexp"
	"strings"
	"testing"
)

// The container group: its subcommands are the top-level commands under
// docker's names (ls, ps and list for ps), with the same exit codes (run's
// and create's failures 125), and container inspect looks up containers
// only.
func TestCLIContainerGroup(t *testing.T) {
	e := newEnv(t)
	e.expect(0, "hi\n", "container", "run", "--rm", "busybox", "echo", "hi")
	id := strings.TrimSpace(e.ok(nil, "container", "create", "--name", "made", "busybox", "true"))
	e.expect(0, "", "container", "start", "-a", "made")
	want := e.ok(nil, "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.Status}}")
	if !strings.HasPrefix(want, id+" made Exited (0)") {
		t.Fatalf("ps -a = %q, want the container made", want)
	}
	for _, ls := range []string{"ls", "ps", "list"} {
		e.expect(0, want, "container", ls, "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.Status}}")
	}
	e.expect(0, "/made exited\n", "container", "inspect", "-f", "{{.Name}} {{.State.Status}}", "made")
	e.expect(0, "0\n", "container", "wait", "made")
	e.expect(0, "", "container", "diff", "made")
	if out := e.ok(nil, "container", "cp", "made:/etc/passwd", "-"); !strings.Contains(out, "root:x:0:0") {
		t.Errorf("container cp made:/etc/passwd - = %q, want a tar of passwd", out)
	}
	if out := e.ok(nil, "container", "export", "made"); !strings.Contains(out, "bin/busybox") {
		t.Errorf("container export made: no bin/busybox in the %d bytes", len(out))
	}
	e.expect(0, "made\n", "container", "rm", "made")

	// Exit codes: a failure of run and create is 125, as at the top.
	if errOut := e.expect(125, "", "container", "run", "--pull", "never", "nosuch"); !strings.Contains(errOut, "nosuch") {
		t.Errorf("container run of a missing image: stderr %q", errOut)
	}
	e.expect(125, "", "container", "create", "--pull", "never", "nosuch")
	e.expect(125, "", "container", "run", "--pull", "sometimes", "busybox")
	e.expect(1, "", "container", "run")
	e.expect(127, "", "container", "run", "--rm", "busybox", "nosuchcommand")
	e.expect(1, "", "container", "stop", "nosuch")
	// An image is no container.
	if errOut := e.expect(1, "[]\n", "container", "inspect", "busybox"); !strings.Contains(errOut, "busybox") {
		t.Errorf("container inspect busybox: stderr %q", errOut)
	}
	e.expect(1, "", "container", "bogus")
}

// container prune removes the containers that do not run, those the
// filters keep, and prints their IDs and the space freed, as docker does.
func TestCLIContainerPrune(t *testing.T) {
	e := newEnv(t)
	e.expect(0, "Total reclaimed space: 0B\n", "container", "prune", "-f")
	old := strings.TrimSpace(e.ok(nil, "create", "--label", "keep=1", "busybox", "true"))
	exited := strings.TrimSpace(e.ok(nil, "run", "-d", "busybox", "sh", "-c", "head -c 2000 /dev/zero > /f"))
	e.ok(nil, "wait", exited)
	running := strings.TrimSpace(e.ok(nil, "run", "-d", "busybox", "sleep", "60"))

	e.expect(0, "Total reclaimed space: 0B\n", "container", "prune", "--filter", "until=2000-01-01")
	e.expect(0, "Total reclaimed space: 0B\n", "container", "prune", "--filter", "label=nosuch")
	out := e.ok(nil, "container", "prune", "--filter", "label!=keep=1")
	if !regexp.MustCompile(`^Deleted Containers:\n` + exited + `\n\nTotal reclaimed space: 2(\.\d+)?kB\n$`).MatchString(out) {
		t.Errorf("container prune --filter label!=keep=1 = %q, want the exited container and about 2kB", out)
	}
	e.expect(0, "Deleted Containers:\n"+old+"\n\nTotal reclaimed space: 0B\n", "container", "prune", "--force")
	e.expect(0, running[:12]+"\n", "ps", "-q")

	// Filters docker refuses.
	if errOut := e.expect(1, "", "container", "prune", "--filter", "status=exited"); errOut != "dock: invalid filter 'status'\n" {
		t.Errorf("container prune --filter status=exited: stderr %q", errOut)
	}
	if errOut := e.expect(1, "", "container", "prune", "--filter", "until=soon"); !strings.Contains(errOut, `failed to parse value as time or duration: "soon"`) {
		t.Errorf("container prune --filter until=soon: stderr %q", errOut)
	}
	if errOut := e.expect(125, "", "container", "prune", "--filter", "until"); !strings.Contains(errOut, "bad format of filter (expected name=value)") {
		t.Errorf("container prune --filter until: stderr %q", errOut)
	}
}
