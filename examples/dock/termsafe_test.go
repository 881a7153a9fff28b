package main

import (
	"strings"
	"testing"
)

func TestAppendTermSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text\n", "plain text\n"},
		{"tab\tand unicode: é ✓ \uFFFD\n", "tab\tand unicode: é ✓ \uFFFD\n"},
		{"tty line\r\n", "tty line\r\n"},
		{"over\rwrite\n", `over\rwrite` + "\n"},
		{"end\r", `end\r`},
		{"\x1b[31mred\x1b[0m \x1b[1;38;5;208mbold\x1b[m\n", "\x1b[31mred\x1b[0m \x1b[1;38;5;208mbold\x1b[m\n"},
		{"\x1b]0;title\x07", `\x1b]0;title\a`},
		{"\x1b]52;c;aGk=\x1b\\", `\x1b]52;c;aGk=\x1b\`},
		{"\x1b[2J\x1b[H\x1b[1A\x1b[K", `\x1b[2J\x1b[H\x1b[1A\x1b[K`},
		{"\x1bP+q544e\x1b\\", `\x1bP+q544e\x1b\`},
		{"\x1b[6n", `\x1b[6n`},
		{"\x1b[31", `\x1b[31`},
		{"\x1b", `\x1b`},
		{"\x00\x08\x7f", `\x00\b\x7f`},
		{"c1 \u009b2J \u0085", `c1 \u009b2J \u0085`},
		{"not utf-8 \x9b2J \xff", `not utf-8 \x9b2J \xff`},
		{"\x1b[" + strings.Repeat("1", 64) + "m", `\x1b[` + strings.Repeat("1", 64) + "m"}, // too long for SGR
	} {
		if got := string(appendTermSafe(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("appendTermSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
