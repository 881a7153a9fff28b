package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSecretFlag(t *testing.T) {
	f := filepath.Join(t.TempDir(), "s")
	require.NoError(t, os.WriteFile(f, []byte("x"), 0o600))
	t.Setenv("DOCK_CLI_SECRET", "y")
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"id=a,src=" + f, true},
		{"id=a,source=" + f + ",type=file", true},
		{"id=a,env=DOCK_CLI_SECRET", true},
		{"id=DOCK_CLI_SECRET", true},
		{"id=a,type=env,src=DOCK_CLI_SECRET", true},
		{"src=" + f, false},
		{"id=a,src=" + f + ",env=X", false},
		{"id=a,type=file", false},
		{"id=a,type=ssh,src=" + f, false},
		{"id=a,bogus=1", false},
		{"id=a,src", false},
	} {
		opt, err := secretFlag(c.in)
		require.Equal(t, c.ok, err == nil, "secretFlag(%q) = %v", c.in, err)
		require.Equal(t, c.ok, opt != nil, c.in)
	}
}
