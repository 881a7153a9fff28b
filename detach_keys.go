package dock

import "io"

// detachReader passes what r reads through, except the detach keys: the
// bytes that may start them are held back until they do not (then they
// pass, with what follows) or until all were read (then Read returns
// ErrDetached, and they never pass).
type detachReader struct {
	r       io.Reader
	keys    []byte
	matched int // how many of keys the input ended with so far
	out     []byte
	buf     []byte
}

func (d *detachReader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if len(d.buf) < len(p) {
			d.buf = make([]byte, len(p))
		}
		n, err := d.r.Read(d.buf[:len(p)])
		for _, b := range d.buf[:n] {
			if b == d.keys[d.matched] {
				d.matched++
				if d.matched == len(d.keys) {
					return d.flush(p), ErrDetached
				}
				continue
			}
			// Not the keys after all: what was held back passes. The
			// byte may start them again.
			d.out = append(d.out, d.keys[:d.matched]...)
			d.matched = 0
			if b == d.keys[0] {
				d.matched = 1
				if len(d.keys) == 1 {
					return d.flush(p), ErrDetached
				}
				continue
			}
			d.out = append(d.out, b)
		}
		if err != nil {
			// The input ended: what was held back passes.
			d.out = append(d.out, d.keys[:d.matched]...)
			d.matched = 0
			if len(d.out) > 0 {
				return d.flush(p), nil // the error comes with the next Read
			}
			return 0, err
		}
	}
	return d.flush(p), nil
}

// flush moves what passes to p.
func (d *detachReader) flush(p []byte) int {
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n
}
