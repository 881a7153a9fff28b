package dock

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/nettest"
	"github.com/go-dock/dock/internal/registrytest"
	"github.com/go-dock/dock/internal/testutil"
)

// manifestGets counts the manifest requests the proxy saw from n on.
func manifestGets(p *registrytest.Proxy, n int) int {
	count := 0
	for _, r := range p.Requests()[n:] {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.Path, "/manifests/") {
			count++
		}
	}
	return count
}

// TestBuildPullPolicy builds FROM, COPY --from and RUN --mount from= an
// image that is only in a (loopback) registry: never by default, pulled
// when missing, pulled again with PullAlways, once per build.
func TestBuildPullPolicy(t *testing.T) {
	testutil.RequireRoot(t)
	ctx := context.Background()
	reg := registrytest.Start(t)
	proxy := registrytest.NewProxy(t, reg, nil)
	src := testEngine(t)
	base := proxy.Host + "/library/busybox:v1"
	require.NoError(t, src.Tag(ctx, "busybox", base))
	if _, err := src.Push(ctx, base); err != nil {
		t.Fatal(err)
	}

	e := openTestEngine(t)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM " + base + "\n" +
		"COPY --from=" + base + " /bin/busybox /copied\n" +
		"RUN --mount=type=bind,from=" + base + ",source=/bin,target=/b test -x /b/busybox && echo ok > /mounted\n"})

	n := len(proxy.Requests())
	_, err := e.Build(ctx, dir)
	require.ErrorIs(t, err, ErrNotFound, "PullNever is the default")
	require.Zero(t, len(proxy.Requests())-n, "no request to the registry")
	noContainers(t, e)

	var steps []string
	n = len(proxy.Requests())
	img, err := e.Build(ctx, dir, BuildTag("app"), BuildPull(PullMissing),
		BuildProgress(func(s string) { steps = append(steps, s) }))
	require.NoError(t, err)
	require.Equal(t, 1, manifestGets(proxy, n), "one pull for the three uses")
	require.Contains(t, strings.Join(steps, "\n"), " ---> Pulling "+base)
	require.Equal(t, "ok\n", runOut(t, e, "app", "cat", "/mounted"))
	runOut(t, e, "app", "test", "-x", "/copied")

	// Present now: PullMissing does not ask the registry again, and the
	// build comes from the cache.
	n = len(proxy.Requests())
	again, err := e.Build(ctx, dir, BuildPull(PullMissing))
	require.NoError(t, err)
	require.Zero(t, manifestGets(proxy, n))
	require.Equal(t, img.ID, again.ID)

	// PullAlways asks again, once; the image did not change, so the
	// cache still holds.
	n = len(proxy.Requests())
	again, err = e.Build(ctx, dir, BuildPull(PullAlways))
	require.NoError(t, err)
	require.Equal(t, 1, manifestGets(proxy, n))
	require.Equal(t, img.ID, again.ID)

	// A registry that is gone fails PullAlways with the registry's error,
	// and leaves nothing behind.
	before, err := e.Images(ctx)
	require.NoError(t, err)
	require.NoError(t, e.Tag(ctx, base, "127.0.0.1:1/library/busybox:v1"))
	dir2 := buildContext(t, map[string]string{"Dockerfile": "FROM 127.0.0.1:1/library/busybox:v1\nRUN true\n"})
	_, err = e.Build(ctx, dir2, BuildPull(PullAlways), BuildTag("gone"))
	var be *BuildError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 1, be.Line)
	_, err = e.Image(ctx, "gone")
	require.ErrorIs(t, err, ErrNotFound)
	after, err := e.Images(ctx)
	require.NoError(t, err)
	require.Len(t, after, len(before))
	noContainers(t, e)

	_, err = e.Build(ctx, dir, BuildPull(PullPolicy(7)))
	require.ErrorIs(t, err, ErrInvalid)
}

