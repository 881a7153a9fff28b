package main

import (
	"strings"
	"testing"
)

// --restart: on-failure:2 restarts twice and leaves the container exited,
// RestartCount 2 in inspect; always restarts after exit 0 until docker
// stop, after which it stays exited; --rm refuses a policy.
func TestCLIRestartPolicy(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok(nil, "run", "-d", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3"))
	waitFor(t, "on-failure:2 done", func() bool {
		return e.ok(nil, "inspect", "-f", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}", id) == "2 exited 3\n"
	})
	e.expect(0, "on-failure 2\n", "inspect", "-f", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", id)
	e.expect(0, "run\nrun\nrun\n", "logs", id)

	always := strings.TrimSpace(e.ok(nil, "run", "-d", "--restart", "always", "busybox", "sh", "-c", "echo run"))
	waitFor(t, "two restarts", func() bool {
		n := strings.TrimSpace(e.ok(nil, "inspect", "-f", "{{.RestartCount}}", always))
		return n != "0" && n != "1"
	})
	e.ok(nil, "stop", always)
	e.expect(0, "exited false\n", "inspect", "-f", "{{.State.Status}} {{.State.Restarting}}", always)
	e.expect(0, always[:12]+"\n", "ps", "-a", "-q", "--filter", "status=exited", "--filter", "id="+always)

	// Attached: dock run exits with the first run's code; the policy
	// starts the container again once the CLI is gone, detached.
	out, _, code := e.dock(nil, "run", "--name", "attached", "--restart", "on-failure:1", "busybox", "sh", "-c", "echo run; exit 4")
	if code != 4 || out != "run\n" {
		t.Errorf("dock run --restart on-failure:1 (attached) = exit %d, stdout %q; want 4, %q", code, out, "run\n")
	}
	waitFor(t, "the attached container's restart", func() bool {
		return e.ok(nil, "inspect", "-f", "{{.RestartCount}} {{.State.Status}}", "attached") == "1 exited\n"
	})
	e.expect(0, "run\nrun\n", "logs", "attached")

	stderr := e.expect(125, "", "run", "--rm", "--restart", "always", "busybox", "true")
	if !strings.Contains(stderr, "conflicting options: cannot specify both --restart and --rm") {
		t.Errorf("dock run --rm --restart always: stderr %q", stderr)
	}
	stderr = e.expect(125, "", "run", "-d", "--restart", "always:3", "busybox", "true")
	if !strings.Contains(stderr, "invalid restart policy: maximum retry count can only be used with 'on-failure'") {
		t.Errorf("dock run --restart always:3: stderr %q", stderr)
	}
}

// --health-*: ps shows "(health: starting)", then "(healthy)", and the
// health filter finds the container; inspect shows State.Health; the
// image's HEALTHCHECK applies unless --no-healthcheck.
func TestCLIHealthcheck(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok(nil, "run", "-d", "--health-cmd", "cat /tmp/ok", "--health-interval", "50ms",
		"--health-retries", "1000", "busybox", "sleep", "600"))
	status := func() string { return e.ok(nil, "ps", "--filter", "id="+id, "--format", "{{.Status}}") }
	if s := status(); !strings.HasSuffix(s, " (health: starting)\n") {
		t.Errorf("dock ps: STATUS %q, want it to end with (health: starting)", s)
	}
	e.ok(nil, "exec", id, "touch", "/tmp/ok")
	waitFor(t, "healthy", func() bool { return strings.HasSuffix(status(), " (healthy)\n") })
	e.expect(0, id[:12]+"\n", "ps", "-q", "--filter", "health=healthy")
	e.expect(0, "", "ps", "-q", "--filter", "health=unhealthy")
	e.expect(0, "healthy 0\n", "inspect", "-f", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}", id)
	e.expect(0, "[CMD-SHELL cat /tmp/ok] 50ms\n", "inspect", "-f", "{{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}}", id)

	// A check that fails: unhealthy after its retries.
	sick := strings.TrimSpace(e.ok(nil, "run", "-d", "--health-cmd", "exit 1", "--health-interval", "50ms",
		"--health-retries", "2", "busybox", "sleep", "600"))
	waitFor(t, "unhealthy", func() bool {
		return e.ok(nil, "inspect", "-f", "{{.State.Health.Status}}", sick) == "unhealthy\n"
	})
	e.expect(0, sick[:12]+"\n", "ps", "-q", "--filter", "health=unhealthy")

	// The image's HEALTHCHECK, and --no-healthcheck.
	dir := t.TempDir()
	writeFile(t, dir+"/Dockerfile", "FROM busybox\nHEALTHCHECK --interval=50ms CMD true\n")
	e.ok(nil, "build", "-q", "-t", "checked", dir)
	img := strings.TrimSpace(e.ok(nil, "run", "-d", "checked", "sleep", "600"))
	waitFor(t, "the image's check", func() bool {
		return e.ok(nil, "inspect", "-f", "{{.State.Health.Status}}", img) == "healthy\n"
	})
	off := strings.TrimSpace(e.ok(nil, "run", "-d", "--no-healthcheck", "checked", "sleep", "600"))
	e.expect(0, "<nil> [NONE]\n", "inspect", "-f", "{{.State.Health}} {{.Config.Healthcheck.Test}}", off)
	e.expect(0, off[:12]+"\n", "ps", "-q", "--filter", "health=none")

	stderr := e.expect(125, "", "run", "--no-healthcheck", "--health-cmd", "true", "busybox", "true")
	if !strings.Contains(stderr, "--no-healthcheck conflicts with --health-* options") {
		t.Errorf("dock run --no-healthcheck --health-cmd: stderr %q", stderr)
	}
}
