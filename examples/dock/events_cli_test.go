package main

import (
	"bufio"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCLIEvents follows dock events in a process of its own while other
// dock processes act, then reads the past events with --since/--until,
// --filter and --format.
func TestCLIEvents(t *testing.T) {
	e := newEnv(t)
	since := strconv.FormatInt(time.Now().Unix(), 10)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	follow := e.cmd(ctx, "events", "--since", since, "--filter", "type=container",
		"--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")
	stdout, err := follow.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, follow.Start())
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	e.ok(nil, "run", "--name", "evc", "busybox", "true")
	e.ok(nil, "rename", "evc", "evd")
	e.ok(nil, "rm", "evd")
	var got []string
	for len(got) == 0 || got[len(got)-1] != "container destroy evd" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "dock events ended; got %q", got)
			got = append(got, l)
		case <-ctx.Done():
			t.Fatalf("no destroy event; got %q", got)
		}
	}
	assert.Equal(t, []string{"container create evc", "container start evc", "container die evc",
		"container rename evd", "container destroy evd"}, got)
	require.NoError(t, follow.Process.Signal(syscall.SIGINT))
	assert.NoError(t, follow.Wait(), "dock events after ^C")

	// The past, bounded: --until ends it.
	until := strconv.FormatInt(time.Now().Unix()+1, 10)
	e.expect(0, "rename evc\n", "events", "--since", since, "--until", until,
		"--filter", "event=rename", "--format", "{{.Action}} {{.Actor.Attributes.oldName}}")
	out := e.ok(nil, "events", "--since", since, "--until", until, "--filter", "event=destroy", "--filter", "container=evd")
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container destroy [0-9a-f]{64} \(image=busybox, name=evd\)\n$`, out)
	out = e.ok(nil, "events", "--since", since, "--until", until, "--filter", "event=die", "--format", "json")
	var msg map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &msg), "events --format json: %q", out)
	actor, _ := msg["Actor"].(map[string]any)
	id, _ := actor["ID"].(string)
	assert.Regexp(t, `^[0-9a-f]{64}$`, id)
	assert.Equal(t, "container", msg["Type"])
	assert.Equal(t, "die", msg["Action"])
	assert.Equal(t, "local", msg["scope"])
	assert.Contains(t, msg, "timeNano")
	assert.NotContains(t, msg, "status", "API 1.52's event has no legacy fields")
	attrs, _ := actor["Attributes"].(map[string]any)
	assert.Contains(t, []any{"0", "1"}, attrs["execDuration"], "whole seconds: 1 when the run crossed a second")
	delete(attrs, "execDuration")
	assert.Equal(t, map[string]any{"name": "evc", "image": "busybox", "exitCode": "0"}, attrs)
	// Relative times: nothing from two minutes ago to one.
	e.expect(0, "", "events", "--since", "2m", "--until", "1m")

	errOut := e.expect(1, "", "events", "--filter", "bogus=1")
	assert.Contains(t, errOut, "invalid filter 'bogus'")
	errOut = e.expect(1, "", "events", "--since", "yesterday")
	assert.Contains(t, errOut, `failed to parse value as time or duration: "yesterday"`)
	errOut = e.expect(1, "", "events", "--format", "{{.Nope}}")
	assert.Contains(t, errOut, "Nope")
}

// TestCLIRenameDetachedEvents: a detached container renamed while it
// runs dies, in the events its monitor writes, under its new name.
func TestCLIRenameDetachedEvents(t *testing.T) {
	e := newEnv(t)
	since := strconv.FormatInt(time.Now().Unix(), 10)
	e.ok(nil, "run", "-d", "--name", "rd1", "busybox", "sleep", "100")
	e.expect(0, "", "rename", "rd1", "rd2")
	e.expect(0, "rd2\n", "stop", "-t", "0", "rd2")
	until := strconv.FormatInt(time.Now().Unix()+1, 10)
	e.expect(0, "die rd2\n", "events", "--since", since, "--until", until,
		"--filter", "event=die", "--format", "{{.Action}} {{.Actor.Attributes.name}}")
}

// TestCLIRenameUpdate renames a container (conflicts refused in docker's
// words) and updates its limits, stopped then running.
func TestCLIRenameUpdate(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "create", "--name", "r1", "busybox", "sleep", "100")
	e.ok(nil, "create", "--name", "r3", "busybox", "true")
	e.expect(0, "", "rename", "r1", "r2")
	e.expect(0, "r3\nr2\n", "ps", "-a", "--format", "{{.Names}}")
	errOut := e.expect(1, "", "rename", "r2", "r3")
	assert.Contains(t, errOut, `Conflict. The container name "/r3" is already in use by container "`)
	errOut = e.expect(1, "", "rename", "r2", "r2")
	assert.Contains(t, errOut, "Renaming a container with the same name as its current name")
	e.expect(1, "", "rename", "r2")

	e.expect(0, "r2\n", "update", "--memory", "64m", "--pids-limit", "100", "r2")
	e.expect(0, "67108864 100\n", "inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", "r2")
	e.ok(nil, "start", "r2")
	pids := []string{"exec", "r2", "sh", "-c", "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max"}
	e.expect(0, "100\n", pids...)
	e.expect(0, "r2\n", "update", "--pids-limit", "200", "r2")
	e.expect(0, "200\n", pids...)
	e.expect(0, "r2\n", "update", "--restart", "on-failure:2", "r2")
	e.expect(0, "on-failure:2\n", "inspect", "--format", "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", "r2")
	errOut = e.expect(1, "", "update", "r2")
	assert.Contains(t, errOut, "you must provide one or more flags when using this command")
	errOut = e.expect(1, "", "update", "--cpu-shares", "1", "nope", "r2")
	assert.Contains(t, errOut, "nope")
	assert.Contains(t, errOut, "cpu shares 1 is outside")
}

