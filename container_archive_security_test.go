//go:build linux

package dock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock/internal/testutil"
)

// Security tests of the archive calls (docker cp): what a container holds
// must never lead a copy to the host's files, in either direction, and an
// archive from the caller must never write outside the directory it is
// extracted into.

// hostBait is a directory of the host, with a file, that a container's
// symlinks name: a copy that followed them on the host would read the file
// or write beside it.
func hostBait(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bait")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "secret"), []byte("host secret\n"), 0o600))
	return dir
}

// requireBaitUntouched fails if anything was written in the bait dir.
func requireBaitUntouched(t *testing.T, bait string) {
	t.Helper()
	ents, err := os.ReadDir(bait)
	require.NoError(t, err)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	require.Equal(t, []string{"secret"}, got, "the host directory %s was written", bait)
}

// TestSecurityCpContainerSymlinks: a container whose symlinks point at /,
// at the host's /etc/shadow, at a host directory or up with "..": every
// one is followed inside the container's root, copying out and in, for a
// stopped and a running container (CVE-2018-15664's symlinks, without
// the race).
func TestSecurityCpContainerSymlinks(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	bait := hostBait(t)
	script := `ln -s / /escape && ln -s /etc/shadow /shadow && ln -s ../../../../../.. /up &&
		ln -s ` + bait + ` /bait && ln -s ` + bait + `/secret /baitfile && mkdir /into`
	for _, running := range []bool{false, true} {
		t.Run(map[bool]string{false: "stopped", true: "running"}[running], func(t *testing.T) {
			var c *Container
			if running {
				c = runningContainer(t, e, Config{}, script)
			} else {
				c = exitedContainer(t, e, Config{}, script)
			}
			own, err := os.ReadFile(filepath.Join(testutil.BusyboxRootfs(t), "etc", "os-release"))
			require.NoError(t, err)

			st, err := c.StatPath(ctx, "/shadow")
			require.NoError(t, err)
			assert.Equal(t, "/etc/shadow", st.LinkTarget)
			_, _, err = c.ArchivePath(ctx, st.LinkTarget)
			assert.ErrorIs(t, err, ErrNotFound, "the image has no /etc/shadow: the host's must not be read")
			for _, p := range []string{"/escape/etc/os-release", "/up/etc/os-release", "/up/../../etc/os-release"} {
				_, rc, err := c.ArchivePath(ctx, p)
				require.NoError(t, err, p)
				ents := readTar(t, rc)
				require.Len(t, ents, 1, p)
				assert.Equal(t, string(own), ents[0].body, "%s: the container's file", p)
			}
			for _, p := range []string{"/bait/secret", "/baitfile/", "/bait/."} {
				_, _, err := c.ArchivePath(ctx, p)
				assert.ErrorIs(t, err, ErrNotFound, "%s: the host's directory must not be reached", p)
			}
			st, err = c.StatPath(ctx, "/baitfile")
			require.NoError(t, err)
			assert.Equal(t, bait+"/secret", st.LinkTarget, "a path of the container, which lacks it")

			// Into the container through its links: the container's
			// directories, or none.
			tarball := testutil.Tar(t, testutil.TarEntry{Name: "dropped", Body: "x"})
			require.NoError(t, c.ExtractToDir(ctx, "/escape/into", bytes.NewReader(tarball)))
			require.NoError(t, c.ExtractToDir(ctx, "/up/into", bytes.NewReader(tarball)))
			_, err = c.StatPath(ctx, "/into/dropped")
			assert.NoError(t, err)
			err = c.ExtractToDir(ctx, "/bait", bytes.NewReader(tarball))
			assert.ErrorIs(t, err, ErrNotFound)
			requireBaitUntouched(t, bait)
			_, err = os.Stat("/into")
			assert.ErrorIs(t, err, os.ErrNotExist, "the host's /into")
		})
	}
}

