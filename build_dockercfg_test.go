package dock

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// rawRuntimeConfig returns the "config" object of img's config blob as
// stored, field by field, unparsed: what docker inspect would read.
func rawRuntimeConfig(t *testing.T, e *Engine, img *Image) map[string]string {
	t.Helper()
	b, err := e.store.ReadBlob(digest.Digest(img.ID))
	require.NoError(t, err)
	var top struct{ Config map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(b, &top), string(b))
	out := map[string]string{}
	for k, v := range top.Config {
		out[k] = string(v)
	}
	return out
}

func TestBuildDockerConfig(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	build := func(dockerfile string, opts ...BuildOption) *Image {
		t.Helper()
		img, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": dockerfile}), opts...)
		require.NoError(t, err)
		return img
	}

	img := build(`FROM busybox
SHELL ["/bin/sh", "-e", "-c"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=1s --retries=2 \
  CMD ["wget", "-q", "http://127.0.0.1/"]
ONBUILD RUN echo trig > /trig
ONBUILD  COPY --chown=1:1 f /f
CMD serve now
`)
	raw := rawRuntimeConfig(t, e, img)
	require.Equal(t, `{"Test":["CMD","wget","-q","http://127.0.0.1/"],"Interval":30000000000,"Timeout":3000000000,"StartPeriod":5000000000,"StartInterval":1000000000,"Retries":2}`, raw["Healthcheck"])
	require.Equal(t, `["/bin/sh","-e","-c"]`, raw["Shell"])
	require.Equal(t, `["RUN echo trig \u003e /trig","COPY --chown=1:1 f /f"]`, raw["OnBuild"])
	require.Equal(t, `["/bin/sh","-e","-c","serve now"]`, raw["Cmd"], "the shell form of CMD goes through SHELL")
	require.Equal(t, &Healthcheck{Test: []string{"CMD", "wget", "-q", "http://127.0.0.1/"},
		Interval: 30 * time.Second, Timeout: 3 * time.Second, StartPeriod: 5 * time.Second,
		StartInterval: time.Second, Retries: 2}, img.Healthcheck)
	require.Equal(t, []string{"/bin/sh", "-e", "-c"}, img.Shell)
	require.Equal(t, []string{"RUN echo trig > /trig", "COPY --chown=1:1 f /f"}, img.OnBuild)

	// NONE replaces an earlier health check; options not given are left
	// out (docker's defaults), as docker writes them.
	img = build("FROM busybox\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n")
	require.Equal(t, `{"Test":["NONE"]}`, rawRuntimeConfig(t, e, img)["Healthcheck"])
	img = build("FROM busybox\nHEALTHCHECK CMD test -e /ok || exit 1\n")
	require.Equal(t, `{"Test":["CMD-SHELL","test -e /ok || exit 1"]}`, rawRuntimeConfig(t, e, img)["Healthcheck"])

	// An image without them has none of the keys.
	img = build("FROM busybox\nCMD [\"true\"]\n")
	raw = rawRuntimeConfig(t, e, img)
	for _, k := range []string{"Healthcheck", "Shell", "OnBuild"} {
		require.NotContains(t, raw, k)
	}
	require.Nil(t, img.Healthcheck)

	// The SHELL of a base image runs the shell form of the stage's RUN.
	build("FROM busybox\nSHELL [\"/bin/echo\", \"shell-says\"]\n", BuildTag("shellbase"))
	var out syncBuffer
	img = build("FROM shellbase\nRUN hello\nCMD run me\n", BuildOutput(&out))
	require.Equal(t, "shell-says hello\n", out.String())
	require.Equal(t, []string{"/bin/echo", "shell-says", "run me"}, img.Config.Cmd)
	require.Equal(t, []string{"/bin/echo", "shell-says"}, img.Shell, "inherited")
	noContainers(t, e)
}