// TestCLISystemDfPrune: system df's summary, its --format and -v tables,
// and system prune's report.
func TestCLISystemDfPrune(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "run", "-d", "--name", "up", "busybox", "sleep", "100")
	e.ok(nil, "create", "--name", "stopped", "busybox", "true")
	e.ok(nil, "volume", "create", "v1")
	out := e.ok(nil, "system", "df")
	for _, re := range []string{
		`^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\n`,
		`\nImages\s+1\s+1\s+[0-9.]+[kM]B\s+0B \(0%\)\n`,
		`\nContainers\s+2\s+1\s+\S+\s+\S+`,
		`\nLocal Volumes\s+1\s+0\s+0B\s+0B\n`,
		`\nBuild Cache\s+0\s+0\s+0B\s+0B\n$`,
	} {
		assert.Regexp(t, re, out, "system df")
	}
	e.expect(0, "Images=1/1\nContainers=2/1\nLocal Volumes=1/0\nBuild Cache=0/0\n",
		"system", "df", "--format", "{{.Type}}={{.TotalCount}}/{{.Active}}")
	out = e.ok(nil, "system", "df", "-v")
	for _, re := range []string{
		`^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n`,
		`\nbusybox\s+latest\s+[0-9a-f]{12}\s+.+ago\s+\S+\s+0B\s+\S+\s+2\n`,
		`\n\nContainers space usage:\n\nCONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES\n`,
		`\n[0-9a-f]{12}\s+busybox\s+"sleep 100"\s+0\s+\S+\s+.+ago\s+Up .+\s+up\n`,
		`\n\nLocal Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\nv1\s+0\s+0B\n`,
		`\n\nBuild cache usage: 0B\n\nCACHE ID\s+CACHE TYPE\s+SIZE\s+CREATED\s+LAST USED\s+USAGE\s+SHARED\n$`,
	} {
		assert.Regexp(t, re, out, "system df -v")
	}

	stopped := strings.TrimSpace(e.ok(nil, "inspect", "--format", "{{.Id}}", "stopped"))
	e.expect(0, "Deleted Containers:\n"+stopped+"\n\nTotal reclaimed space: 0B\n", "system", "prune", "-f")
	e.ok(nil, "rm", "-f", "up")
	out = e.ok(nil, "system", "prune", "-a", "--volumes")
	assert.Regexp(t, `^Deleted Images:\nuntagged: busybox:latest\n(deleted: sha256:[0-9a-f]{64}\n)+\nTotal reclaimed space: [0-9.]+[kM]B\n$`, out)
	e.expect(0, "v1\n", "volume", "ls", "-q")
	e.expect(0, "Total reclaimed space: 0B\n", "system", "prune")
}

// TestCLIHistory: an imported image's one step, and a commit on it.
func TestCLIHistory(t *testing.T) {
	e := newEnv(t)
	out := e.ok(nil, "history", "busybox")
	assert.Regexp(t, `^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n[0-9a-f]{12}\s+.+ago\s+\S+\s+[0-9.]+[kM]B\s*\n$`, out)
	e.ok(nil, "run", "--name", "hc", "busybox", "sh", "-c", "echo x > /f")
	e.ok(nil, "commit", "-m", "add f", "hc", "hist:1")
	id := strings.TrimSpace(e.ok(nil, "images", "-q", "--no-trunc", "hist:1"))
	base := strings.TrimSpace(e.ok(nil, "images", "-q", "--no-trunc", "busybox"))
	baseComment := historyComment(t, e, "busybox")
	e.expect(0, id+"|add f\n"+base+"|"+baseComment+"\n", "history", "--no-trunc", "--format", "{{.ID}}|{{.Comment}}", "hist:1")
	e.expect(0, id[7:19]+"\n"+base[7:19]+"\n", "history", "-q", "hist:1")
	e.expect(0, id[7:19]+"\n"+base[7:19]+"\n", "image", "history", "-q", "hist:1")
	out = e.ok(nil, "history", "-H=false", "--format", "{{.Size}} {{.CreatedAt}}", "hist:1")
	assert.Regexp(t, `^\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\n\d+ `, out)
	errOut := e.expect(1, "", "history", "nope:1")
	assert.Contains(t, errOut, "nope")
}

// historyComment is the comment of an image's last step.
func historyComment(t *testing.T, e *env, ref string) string {
	t.Helper()
	return strings.TrimSuffix(e.ok(nil, "history", "--format", "{{.Comment}}", ref), "\n")
}

// TestCLIVersionFlag: dock --version and -v, as docker's.
func TestCLIVersionFlag(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		out, errOut, code := runMain(t, flag)
		assert.Equal(t, 0, code, "dock %s: stderr %q", flag, errOut)
		assert.Regexp(t, regexp.MustCompile(`^dock version \S+(, build [0-9a-f]{1,7})?\n$`), out, "dock %s", flag)
	}
}
