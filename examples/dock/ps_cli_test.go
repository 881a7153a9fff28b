package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// psNames runs ps with args and a format of names only, and returns them
// space-separated, newest first.
func (e *env) psNames(args ...string) string {
	e.t.Helper()
	out := e.ok(nil, append([]string{"ps", "--format", "{{.Names}}"}, args...)...)
	return strings.Join(strings.Fields(out), " ")
}

// TestCLIRandomNames: containers made without --name get docker-like
// names, distinct, that address them.
func TestCLIRandomNames(t *testing.T) {
	e := newEnv(t)
	id1 := strings.TrimSpace(e.ok(nil, "create", "busybox", "true"))
	id2 := strings.TrimSpace(e.ok(nil, "create", "busybox", "true"))
	names := strings.Fields(e.ok(nil, "ps", "-a", "--format", "{{.Names}}"))
	require.Len(t, names, 2)
	for _, n := range names {
		assert.Regexp(t, `^[a-z]+_[a-z]+$`, n)
	}
	assert.NotEqual(t, names[0], names[1])
	e.expect(0, id2+"\n", "inspect", "-f", "{{.Id}}", names[0])
	e.expect(0, id1+"\n", "inspect", "-f", "{{.Id}}", names[1])
	e.expect(0, names[1]+"\n", "rm", names[1])
}

