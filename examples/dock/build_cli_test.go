package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/go-dock/dock/internal/testutil"
)

// TestCLIBuild drives dock build as a docker user would: the classic
// builder's output, -q, -f - (the Dockerfile on stdin), --build-arg,
// --progress=tty on a rebuild, a failing RUN, and commit.
func TestCLIBuild(t *testing.T) {
	testutil.RequireRoot(t)
	e := newEnv(t)
	ctx := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(ctx, "hello.txt"), []byte("hello\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(
		"FROM busybox\nARG GREETING=hi\nRUN echo \"$GREETING\" > /greeting\nCOPY hello.txt /\nCMD [\"cat\", \"/greeting\", \"/hello.txt\"]\n"), 0o644))

	out := e.ok(nil, "build", "-t", "app:v1", "--build-arg", "GREETING=bonjour", "--progress=plain", ctx)
	for _, want := range []string{"Step 1/5 : FROM busybox\n", "Step 3/5 : RUN echo \"$GREETING\" > /greeting\n", "Successfully tagged app:v1\n"} {
		assert.Contains(t, out, want)
	}
	assert.Regexp(t, regexp.MustCompile(`(?m)^Successfully built [0-9a-f]{12}$`), out)
	assert.Regexp(t, regexp.MustCompile(`Step 3/5 : RUN echo "\$GREETING" > /greeting\n ---> Running in [0-9a-f]{12}\n ---> Removed intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n`), out)
	assert.Equal(t, "bonjour\nhello\n", e.ok(nil, "run", "--rm", "app:v1"))

	// -q prints the ID only; the same build again comes from the cache.
	id := strings.TrimSpace(e.ok(nil, "build", "-q", "--build-arg", "GREETING=bonjour", ctx))
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, id)
	inspect := e.ok(nil, "inspect", "app:v1")
	assert.Contains(t, inspect, id)

	// --progress=tty: each step's line ends with CACHED or its time.
	out = e.ok(nil, "build", "--progress=tty", "--build-arg", "GREETING=bonjour", ctx)
	assert.Contains(t, out, "RUN echo \"$GREETING\" > /greeting CACHED")
	assert.Contains(t, out, "(5 steps) FINISHED")

	// -f -: the Dockerfile from stdin, the context from the argument.
	out = e.ok([]byte("FROM busybox\nCOPY hello.txt /copied\n"), "build", "-q", "-t", "fromstdin", "-f", "-", ctx)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}\n$`, out)
	assert.Equal(t, "hello\n", e.ok(nil, "run", "--rm", "fromstdin", "cat", "/copied"))

	// A failing RUN: docker's message with the exit code, exit status 1,
	// no tag.
	_, errOut, code := e.dock([]byte("FROM busybox\nRUN exit 3\n"), "build", "-t", "broken", "-f", "-", ctx)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, ":2: RUN: command returned a non-zero code: 3")
	_, _, code = e.dock(nil, "inspect", "broken")
	assert.NotZero(t, code, "no image tagged broken")

	// --network host: the RUN steps see the host's interfaces (nettest's
	// host, given a link besides lo, wan0); by default they are on the
	// default bridge, as docker build's: a download works, and fails with
	// --network none.
	nettest.Internet(t)
	e.ok([]byte("FROM busybox\nRUN ls /sys/class/net > /nets\n"), "build", "-q", "-t", "hostnet", "--network", "host", "-f", "-", ctx)
	// (dock0 may be there too: the default bridge of the run above
	// lingers a second after its last container.)
	assert.Subset(t, strings.Fields(e.ok(nil, "run", "--rm", "hostnet", "cat", "/nets")), []string{"lo", "wan0"})
	download := []byte("FROM busybox\nRUN printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " + nettest.InternetIP.String() + " 80 > /resp; tail -n 1 /resp > /got; test -s /got\n")
	e.ok(download, "build", "-q", "-t", "downloaded", "-f", "-", ctx)
	assert.Equal(t, nettest.HTTPBody, e.ok(nil, "run", "--rm", "downloaded", "cat", "/got"))
	_, errOut, code = e.dock(download, "build", "--no-cache", "--network", "none", "-f", "-", ctx)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, ":2: RUN: command returned a non-zero code")
	_, errOut, code = e.dock([]byte("FROM busybox\n"), "build", "--network", "container:x", "-f", "-", ctx)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not supported")

	// commit: a container's change as an image.
	e.ok(nil, "run", "--name", "c1", "busybox", "sh", "-c", "echo committed > /c")
	cid := strings.TrimSpace(e.ok(nil, "commit", "--change", "CMD [\"cat\", \"/c\"]", "c1", "snap:v1"))
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, cid)
	assert.Equal(t, "committed\n", e.ok(nil, "run", "--rm", "snap:v1"))
}

// import -c parses its instructions as commit -c does (both with the
// build's parser): several variables in one ENV, quotes removed, EXPOSE
// and VOLUME.
func TestCLIImportChange(t *testing.T) {
	e := newEnv(t)
	tar := testutil.BusyboxTar(t)
	e.ok(tar, "import",
		"-c", "ENV A=1 B=2",
		"--change", `ENV Q="x y" R='z'`,
		"-c", `LABEL "k"="v w"`,
		"-c", "EXPOSE 80 53/udp",
		"-c", "VOLUME /data",
		"-c", "WORKDIR /tmp",
		"-c", `CMD echo "$A|$B|$Q|$R|$(pwd)"`,
		"-", "changed:1")
	e.expect(0, "1|2|x y|z|/tmp\n", "run", "--rm", "changed:1")
	out := e.ok(nil, "inspect", "changed:1")
	for _, want := range []string{`"80/tcp"`, `"53/udp"`, `"/data"`, `"v w"`} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect of the imported image has no %s:\n%s", want, out)
		}
	}
	// The volume: a container gets an anonymous one.
	e.ok(nil, "run", "--name", "v", "changed:1", "true")
	if vols := strings.Fields(e.ok(nil, "volume", "ls", "-q")); len(vols) != 1 {
		t.Errorf("volumes after a run of an image with VOLUME /data: %q, want one", vols)
	}
	// commit -c gives the same configuration from the same changes.
	e.ok(nil, "commit", "-c", "ENV A=1 B=2", "-c", `ENV Q="x y" R='z'`, "-c", `CMD echo "$A|$B|$Q|$R"`, "v", "committed:1")
	e.expect(0, "1|2|x y|z\n", "run", "--rm", "committed:1")
	// A refused instruction: docker's exit code, nothing imported.
	if _, errOut, code := e.dock(tar, "import", "-c", "RUN true", "-", "bad:1"); code != 1 || !strings.Contains(errOut, "RUN") {
		t.Errorf("import -c RUN: exit %d, stderr %q; want 1 and an error naming RUN", code, errOut)
	}
	e.expect(0, "", "images", "-q", "bad")
}
