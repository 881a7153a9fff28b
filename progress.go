package dock

import (
	"io"
	"time"
)

// progressStep is the most bytes that pass between two reports of a
// transfer; a blob of less than 50 MiB is reported every 1% instead.
const progressStep = 512 << 10

// progressEvery is the shortest time between two reports of a blob's
// bytes, as in Docker's daemon: a client's bar moves at most ten times a
// second, so that neither the callback nor a client reading the Engine
// API's progress stream costs the transfer anything, however fast the
// network.
const progressEvery = 100 * time.Millisecond

// progressReader reports the bytes read through it as Docker's daemon
// does (its progress reader): after each progressStep bytes or 1% of the
// blob, whichever is less, at most once per progressEvery, and always the
// last bytes; then the end of a download as PhaseVerifying. Nothing is
// allocated per read.
type progressReader struct {
	r      io.Reader
	closer io.Closer
	lp     *layerPull
	phase  Phase
	step   int64     // bytes between two reports, at least
	n, at  int64     // bytes read; bytes at the last report
	sent   time.Time // when the last report was made; zero before the first
	now    func() time.Time
}

// newProgressReader reports, for lp, the bytes read from r in phase (a
// download or an upload). closer, if not nil, is closed by Close.
func newProgressReader(r io.Reader, closer io.Closer, lp *layerPull, phase Phase) *progressReader {
	step := min(progressStep, max(lp.desc.Size/100, 1))
	return &progressReader{r: r, closer: closer, lp: lp, phase: phase, step: step, now: time.Now}
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	end := err == io.EOF || p.n == p.lp.desc.Size
	if p.n != p.at && (end || p.n-p.at >= p.step && p.due()) {
		p.at = p.n
		p.lp.report(p.phase, p.n)
	}
	if err == io.EOF && p.phase == PhaseDownloading {
		p.lp.report(PhaseVerifying, p.n)
	}
	return n, err
}

// due reports whether progressEvery has passed since the last report,
// and if so counts this one as made.
func (p *progressReader) due() bool {
	now := p.now()
	if !p.sent.IsZero() && now.Sub(p.sent) < progressEvery {
		return false
	}
	p.sent = now
	return true
}

func (p *progressReader) Close() error {
	if p.closer == nil {
		return nil
	}
	return p.closer.Close()
}