// TestCLIPsFilters checks ps's flags and each --filter on real
// containers: a created one, two that exited (0 and 3), a paused one
// with a volume and none network, a running one on the default bridge
// with a published port, made from an image committed from busybox.
func TestCLIPsFilters(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "create", "--name", "new", "-l", "tier=front", "busybox", "true")
	e.expect(0, "", "run", "--name", "job", "-l", "app=job", "busybox", "sh", "-c", "head -c 5000 /dev/zero > /f")
	e.expect(3, "", "run", "--name", "fail", "-l", "app=batch", "busybox", "sh", "-c", "exit 3")
	e.ok(nil, "run", "-d", "--name", "db", "-l", "app=db", "--network", "none", "-v", "dbdata:/data", "busybox", "sleep", "300")
	e.expect(0, "db\n", "pause", "db")
	e.ok(nil, "commit", "job", "child:1")
	e.ok(nil, "run", "-d", "--name", "web", "-l", "app=web", "-l", "tier=front", "-p", "8080:80", "child:1", "sleep", "300")
	ids := map[string]string{}
	for _, n := range []string{"new", "job", "fail", "db", "web"} {
		ids[n] = strings.TrimSpace(e.ok(nil, "inspect", "-f", "{{.Id}}", n))
	}

	assert.Equal(t, "web db", e.psNames(), "running and paused")
	assert.Equal(t, "web db fail job new", e.psNames("-a"))
	assert.Equal(t, "web", e.psNames("-l"))
	assert.Equal(t, "web db fail", e.psNames("-n", "3"))
	assert.Equal(t, "web db fail", e.psNames("--last=3"))
	for _, tc := range []struct {
		filters []string
		want    string
	}{
		{[]string{"status=exited"}, "fail job"}, // status implies -a
		{[]string{"status=paused", "status=created"}, "db new"},
		{[]string{"status=running"}, "web"},
		{[]string{"status=dead"}, ""},
		{[]string{"name=web"}, "web"},
		{[]string{"name=e"}, "web new"}, // part of the name, as docker
		{[]string{"name=^(db|job)$"}, "db job"},
		{[]string{"id=" + ids["db"][:8]}, "db"},
		{[]string{"label=app"}, "web db fail job"},
		{[]string{"label=app=db"}, "db"},
		{[]string{"label=tier=front", "label=app"}, "web"},
		{[]string{"label!=app"}, "new"},
		{[]string{"ancestor=busybox"}, "web db fail job new"}, // child:1 is built on busybox
		{[]string{"ancestor=child:1"}, "web"},
		{[]string{"exited=3"}, "fail"},
		{[]string{"exited=0"}, "job"}, // not the created one
		{[]string{"before=fail"}, "job new"},
		{[]string{"since=fail"}, "web db"},
		{[]string{"since=new", "before=db"}, "fail job"},
		{[]string{"volume=dbdata"}, "db"},
		{[]string{"volume=/data"}, "db"},
		{[]string{"network=bridge"}, "web fail job new"},
		{[]string{"network=none"}, "db"},
		{[]string{"publish=80"}, "web"},
		{[]string{"publish=80/udp"}, ""},
		{[]string{"expose=79-81"}, "web"},
		{[]string{"health=none"}, "web db fail job new"},
		{[]string{"health=healthy"}, ""},
		{[]string{"is-task=false"}, "web db fail job new"},
		{[]string{"is-task=true"}, ""},
	} {
		args := []string{"-a"}
		for _, f := range tc.filters {
			args = append(args, "--filter", f)
		}
		assert.Equal(t, tc.want, e.psNames(args...), "ps %q", args)
	}
	// Without -a, a filter sees the running and paused containers only;
	// -f is --filter.
	assert.Equal(t, "web db", e.psNames("-f", "label=app"))
	assert.Equal(t, "", e.psNames("-f", "exited=0"))
	assert.Equal(t, "web", e.psNames("-f", "label=app", "-l"))

	// Filters docker refuses.
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"--filter", "colour=red"}, "dock: invalid filter 'colour'\n"},
		{[]string{"--filter", "status=sleeping"}, "dock: invalid filter 'status=sleeping'\n"},
		{[]string{"--filter", "exited=x"}, "dock: invalid filter 'exited=x'\n"},
		{[]string{"--filter", "since=nosuch"}, "dock: no such container: nosuch: not found\n"},
		{[]string{"--filter", "status"}, "invalid argument \"status\" for \"-f, --filter\" flag: bad format of filter (expected name=value)\nSee 'dock ps --help'.\n"},
	} {
		out, errOut, code := e.dock(nil, append([]string{"ps"}, tc.args...)...)
		want := 1 // the engine's refusal
		if !strings.HasPrefix(tc.stderr, "dock: ") {
			want = 125 // a flag error, as docker's
		}
		assert.Equal(t, want, code, "ps %q", tc.args)
		assert.Equal(t, "", out, "ps %q", tc.args)
		assert.Equal(t, tc.stderr, errOut, "ps %q", tc.args)
	}

	// -q, --no-trunc.
	e.expect(0, ids["web"][:12]+"\n"+ids["db"][:12]+"\n", "ps", "-q")
	e.expect(0, ids["fail"]+"\n", "ps", "-aq", "--no-trunc", "-f", "exited=3")
	out := e.ok(nil, "ps", "--no-trunc", "-f", "name=web")
	assert.Contains(t, out, ids["web"]+"   child:1   \"sleep 300\"   ")

	// The default table, and -s.
	out = e.ok(nil, "ps", "-a", "-f", "name=job")
	assert.Regexp(t, `^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n`+
		ids["job"][:12]+`\s+busybox\s+"sh -c 'head -c 5000…"\s+\S.* ago\s+Exited \(0\) \S.* ago\s+job\n$`, out)
	out = e.ok(nil, "ps", "-s", "-a", "-f", "name=job")
	assert.Regexp(t, `^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\s+SIZE\n`, out)
	assert.Regexp(t, `\s+job\s+5kB \(virtual [0-9.]+[kM]B\)\n$`, out, "the file the container wrote")
	out = e.ok(nil, "ps", "-s", "-f", "name=web")
	assert.Regexp(t, `\s0\.0\.0\.0:8080->80/tcp\s+web\s+0B \(virtual [0-9.]+[kM]B\)\n$`, out, "PORTS")
}

