package dock

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBuildHistory: each step's CreatedBy is what Docker's classic
// builder writes, which docker history shows: "#(nop)" behind the stage's
// shell for the steps that run nothing (two spaces, one for WORKDIR, COPY
// and ADD), the expanded values, Go's forms of the lists, COPY's sources
// by content; a RUN's command behind the build arguments it saw (not
// those without a value, nor those an ENV hides). ARG has its entry.
func TestBuildHistory(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	busybox, err := e.Image(ctx, "busybox")
	require.NoError(t, err)
	dir := buildContext(t, map[string]string{"f": "file\n", "Dockerfile": `FROM busybox
ARG WHO=nobody
ARG UNSET
ARG A=zzz
ENV A=1 B=two
LABEL l=1 "k 2"="v $A"
RUN echo $WHO > /who
RUN ["true"]
COPY f /f
COPY --chown=1:2 f Dockerfile /dir/
WORKDIR app
WORKDIR /
EXPOSE 80 $A/udp
VOLUME /data $B
USER 1000
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s CMD true
ENTRYPOINT ["sh"]
CMD echo hi
SHELL ["/bin/sh", "-ec"]
MAINTAINER me
ONBUILD RUN x
`})
	img, err := e.Build(ctx, dir, BuildArg("WHO", "tester"))
	require.NoError(t, err)
	var got []string
	for _, h := range img.History[len(busybox.History):] {
		got = append(got, h.CreatedBy)
	}
	nop := "/bin/sh -c #(nop)  "
	require.Len(t, got, 21, "%q", got)
	require.Equal(t, []string{
		nop + "ARG WHO=nobody",
		nop + "ARG UNSET",
		nop + "ARG A=zzz",
		nop + "ENV A=1 B=two",
		nop + "LABEL l=1 k 2=v 1",
		"|1 WHO=tester /bin/sh -c echo $WHO > /who",
		"|1 WHO=tester true",
		fmt.Sprintf("/bin/sh -c #(nop) COPY file:%x in /f ", sha256.Sum256([]byte("file\n"))),
		got[8], // below
		"/bin/sh -c #(nop) WORKDIR /app",
		"/bin/sh -c #(nop) WORKDIR /",
		nop + "EXPOSE 80 1/udp",
		nop + "VOLUME [/data two]",
		nop + "USER 1000",
		nop + "STOPSIGNAL SIGINT",
		nop + "HEALTHCHECK &{Test:[CMD-SHELL true] Interval:5s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}",
		nop + `ENTRYPOINT ["sh"]`,
		nop + `CMD ["/bin/sh" "-c" "echo hi"]`,
		"/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]",
		"/bin/sh -ec #(nop)  MAINTAINER me",
		"/bin/sh -ec #(nop)  ONBUILD RUN x",
	}, got)
	require.Regexp(t, `^/bin/sh -c #\(nop\) COPY --chown=1:2 multi:[0-9a-f]{64} in /dir/ $`, got[8])
}
