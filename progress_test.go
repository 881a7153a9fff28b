package dock

import (
	"bytes"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// clockedReader serves its bytes chunk bytes at a time, and moves a fake
// clock by tick at each read.
type clockedReader struct {
	r     io.Reader
	chunk int
	clock *time.Time
	tick  time.Duration
}

func (c *clockedReader) Read(b []byte) (int, error) {
	*c.clock = c.clock.Add(c.tick)
	return c.r.Read(b[:min(len(b), c.chunk)])
}

// report is a Progress as TestProgressReaderRate sees it: when (on the
// fake clock, from its start) and what.
type report struct {
	at      time.Duration
	phase   Phase
	current int64
}

// readProgress reads size bytes through a progressReader in phase, chunk
// bytes per read and tick of the fake clock per read, and returns what it
// reported.
func readProgress(t *testing.T, size int64, chunk int, tick time.Duration, phase Phase) []report {
	t.Helper()
	start := time.Unix(1e9, 0)
	clock := start
	var got []report
	lp := &layerPull{desc: ocispec.Descriptor{Digest: digest.FromString("blob"), Size: size}, o: &transferOptions{progress: func(p Progress) {
		got = append(got, report{clock.Sub(start), p.Phase, p.Current})
		if p.Total != size {
			t.Errorf("Progress.Total = %d, want %d", p.Total, size)
		}
	}}}
	src := &clockedReader{r: bytes.NewReader(make([]byte, size)), chunk: chunk, clock: &clock, tick: tick}
	pr := newProgressReader(src, nil, lp, phase)
	pr.now = func() time.Time { return clock }
	n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{pr}, make([]byte, 256<<10))
	if n != size || err != nil {
		t.Fatalf("read %d bytes, %v; want %d", n, err, size)
	}
	return got
}

// The bytes of a transfer are reported as Docker's daemon reports them:
// after 1% of the blob or 512 KiB, whichever is less, at most every 100
// ms, and the last bytes always; a download's end as PhaseVerifying.
func TestProgressReaderRate(t *testing.T) {
	t.Run("clock stopped", func(t *testing.T) {
		// However many bytes pass, no second report before 100 ms but
		// the end's.
		got := readProgress(t, 10<<20, 64<<10, 0, PhaseDownloading)
		want := []report{{0, PhaseDownloading, 128 << 10}, {0, PhaseDownloading, 10 << 20}, {0, PhaseVerifying, 10 << 20}}
		if !slices.Equal(got, want) {
			t.Errorf("reports = %v, want %v", got, want)
		}
	})
	t.Run("10 ms a read", func(t *testing.T) {
		// 160 reads of 64 KiB, 1.6 s: a report when 1% (104,857
		// bytes) has passed and 100 ms since the last, so at the 2nd
		// read, the 12th, ..., the 152nd (16), and the end.
		got := readProgress(t, 10<<20, 64<<10, 10*time.Millisecond, PhaseUploading)
		if len(got) != 17 {
			t.Fatalf("%d reports, want 17: %v", len(got), got)
		}
		for i, r := range got {
			wantAt := time.Duration(20+100*i) * time.Millisecond
			wantCur := int64(2+10*i) << 16
			if i == 16 {
				wantAt, wantCur = 1600*time.Millisecond, 10<<20
			}
			if r != (report{wantAt, PhaseUploading, wantCur}) {
				t.Errorf("report %d = %v, want {%v %s %d}", i, r, wantAt, PhaseUploading, wantCur)
			}
		}
	})
	t.Run("large blob", func(t *testing.T) {
		// 512 KiB, not 1%, between two reports of a blob over 50 MiB:
		// reads of 256 KiB, 1 s apart, report every second read.
		got := readProgress(t, 64<<20, 256<<10, time.Second, PhaseUploading)
		if len(got) != 128 {
			t.Fatalf("%d reports, want 128", len(got))
		}
		for i, r := range got {
			if want := int64(i+1) << 19; r.current != want {
				t.Fatalf("report %d: %d bytes, want %d", i, r.current, want)
			}
		}
	})
	t.Run("tiny blob", func(t *testing.T) {
		got := readProgress(t, 50, 64<<10, 0, PhaseDownloading)
		want := []report{{0, PhaseDownloading, 50}, {0, PhaseVerifying, 50}}
		if !slices.Equal(got, want) {
			t.Errorf("reports = %v, want %v", got, want)
		}
	})
}
