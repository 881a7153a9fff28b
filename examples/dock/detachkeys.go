package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// defaultDetachKeys is docker's ctrl-p ctrl-q.
var defaultDetachKeys = []byte{16, 17}

// parseDetachKeys reads docker's --detach-keys: keys separated by commas,
// each a single character ("a", "X") or "ctrl-" with one of a-z @ [ \ ]
// ^ _ (the control characters 0-31), or "DEL".
func parseDetachKeys(s string) ([]byte, error) {
	var keys []byte
	for _, k := range strings.Split(s, ",") {
		switch {
		case len(k) == 1:
			keys = append(keys, k[0])
		case k == "DEL":
			keys = append(keys, 127)
		case strings.HasPrefix(k, "ctrl-") && len(k) == len("ctrl-x"):
			c := k[len(k)-1]
			switch {
			case c >= 'a' && c <= 'z':
				keys = append(keys, c-'a'+1)
			case c == '@', c >= '[' && c <= '_':
				keys = append(keys, c-'@') // @ [ \ ] ^ _ are 0, 27-31
			default:
				return nil, fmt.Errorf("unknown character: '%s'", k)
			}
		default:
			return nil, fmt.Errorf("unknown character: '%s'", k)
		}
	}
	return keys, nil
}

// errDetached is what a detachReader returns once the keys were read:
// docker's words, which docker attach prints.
var errDetached = errors.New("read escape sequence")

// detachReader passes what r reads through, except the detach keys: the
// bytes that may start them are held back until they do not (then they
// pass, with what follows) or until all were read (then Read returns
// errDetached, and they never pass).
type detachReader struct {
	r       io.Reader
	keys    []byte
	matched int // how many of keys the input ended with so far
	out     []byte
}

func (d *detachReader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		buf := make([]byte, len(p))
		n, err := d.r.Read(buf)
		for _, b := range buf[:n] {
			if b == d.keys[d.matched] {
				d.matched++
				if d.matched == len(d.keys) {
					return d.flush(p), errDetached
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
					return d.flush(p), errDetached
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
