package dock

import (
	"fmt"
	"io"
	"strings"
)

// ParseDetachKeys reads Docker's detach keys (--detach-keys, the API's
// detachKeys): keys separated by commas, each a single character ("a",
// "X"), "ctrl-" (any case) with a letter or one of @ [ \ ] ^ _ (the
// control characters 0-31), or "DEL". Docker's default, ctrl-p,ctrl-q, is
// DefaultDetachKeys.
func ParseDetachKeys(s string) ([]byte, error) {
	var keys []byte
	for k := range strings.SplitSeq(s, ",") {
		switch {
		case len(k) == 1:
			keys = append(keys, k[0])
		case k == "DEL":
			keys = append(keys, 127)
		case len(k) == len("ctrl-x") && strings.EqualFold(k[:5], "ctrl-"):
			switch c := k[5]; {
			case 'a' <= c && c <= 'z':
				keys = append(keys, c-'a'+1)
			case 'A' <= c && c <= 'Z':
				keys = append(keys, c-'A'+1)
			case c == '@', '[' <= c && c <= '_':
				keys = append(keys, c-'@') // @ [ \ ] ^ _ are 0, 27-31
			default:
				return nil, fmt.Errorf("unknown character: '%s': %w", k, ErrInvalid)
			}
		default:
			return nil, fmt.Errorf("unknown character: '%s': %w", k, ErrInvalid)
		}
	}
	return keys, nil
}

// NewDetachReader returns a reader of r's bytes without the detach keys,
// Docker's escape proxy: the bytes that may begin the keys are held back
// until the next ones show they do not (then they pass, with what
// follows) or until all the keys came in a row (then Read returns
// ErrDetached, then and ever after, and they never pass). At r's end what
// was held back passes. keys must not be empty.
func NewDetachReader(r io.Reader, keys []byte) io.Reader {
	return &detachReader{r: r, keys: keys}
}

type detachReader struct {
	r       io.Reader
	keys    []byte
	matched int    // how many of keys the last bytes matched
	pending []byte // bytes to give before reading more
	err     error  // r's error, or ErrDetached, once seen
	buf     []byte
}

func (d *detachReader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 && d.err == nil {
		d.fill(len(p))
	}
	if len(d.pending) > 0 {
		n := copy(p, d.pending)
		d.pending = d.pending[n:]
		return n, nil
	}
	return 0, d.err
}

// fill reads up to n bytes from r into pending, holding those that may
// begin the keys.
func (d *detachReader) fill(n int) {
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	n, err := d.r.Read(d.buf[:n])
	for _, b := range d.buf[:n] {
		if b != d.keys[d.matched] && d.matched > 0 {
			// Not the keys after all: the held bytes are input, and
			// this byte may begin them again.
			d.pending = append(d.pending, d.keys[:d.matched]...)
			d.matched = 0
		}
		if b != d.keys[d.matched] {
			d.pending = append(d.pending, b)
			continue
		}
		if d.matched++; d.matched == len(d.keys) {
			d.err = ErrDetached
			return
		}
	}
	if err != nil {
		d.pending = append(d.pending, d.keys[:d.matched]...)
		d.matched = 0
		d.err = err
	}
}