// TestBuildNetwork: RUN steps have no network but loopback by default;
// BuildNetwork("host") and RUN --network=host give them the host's, and
// RUN --network=none takes it away again.
func TestBuildNetwork(t *testing.T) {
	nettest.Internet(t) // the host gets a link besides lo
	e := testEngine(t)
	ctx := context.Background()
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\n" +
		"RUN ls /sys/class/net > /default\n" +
		"RUN --network=host ls /sys/class/net > /host\n" +
		"RUN --network=none ls /sys/class/net > /none\n"})
	_, err := e.Build(ctx, dir, BuildTag("net"))
	require.NoError(t, err)
	require.Equal(t, "lo\n", runOut(t, e, "net", "cat", "/default"))
	require.Equal(t, "lo\n", runOut(t, e, "net", "cat", "/none"))
	require.NotEqual(t, "lo\n", runOut(t, e, "net", "cat", "/host"), "the host has more than loopback")

	_, err = e.Build(ctx, dir, BuildTag("net-host"), BuildNetwork("host"))
	require.NoError(t, err)
	require.NotEqual(t, "lo\n", runOut(t, e, "net-host", "cat", "/default"), "the build's network")
	require.Equal(t, "lo\n", runOut(t, e, "net-host", "cat", "/none"))

	_, err = e.Build(ctx, dir, BuildNetwork("container:x"))
	require.ErrorIs(t, err, ErrUnsupported)
	_, err = e.Build(ctx, dir, BuildNetwork("nonet"))
	require.ErrorIs(t, err, ErrNotFound)
	bad := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN --network=bridge true\n"})
	_, err = e.Build(ctx, bad)
	var be *BuildError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 2, be.Line)
	require.ErrorIs(t, err, ErrUnsupported)
	noContainers(t, e)
}

// TestBuildNetworkBridge: BuildNetwork("bridge") puts the RUN steps on
// the default bridge, as docker build does: a download from the (fake)
// internet works, and RUN --network=none still takes the network away;
// with the default network (none) the same download fails. A
// user-defined network works too, by name.
func TestBuildNetworkBridge(t *testing.T) {
	nettest.Internet(t)
	e := testEngine(t)
	ctx := context.Background()
	download := "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " + nettest.InternetIP.String() + " 80 > /resp; tail -n 1 /resp > /got; test -s /got"
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\n" +
		"RUN " + download + "\n" +
		"RUN --network=none ls /sys/class/net > /none\n"})
	_, err := e.Build(ctx, dir, BuildTag("bridged"), BuildNetwork("bridge"))
	require.NoError(t, err)
	require.Equal(t, nettest.HTTPBody, runOut(t, e, "bridged", "cat", "/got"))
	require.Equal(t, "lo\n", runOut(t, e, "bridged", "cat", "/none"))

	_, err = e.Build(ctx, dir, BuildTag("unbridged"))
	var be *BuildError
	require.ErrorAs(t, err, &be, "no network by default")
	require.Equal(t, 2, be.Line)
	require.NotZero(t, be.ExitCode)

	_, err = e.CreateNetwork(ctx, "buildnet")
	require.NoError(t, err)
	t.Cleanup(func() { e.RemoveNetwork(context.Background(), "buildnet") })
	_, err = e.Build(ctx, dir, BuildTag("usernet"), BuildNetwork("buildnet"), BuildNoCache())
	require.NoError(t, err)
	require.Equal(t, nettest.HTTPBody, runOut(t, e, "usernet", "cat", "/got"))
	noContainers(t, e)
}

// TestBuildRunLoopback: a RUN step's loopback is up, with the default
// network and with RUN --network=none, as in Docker's builds: ping and a
// TCP connection to 127.0.0.1 work.
func TestBuildRunLoopback(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	probe := `ip -o link show lo | grep -o '<[A-Z_,]*>' > /lo-$N; ping -c1 -W2 127.0.0.1 >/dev/null && echo ping >> /lo-$N; ` +
		`(timeout 5 nc -l -p 7000 > /got-$N & sleep 0.2; echo hi | nc -w 2 127.0.0.1 7000; wait) && cat /got-$N >> /lo-$N`
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\n" +
		"RUN N=default; " + probe + "\n" +
		"RUN --network=none N=none; " + probe + "\n"})
	_, err := e.Build(ctx, dir, BuildTag("loopback"))
	require.NoError(t, err)
	for _, n := range []string{"default", "none"} {
		require.Equal(t, "<LOOPBACK,UP,LOWER_UP>\nping\nhi\n", runOut(t, e, "loopback", "cat", "/lo-"+n), n)
	}
}
