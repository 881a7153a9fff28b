package archive

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// benchTar is 5,000 small files (1-8 KiB) in 50 directories plus 4 files of
// 16 MiB: about 87 MiB. Mtimes are whole seconds, as in Docker's layers, so
// entries need no PAX header.
func benchTar(b testing.TB) []byte {
	var ents []tent
	small := strings.Repeat("x", 8<<10)
	for d := range 50 {
		ents = append(ents, dir(fmt.Sprintf("usr/share/d%02d/", d)))
		for i := range 100 {
			size := 1<<10 + (d*100+i)%(7<<10)
			ents = append(ents, reg(fmt.Sprintf("usr/share/d%02d/f%03d", d, i), small[:size]))
		}
	}
	big := strings.Repeat("0123456789abcdef", 1<<20)
	for i := range 4 {
		ents = append(ents, reg(fmt.Sprintf("big/%d", i), big))
	}
	for i := range ents {
		ents[i].hdr.ModTime = ents[i].hdr.ModTime.Truncate(time.Second)
	}
	return makeTar(b, ents...)
}

func BenchmarkApply(b *testing.B) {
	requireRoot(b)
	data := benchTar(b)
	base := os.Getenv("DOCK_BENCH_DIR")
	if base == "" {
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			base = "/dev/shm"
		}
	}
	tmp, err := os.MkdirTemp(base, "dock-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := fmt.Sprintf("%s/%d", tmp, i)
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Apply(context.Background(), dir, bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
}
