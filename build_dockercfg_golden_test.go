package dock

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// goldenConfigID is the image ID of goldenDockerfile built FROM scratch at
// goldenEpoch on amd64. Images that use none of Docker's config
// extensions (Healthcheck, Shell, OnBuild) kept their IDs when dock added
// them. A change here changes the ID of every image built from then on
// (a reproducible build gives another ID than before; the cached steps
// keep theirs): make it on purpose only. It changed once, when the
// history took the classic builder's CreatedBy ("/bin/sh -c #(nop)
// ENV ..." for "ENV ..."), so that docker history shows what Docker's
// shows; it was sha256:2443407636d8483e921e4730675cacb658cb9fcbf7a8ef8cd07b738563a58c8d.
const goldenConfigID = "sha256:fe524c4807ae7e18c0ca5ac63336c2f14fade5c0ddc56f72db169d4e5ce71a5d"

const goldenDockerfile = `FROM scratch
ENV A=1 B="two words"
LABEL org.example.k=v
COPY f /f
WORKDIR /w
USER 1000:1000
EXPOSE 80 53/udp
VOLUME /data
STOPSIGNAL SIGTERM
ENTRYPOINT ["/f"]
CMD ["x"]
MAINTAINER someone
`

var goldenEpoch = time.Unix(1700000000, 0)

func TestBuildConfigIDUnchanged(t *testing.T) {
	testutil.RequireRoot(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("the golden image ID is amd64's (the config names the architecture)")
	}
	e, err := Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	dir := buildContext(t, map[string]string{"Dockerfile": goldenDockerfile, "f": "f\n"})
	img, err := e.Build(context.Background(), dir, BuildSourceDateEpoch(goldenEpoch))
	require.NoError(t, err)
	require.Equal(t, goldenConfigID, img.ID)
}
