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
// goldenEpoch on amd64, as dock computed it before it kept Docker's config
// extensions (Healthcheck, Shell, OnBuild). Images that use none of them
// must keep their IDs: a change here breaks every cache and reproducible
// build out there.
const goldenConfigID = "sha256:2443407636d8483e921e4730675cacb658cb9fcbf7a8ef8cd07b738563a58c8d"

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
