package archive

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// escapeProbe is a host path that a seed tries to reach through "d -> /tmp".
const escapeProbe = "/tmp/dock-archive-fuzz-escape"

func FuzzApply(f *testing.F) {
	requireRoot(f)
	for _, seed := range [][]tent{
		{dir("etc/"), reg("etc/hosts", "x"), sym("l", "etc/hosts"), hlink("h", "etc/hosts")},
		{sym("d", "/tmp"), reg("d/dock-archive-fuzz-escape", "pwned")},
		{sym("d", "../.."), reg("d/x", "x"), reg("../../x", "x")},
		{sym("l", "/etc"), hlink("x", "l/shadow"), hlink("y", "../../etc/shadow")},
		{reg(".wh.", ""), reg(".wh..wh..opq", ""), reg("d/.wh.x", ""), reg(".wh...", "")},
		{devEnt("sda", 'b', 8, 0), devEnt("null", '3', 1, 3)},
		{dir("d/"), reg("d/f", "f"), sym("d", "/tmp"), reg("d/dock-archive-fuzz-escape", "g")},
	} {
		f.Add(makeTar(f, seed...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		j := newJail(t)
		for _, opt := range []Options{{MaxFiles: 200, MaxBytes: 1 << 20}, {MaxFiles: 200, MaxBytes: 1 << 20, PlainWhiteouts: true}} {
			_, _ = Apply(context.Background(), j.dir, bytes.NewReader(data), opt)
			j.check(t)
			_, err := os.Lstat(escapeProbe)
			require.ErrorIs(t, err, os.ErrNotExist, "Apply wrote %s on the host", escapeProbe)
		}
	})
}