// TestCLIPsFormat checks ps --format: docker's fields, the table
// directive with docker's column names, json.
func TestCLIPsFormat(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "create", "--name", "c1", "-l", "b=2", "-l", "a=1", "-v", "vol1:/v", "--network", "none",
		"busybox", "sh", "-c", "echo 'a long command line'")
	id := strings.TrimSpace(e.ok(nil, "inspect", "-f", "{{.Id}}", "c1"))

	e.expect(0, id[:12]+"|busybox|c1|created|Created|a=1,b=2|1|2|vol1|none|1\n", "ps", "-a", "--format",
		`{{.ID}}|{{.Image}}|{{.Names}}|{{.State}}|{{.Status}}|{{.Labels}}|{{.Label "a"}}|{{.Label "b"}}|{{.Mounts}}|{{.Networks}}|{{.LocalVolumes}}`)
	// COMMAND: quoted, args with spaces in single quotes, 20 characters.
	e.expect(0, `"sh -c 'echo 'a long…"`+"\n", "ps", "-a", "--format", "{{.Command}}")
	e.expect(0, `"sh -c 'echo 'a long command line''"`+"\n", "ps", "-a", "--no-trunc", "--format", "{{.Command}}")
	// .Size asks for the sizes.
	assert.Regexp(t, `^0B \(virtual [0-9.]+[kM]B\)\n$`, e.ok(nil, "ps", "-a", "--format", "{{.Size}}"))
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+\|(Less than a second|\d+ seconds?) ago\n$`,
		e.ok(nil, "ps", "-a", "--format", "{{.CreatedAt}}|{{.RunningFor}}"))
	// \t in the format is a tab; table adds docker's header.
	e.expect(0, "c1\tcreated\n", "ps", "-a", "--format", `{{.Names}}\t{{.State}}`)
	out := e.ok(nil, "ps", "-a", "--format", `table {{.Names}}\t{{.State}}\t{{.Label "a"}}\t{{upper .Networks}}`)
	assert.Regexp(t, `^NAMES\s+STATE\s+LABEL\s+NETWORKS\nc1\s+created\s+1\s+NONE\n$`, out)
	out = e.ok(nil, "ps", "-a", "--format", `table {{.ID}}\t{{.CreatedAt}}\t{{.RunningFor}}\t{{.Ports}}\t{{.Size}}\t{{.Mounts}}\t{{.LocalVolumes}}\t{{.Labels}}\t{{.Command}}\t{{.Image}}\t{{.Status}}`)
	assert.Regexp(t, `^CONTAINER ID\s+CREATED AT\s+CREATED\s+PORTS\s+SIZE\s+MOUNTS\s+LOCAL VOLUMES\s+LABELS\s+COMMAND\s+IMAGE\s+STATUS\n`, out)
	// An empty list still has its header; "table" alone is the default.
	assert.Regexp(t, `^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n$`, e.ok(nil, "ps", "--format", "table"))
	e.expect(0, "NAMES\n", "ps", "--format", "table {{.Names}}")
	// json: each container on a line, every field.
	var row map[string]string
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "ps", "-a", "--format", "json")), &row))
	assert.Equal(t, "c1", row["Names"])
	assert.Equal(t, id[:12], row["ID"])
	assert.Equal(t, `"sh -c 'echo 'a long…"`, row["Command"])
	assert.Equal(t, "a=1,b=2", row["Labels"])
	for _, k := range []string{"CreatedAt", "Image", "LocalVolumes", "Mounts", "Networks", "Ports", "RunningFor", "Size", "State", "Status"} {
		assert.Contains(t, row, k)
	}
	// A format that does not parse.
	_, errOut, code := e.dock(nil, "ps", "--format", "{{.Names")
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errOut, "dock: template parsing error: "), errOut)
	_, errOut, code = e.dock(nil, "ps", "-a", "--format", "{{.Nope}}")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "Nope")
	// When busybox names another image, IMAGE shows the container's
	// image's short ID.
	img := strings.TrimSpace(e.ok(nil, "inspect", "-f", "{{.Image}}", "c1"))
	e.ok(nil, "commit", "c1", "busybox")
	e.expect(0, regexp.MustCompile(`^sha256:`).ReplaceAllString(img, "")[:12]+"\n", "ps", "-a", "--format", "{{.Image}}")
}