// TestSecurityCpHostileArchive extracts archives whose names climb out
// with "..", are absolute, go through symlinks of the archive or of the
// container pointing out, or hardlink to files outside: each is refused
// or lands inside the destination, and nothing is written elsewhere in the
// container or on the host.
func TestSecurityCpHostileArchive(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	bait := hostBait(t)
	c := exitedContainer(t, e, Config{}, `mkdir /dest && ln -s / /dest/rootlink && ln -s `+bait+` /dest/baitlink`)
	type ent = testutil.TarEntry
	for _, tc := range []struct {
		name    string
		entries []ent
		refused bool
		landed  []string // paths of the container that must then exist
	}{
		{"dotdot", []ent{{Name: "../../escaped", Body: "x"}}, true, nil},
		{"dotdot inside", []ent{{Name: "a/../../escaped", Body: "x"}}, true, nil},
		{"absolute", []ent{{Name: "/abs/x", Body: "x"}}, false, []string{"/dest/abs/x"}},
		{"symlink to root then write", []ent{
			{Name: "l", Typeflag: '2', Linkname: "/"},
			{Name: "l/etc/escaped", Body: "x"},
		}, false, []string{"/dest/etc/escaped"}},
		{"symlink up then write", []ent{
			{Name: "u", Typeflag: '2', Linkname: "../../../../.."},
			{Name: "u/escaped2", Body: "x"},
		}, false, []string{"/dest/escaped2"}},
		{"symlink to host dir then write", []ent{
			{Name: "b", Typeflag: '2', Linkname: bait},
			{Name: "b/escaped3", Body: "x"},
		}, false, []string{"/dest" + bait + "/escaped3"}},
		{"container's symlink to root", []ent{{Name: "rootlink/etc/escaped4", Body: "x"}}, false, []string{"/dest/etc/escaped4"}},
		{"container's symlink to host", []ent{{Name: "baitlink/escaped5", Body: "x"}}, false, []string{"/dest" + bait + "/escaped5"}},
		{"hardlink up", []ent{{Name: "h", Typeflag: '1', Linkname: "../../etc/passwd"}}, true, nil},
		{"hardlink to a file not in the archive", []ent{{Name: "h", Typeflag: '1', Linkname: "/etc/passwd"}}, true, nil},
		{"hardlink through a symlink", []ent{
			{Name: "s", Typeflag: '2', Linkname: "/etc"},
			{Name: "h", Typeflag: '1', Linkname: "s/passwd"},
		}, true, nil},
		{"device node", []ent{{Name: "null", Typeflag: '3'}}, true, nil},
		{"name over 4 KiB", []ent{{Name: strings.Repeat("d/", 2100) + "x", Body: "x"}}, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.ExtractToDir(ctx, "/dest", bytes.NewReader(testutil.Tar(t, tc.entries...)))
			if tc.refused {
				assert.ErrorIs(t, err, ErrInvalid)
			} else {
				assert.NoError(t, err)
			}
			for _, p := range tc.landed {
				_, err := c.StatPath(ctx, p)
				assert.NoError(t, err, "%s must be in the container", p)
			}
		})
	}
	changes, err := c.Changes(ctx)
	require.NoError(t, err)
	for _, ch := range changes {
		if ch.Path != "/dest" && !strings.HasPrefix(ch.Path, "/dest/") {
			t.Errorf("a hostile archive changed %s %s, outside /dest", ch.Kind, ch.Path)
		}
	}
	requireBaitUntouched(t, bait)
	for _, p := range []string{"/escaped", "/abs", "/etc/escaped", "/escaped2", "/etc/escaped4"} {
		_, err := os.Lstat(p)
		assert.ErrorIs(t, err, os.ErrNotExist, "host %s", p)
	}
}

// TestSecurityCpSymlinkSwapRace is CVE-2018-15664: while a copy runs, the
// container swaps a directory of the path with a symlink to a host
// directory, as fast as it can. Every copy must see the container's
// directory or nothing, and never read or write the host's.
func TestSecurityCpSymlinkSwapRace(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	bait := hostBait(t)
	c := runningContainer(t, e, Config{}, `(while :; do
		mkdir -p /w.d && echo container > /w.d/secret && mv -T /w.d /w
		rm -rf /w.d && ln -s `+bait+` /w.l && mv -T /w.l /w
	done) & true`)
	tarball := testutil.Tar(t, testutil.TarEntry{Name: "owned", Body: "x"})
	var sawDir, sawLink int
	for range 300 {
		_, rc, err := c.ArchivePath(ctx, "/w/secret")
		switch {
		case err == nil:
			ents := readTar(t, rc)
			require.Len(t, ents, 1)
			require.Equal(t, "container\n", ents[0].body, "a copy out read the host's file")
			sawDir++
		case errors.Is(err, ErrNotFound):
			sawLink++
		default:
			require.NoError(t, err)
		}
		err = c.ExtractToDir(ctx, "/w", bytes.NewReader(tarball))
		if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalid) {
			// The directory can vanish under the extraction.
			require.ErrorIs(t, err, os.ErrNotExist)
		}
		// The whole root while it changes: errors are expected ("changed
		// while reading"), escapes are not.
		if _, rc, err := c.ArchivePath(ctx, "/"); err == nil {
			io.Copy(io.Discard, rc)
			rc.Close()
		}
		requireBaitUntouched(t, bait)
	}
	t.Logf("the copies saw the directory %d times, the symlink %d times", sawDir, sawLink)
}