func TestBuildOnBuildTriggers(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	base, err := e.Build(ctx, buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nONBUILD RUN echo trig > /trig\nONBUILD COPY f /from-child\nONBUILD ENV FROM_TRIGGER=yes\n",
		"f":          "base\n",
	}), BuildTag("parent"))
	require.NoError(t, err)
	require.Len(t, base.OnBuild, 3)

	// The triggers run right after FROM (the RUN sees their results), with
	// the child's context; the child's image does not inherit them.
	child := buildContext(t, map[string]string{
		"Dockerfile": "FROM parent\nRUN cat /trig /from-child > /both && echo $FROM_TRIGGER >> /both\n",
		"f":          "child\n",
	})
	var steps []string
	img, err := e.Build(ctx, child, BuildTag("child"), BuildProgress(func(s string) { steps = append(steps, s) }))
	require.NoError(t, err)
	require.Equal(t, "trig\nchild\nyes\n", runOut(t, e, "child", "cat", "/both"))
	require.Empty(t, img.OnBuild)
	require.NotContains(t, rawRuntimeConfig(t, e, img), "OnBuild")
	require.Equal(t, []string{"Step 1/2 : FROM parent", "Trigger 1/3 : RUN echo trig > /trig",
		"Trigger 2/3 : COPY f /from-child", "Trigger 3/3 : ENV FROM_TRIGGER=yes",
		"Step 2/2 : RUN cat /trig /from-child > /both && echo $FROM_TRIGGER >> /both"}, steps)
	require.Len(t, img.Layers, len(base.Layers)+3, "the trigger RUN and COPY and the child's RUN")

	// Again: cached; with a changed file in the child's context, the
	// trigger COPY copies the new one.
	steps = nil
	_, err = e.Build(ctx, child, BuildProgress(func(s string) { steps = append(steps, s) }))
	require.NoError(t, err)
	require.Contains(t, steps, cacheUsed)
	require.NoError(t, os.WriteFile(filepath.Join(child, "f"), []byte("changed\n"), 0o644))
	_, err = e.Build(ctx, child, BuildTag("child"))
	require.NoError(t, err)
	require.Equal(t, "trig\nchanged\nyes\n", runOut(t, e, "child", "cat", "/both"))

	// A grandchild runs no trigger: the child has none.
	steps = nil
	_, err = e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": "FROM child\n"}),
		BuildProgress(func(s string) { steps = append(steps, s) }))
	require.NoError(t, err)
	require.Equal(t, []string{"Step 1/1 : FROM child"}, steps)

	// The triggers of an earlier stage run in a stage FROM it.
	img, err = e.Build(ctx, buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox AS a\nONBUILD RUN touch /from-stage\nFROM a\nRUN test -e /from-stage\n",
	}), BuildTag("staged"))
	require.NoError(t, err)
	require.Empty(t, img.OnBuild)
	noContainers(t, e)
}

