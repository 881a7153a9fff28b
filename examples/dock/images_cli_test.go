package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// imageRefs runs images with args and a format of REPOSITORY:TAG only,
// and returns them space-separated, in order.
func (e *env) imageRefs(args ...string) string {
	e.t.Helper()
	out := e.ok(nil, append([]string{"images", "--format", "{{.Repository}}:{{.Tag}}"}, args...)...)
	return strings.Join(strings.Fields(out), " ")
}

// TestCLIImagesListing checks images's flags and each --filter: busybox
// with two more tags, an image committed from it with a label, and a
// dangling one, newest first.
func TestCLIImagesListing(t *testing.T) {
	e := newEnv(t)
	e.ok(nil, "tag", "busybox", "mine:v1")
	e.ok(nil, "tag", "busybox", "mine:v2")
	e.ok(nil, "create", "--name", "c", "busybox", "true")
	app := strings.TrimSpace(e.ok(nil, "commit", "-c", "LABEL team=a", "c", "app:v1"))
	dangling := strings.TrimSpace(e.ok(nil, "commit", "c"))
	busybox := strings.TrimSpace(e.ok(nil, "images", "-q", "--no-trunc", "busybox"))
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, app)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, dangling)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, busybox)

	assert.Equal(t, "<none>:<none> app:v1 busybox:latest mine:v1 mine:v2", e.imageRefs())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mine"}, "mine:v1 mine:v2"},
		{[]string{"mine:v2"}, "mine:v2"},
		{[]string{"docker.io/library/busybox"}, "busybox:latest"},
		{[]string{"--filter", "reference=mine"}, "mine:v1 mine:v2"},
		{[]string{"--filter", "reference=*:v1"}, "app:v1 mine:v1"},
		{[]string{"--filter", "reference=busybox", "--filter", "reference=app"}, "app:v1 busybox:latest"},
		{[]string{"-f", "dangling=true"}, "<none>:<none>"},
		{[]string{"-f", "dangling=false"}, "app:v1 busybox:latest mine:v1 mine:v2"},
		{[]string{"-f", "label=team"}, "app:v1"},
		{[]string{"-f", "label=team=b"}, ""},
		{[]string{"-f", "label!=team"}, "<none>:<none> busybox:latest mine:v1 mine:v2"},
		{[]string{"-f", "before=app:v1"}, "busybox:latest mine:v1 mine:v2"},
		{[]string{"-f", "since=busybox"}, "<none>:<none> app:v1"},
		{[]string{"-f", "since=busybox", "-f", "dangling=false"}, "app:v1"},
		{[]string{"-a", "-f", "reference=*"}, "app:v1 busybox:latest mine:v1 mine:v2"},
	} {
		assert.Equal(t, tc.want, e.imageRefs(tc.args...), "images %q", tc.args)
	}

	// -q: an ID per row, the tags of one image included, as docker.
	e.expect(0, shortID(dangling)+"\n"+shortID(app)+"\n"+strings.Repeat(shortID(busybox)+"\n", 3), "images", "-q")
	e.expect(0, strings.Repeat(busybox+"\n", 2), "images", "-q", "--no-trunc", "mine")
	e.expect(0, shortID(app)+"\n", "images", "-q", "-f", "label=team=a")

	// The default table, --digests, --no-trunc.
	out := e.ok(nil, "images", "busybox")
	assert.Regexp(t, `^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+`+shortID(busybox)+`\s+\S.* ago\s+[0-9.]+[kM]B\n$`, out)
	out = e.ok(nil, "images", "--digests", "busybox")
	assert.Regexp(t, `^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+<none>\s+`+shortID(busybox)+`\s`, out)
	out = e.ok(nil, "images", "--no-trunc", "-f", "dangling=true")
	assert.Regexp(t, `^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n<none>\s+<none>\s+`+dangling+`\s`, out)

	// --format: docker's fields, table, json.
	out = e.ok(nil, "images", "--format", "{{.ID}}|{{.Repository}}|{{.Tag}}|{{.Digest}}|{{.Size}}|{{.CreatedSince}}|{{.CreatedAt}}", "app")
	assert.Regexp(t, `^`+shortID(app)+`\|app\|v1\|<none>\|[0-9.]+[kM]B\|(Less than a second|\d+ seconds?) ago\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+\n$`, out)
	out = e.ok(nil, "images", "--format", `table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Digest}}\t{{.CreatedSince}}\t{{.CreatedAt}}\t{{.Size}}`, "mine:v1")
	assert.Regexp(t, `^REPOSITORY\s+TAG\s+IMAGE ID\s+DIGEST\s+CREATED\s+CREATED AT\s+SIZE\nmine\s+v1\s+`+shortID(busybox)+`\s+<none>\s`, out)
	e.expect(0, "REPOSITORY\n", "images", "--format", "table {{.Repository}}", "nosuch")
	var row map[string]string
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "images", "--format", "json", "app")), &row))
	assert.Equal(t, map[string]string{"Repository": "app", "Tag": "v1", "ID": shortID(app), "Digest": "<none>"},
		map[string]string{"Repository": row["Repository"], "Tag": row["Tag"], "ID": row["ID"], "Digest": row["Digest"]})
	for _, k := range []string{"CreatedAt", "CreatedSince", "Size", "Containers", "SharedSize", "UniqueSize", "VirtualSize"} {
		assert.Contains(t, row, k)
	}

	// Filters docker refuses.
	for _, tc := range []struct {
		args   []string
		stderr *regexp.Regexp
	}{
		{[]string{"-f", "colour=red"}, regexp.MustCompile(`^dock: invalid filter 'colour'\n$`)},
		{[]string{"-f", "dangling=maybe"}, regexp.MustCompile(`^dock: invalid filter 'dangling=maybe'\n$`)},
		{[]string{"-f", "before=nosuch"}, regexp.MustCompile(`^dock: .*nosuch`)},
		{[]string{"-f", "reference=["}, regexp.MustCompile(`^dock: invalid filter 'reference=\[': syntax error in pattern\n$`)},
		{[]string{"-f", "dangling"}, regexp.MustCompile(`^invalid argument "dangling" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n`)},
	} {
		out, errOut, code := e.dock(nil, append([]string{"images"}, tc.args...)...)
		want := 1 // the engine's refusal
		if !strings.HasPrefix(tc.stderr.String(), "^dock: ") {
			want = 125 // a flag error, as docker's
		}
		assert.Equal(t, want, code, "images %q", tc.args)
		assert.Equal(t, "", out, "images %q", tc.args)
		assert.Regexp(t, tc.stderr, errOut, "images %q", tc.args)
	}
}
