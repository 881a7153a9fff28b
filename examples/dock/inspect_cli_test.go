package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// TestCLIInspectDockerConfig: inspect shows HEALTHCHECK, SHELL and ONBUILD
// inside Config, as docker inspect does, with durations in nanoseconds;
// an image without them has none of the keys.
func TestCLIInspectDockerConfig(t *testing.T) {
	testutil.RequireRoot(t)
	e := newEnv(t)
	ctx := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(
		"FROM busybox\nSHELL [\"/bin/sh\", \"-ec\"]\nHEALTHCHECK --interval=5s --retries=2 CMD [\"true\"]\nONBUILD RUN true\n"), 0o644))
	e.ok(nil, "build", "-q", "-t", "hc", ctx)

	var info []struct {
		Config      map[string]json.RawMessage
		Healthcheck any
		Shell       any
		OnBuild     any
	}
	require.NoError(t, json.Unmarshal([]byte(e.ok(nil, "inspect", "hc", "busybox")), &info))
	require.Len(t, info, 2)
	hc := info[0]
	require.JSONEq(t, `{"Test":["CMD","true"],"Interval":5000000000,"Retries":2}`, string(hc.Config["Healthcheck"]))
	require.JSONEq(t, `["/bin/sh","-ec"]`, string(hc.Config["Shell"]))
	require.JSONEq(t, `["RUN true"]`, string(hc.Config["OnBuild"]))
	require.Nil(t, hc.Healthcheck, "only under Config")
	require.Nil(t, hc.Shell, "only under Config")
	require.Nil(t, hc.OnBuild, "only under Config")
	require.Contains(t, hc.Config, "Env", "the OCI fields stay in Config")
	for _, k := range []string{"Healthcheck", "Shell", "OnBuild"} {
		require.NotContains(t, info[1].Config, k)
	}
}
