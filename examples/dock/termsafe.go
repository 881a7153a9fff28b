package main

import (
	"io"
	"strconv"
	"unicode/utf8"
)

// A container's output must not drive the terminal of whoever reads its
// logs: escape sequences could set the window title and then report it
// back as typed input, write the clipboard (OSC 52), move the cursor and
// erase lines to hide or fake output, or reach a terminal's own features
// through DCS strings. docker logs copies them raw; dock logs, on a
// terminal, writes each control character escaped instead, as ps quotes a
// command (strconv.Quote: ESC shows as \x1b), keeping only what prints
// text the usual way:
//
//   - newline and tab;
//   - carriage return before a newline (a terminal's line end, what a
//     container with a tty writes); a lone one, which would let a line be
//     written over, is escaped;
//   - colours and text attributes (SGR, ESC [ digits ; m), which cannot
//     move the cursor or send anything back.
//
// Everything else below 0x20, DEL, the C1 controls (U+0080-U+009F, which
// some terminals read as ESC [ and its kin) and bytes that are not UTF-8
// are escaped. Output that goes to a pipe or a file is not touched: it
// stays byte for byte what the container wrote, as with docker. Each
// Write is escaped by itself, which suits Logs: it writes one log line
// per call.

// termSafeWriter escapes what would drive a terminal, as above.
type termSafeWriter struct {
	w   io.Writer
	buf []byte
}

func (t *termSafeWriter) Write(p []byte) (int, error) {
	t.buf = appendTermSafe(t.buf[:0], p)
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// maxSGR bounds the SGR sequences kept: a longer one is escaped.
const maxSGR = 64

func appendTermSafe(dst, p []byte) []byte {
	for i := 0; i < len(p); {
		b := p[i]
		switch {
		case b == '\n' || b == '\t' || b >= 0x20 && b < 0x7f:
			dst = append(dst, b)
			i++
			continue
		case b == '\r' && i+1 < len(p) && p[i+1] == '\n':
			dst = append(dst, b)
			i++
			continue
		case b == 0x1b:
			if n := sgrLen(p[i:]); n > 0 {
				dst = append(dst, p[i:i+n]...)
				i += n
				continue
			}
		case b >= utf8.RuneSelf:
			// size is 1 for a byte that is not UTF-8.
			r, size := utf8.DecodeRune(p[i:])
			if size > 1 && r > 0x9f {
				dst = append(dst, p[i:i+size]...)
				i += size
				continue
			}
			q := strconv.Quote(string(p[i : i+size]))
			dst = append(dst, q[1:len(q)-1]...)
			i += size
			continue
		}
		q := strconv.Quote(string(p[i : i+1]))
		dst = append(dst, q[1:len(q)-1]...)
		i++
	}
	return dst
}

// sgrLen returns the length of the SGR sequence (ESC [ then digits,
// semicolons and colons, then m) at the start of p, or 0.
func sgrLen(p []byte) int {
	if len(p) < 3 || p[1] != '[' {
		return 0
	}
	for i := 2; i < len(p) && i < maxSGR; i++ {
		switch c := p[i]; {
		case c == 'm':
			return i + 1
		case c >= '0' && c <= '9' || c == ';' || c == ':':
		default:
			return 0
		}
	}
	return 0
}