func TestBuildOnBuildTriggerErrors(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	_, err := e.Build(ctx, buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nONBUILD RUN echo ok\nONBUILD RUN exit 3\n",
	}), BuildTag("failing"))
	require.NoError(t, err, "ONBUILD only records the trigger")
	_, err = e.Build(ctx, buildContext(t, map[string]string{
		"Dockerfile": "# a child\nFROM failing\nRUN echo never\n",
	}), BuildTag("never"))
	var be *BuildError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 2, be.Line, "the FROM line")
	require.Equal(t, "RUN exit 3", be.Trigger)
	require.Equal(t, 3, be.ExitCode)
	require.Contains(t, err.Error(), "Dockerfile:2: ONBUILD trigger RUN exit 3: command returned a non-zero code: 3")
	_, err = e.Image(ctx, "never")
	require.ErrorIs(t, err, ErrNotFound)
	noContainers(t, e)

	// Triggers docker refuses, in configs dock would not write (another
	// tool's images): the parser's checks apply to them too.
	busybox, err := e.store.Resolve("busybox")
	require.NoError(t, err)
	for _, c := range []struct{ trigger, msg string }{
		{"FROM busybox", "FROM isn't allowed as an ONBUILD trigger"},
		{"MAINTAINER me", "MAINTAINER isn't allowed as an ONBUILD trigger"},
		{"ONBUILD RUN true", "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
		{"RUN true\nFROM scratch", "spans several lines"},
		{"BOGUS x", "unknown instruction"},
		{"", "ONBUILD"},
	} {
		t.Run(c.trigger, func(t *testing.T) {
			cfg := busybox.Config.Clone()
			cfg.Config.OnBuild = []string{c.trigger}
			_, err := e.store.Commit(ctx, busybox, nil, cfg, "badtrigger", nil)
			require.NoError(t, err)
			_, err = e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": "FROM badtrigger\n"}))
			var be *BuildError
			require.ErrorAs(t, err, &be)
			require.ErrorIs(t, err, ErrInvalid)
			require.Equal(t, 1, be.Line)
			require.Equal(t, c.trigger, be.Trigger)
			require.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestCommitDockerConfig(t *testing.T) {
	e := testStore(t)
	ctx := context.Background()
	_, err := e.Build(ctx, buildContext(t, map[string]string{
		"Dockerfile": "FROM busybox\nSHELL [\"/bin/sh\", \"-ec\"]\nHEALTHCHECK --retries=4 CMD true\nONBUILD RUN true\n",
	}), BuildTag("ext"))
	require.NoError(t, err)
	c, err := e.Create(ctx, Config{Image: "ext", Cmd: []string{"true"}})
	require.NoError(t, err)
	t.Cleanup(func() { c.Remove(ctx, RemoveForce()) })

	// Commit keeps them, with or without CommitConfig.
	for _, opts := range [][]CommitOption{nil, {CommitConfig(Image{}.Config)}} {
		img, err := c.Commit(ctx, "", opts...)
		require.NoError(t, err)
		require.Equal(t, &Healthcheck{Test: []string{"CMD-SHELL", "true"}, Retries: 4}, img.Healthcheck)
		require.Equal(t, []string{"/bin/sh", "-ec"}, img.Shell)
		require.Equal(t, []string{"RUN true"}, img.OnBuild)
	}

	// --change HEALTHCHECK replaces it, ONBUILD appends; SHELL is not a
	// change docker commit accepts.
	img, err := c.Commit(ctx, "", CommitChange("HEALTHCHECK --interval=1m CMD [\"check\"]"), CommitChange("ONBUILD COPY . /app"))
	require.NoError(t, err)
	require.Equal(t, `{"Test":["CMD","check"],"Interval":60000000000}`, rawRuntimeConfig(t, e, img)["Healthcheck"])
	require.Equal(t, []string{"RUN true", "COPY . /app"}, img.OnBuild)
	img, err = c.Commit(ctx, "", CommitChange("HEALTHCHECK NONE"))
	require.NoError(t, err)
	require.Equal(t, []string{"NONE"}, img.Healthcheck.Test)
	_, err = c.Commit(ctx, "", CommitChange(`SHELL ["/bin/bash", "-c"]`))
	require.ErrorIs(t, err, ErrInvalid)
	_, err = c.Commit(ctx, "", CommitChange("HEALTHCHECK --retries=x CMD true"))
	require.ErrorIs(t, err, ErrInvalid)
	_, err = c.Commit(ctx, "", CommitChange("ONBUILD FROM busybox"))
	require.ErrorIs(t, err, ErrInvalid)
}

// loadedConfig is the config of dockerArchive's image, as docker writes
// it: with Docker's fields, known (Healthcheck, Shell, OnBuild) and not
// (Hostname, container_config, docker_version), which dock drops when it
// re-marshals.
const loadedConfig = `{"architecture":"amd64","os":"linux","docker_version":"27.0.0",` +
	`"config":{"Hostname":"","Env":["PATH=/bin"],"Cmd":["sh"],` +
	`"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":5000000000,"StartInterval":2000000000,"Retries":7},` +
	`"OnBuild":["RUN echo loaded > /loaded"],"Shell":["/bin/sh","-ec"],"StopTimeout":9},` +
	`"container_config":{"Cmd":["/bin/sh"]},` +
	`"rootfs":{"type":"layers","diff_ids":["DIFFID"]}}`

// dockerArchive writes a "docker save" archive (the format before Docker
// 25) of one image: busybox's files with loadedConfig, tagged loaded:1.
func dockerArchive(t *testing.T) []byte {
	layer := testutil.BusyboxTar(t)
	cfg := strings.Replace(loadedConfig, "DIFFID", digest.FromBytes(layer).String(), 1)
	return testutil.Tar(t,
		testutil.TarEntry{Name: "config.json", Body: cfg},
		testutil.TarEntry{Name: "layer/layer.tar", Body: string(layer)},
		testutil.TarEntry{Name: "manifest.json", Body: `[{"Config":"config.json","RepoTags":["loaded:1"],"Layers":["layer/layer.tar"]}]`},
	)
}

// A loaded image's extensions survive a commit of a container of it and a
// build FROM it (whose changes stay, and which runs its trigger).
func TestLoadedDockerConfigKept(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	imgs, err := e.Load(ctx, bytes.NewReader(dockerArchive(t)))
	require.NoError(t, err)
	require.Len(t, imgs, 1)
	loaded := imgs[0]
	want := &Healthcheck{Test: []string{"CMD-SHELL", "true"}, Interval: 5 * time.Second, StartInterval: 2 * time.Second, Retries: 7}
	require.Equal(t, want, loaded.Healthcheck)
	require.Equal(t, []string{"/bin/sh", "-ec"}, loaded.Shell)
	require.Equal(t, []string{"RUN echo loaded > /loaded"}, loaded.OnBuild)
	raw, err := e.store.ReadBlob(digest.Digest(loaded.ID))
	require.NoError(t, err)
	require.Contains(t, string(raw), `"docker_version"`, "Load keeps the config blob as it came")

	c, err := e.Create(ctx, Config{Image: "loaded:1", Cmd: []string{"sh", "-c", "echo hi > /hi"}})
	require.NoError(t, err)
	t.Cleanup(func() { c.Remove(ctx, RemoveForce()) })
	require.NoError(t, c.Start(ctx))
	_, err = c.Wait(ctx)
	require.NoError(t, err)
	committed, err := c.Commit(ctx, "", CommitChange("ENV X=1"))
	require.NoError(t, err)
	require.Equal(t, want, committed.Healthcheck)
	require.Equal(t, loaded.Shell, committed.Shell)
	require.Equal(t, loaded.OnBuild, committed.OnBuild)
	require.Contains(t, committed.Config.Env, "X=1")
	raw, err = e.store.ReadBlob(digest.Digest(committed.ID))
	require.NoError(t, err)
	require.NotContains(t, string(raw), "docker_version", "fields dock does not model are dropped")
	require.NotContains(t, string(raw), "StopTimeout")

	built, err := e.Build(ctx, buildContext(t, map[string]string{"Dockerfile": "FROM loaded:1\nENV Y=2\nRUN test -e /loaded\n"}))
	require.NoError(t, err)
	require.Equal(t, want, built.Healthcheck)
	require.Equal(t, loaded.Shell, built.Shell)
	require.Empty(t, built.OnBuild, "the trigger ran; it is not inherited")
	require.Contains(t, built.Config.Env, "Y=2")
	require.Equal(t, `["/bin/sh","-ec"]`, rawRuntimeConfig(t, e, built)["Shell"])
}
