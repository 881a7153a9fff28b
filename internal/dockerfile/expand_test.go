package dockerfile

import (
	"slices"
	"strings"
	"testing"
)

var testVars = map[string]string{
	"name":  "world",
	"empty": "",
	"path":  "/usr/local/bin/app.tar.gz",
	"file":  "archive.tar.gz",
	"sp":    "a b  c",
	"ab":    "aXbXc",
	"star":  "x*y",
}

func testLookup(name string) (string, bool) {
	v, ok := testVars[name]
	return v, ok
}

func TestExpand(t *testing.T) {
	tests := []struct {
		in, want string
		esc      rune
		err      string // substring of the error, "" for none
	}{
		// plain references
		{in: "hello", want: "hello"},
		{in: "$name", want: "world"},
		{in: "${name}", want: "world"},
		{in: "x${name}y", want: "xworldy"},
		{in: "$name.txt", want: "world.txt"},
		{in: "$unset", want: ""},
		{in: "${unset}", want: ""},
		{in: "$$", want: "$$"},
		{in: "$", want: "$"},
		{in: "a$ b", want: "a$ b"},
		{in: "$1", want: "$1"},
		{in: "${name}${name}", want: "worldworld"},
		// :- and -
		{in: "${unset:-def}", want: "def"},
		{in: "${empty:-def}", want: "def"},
		{in: "${name:-def}", want: "world"},
		{in: "${unset-def}", want: "def"},
		{in: "${empty-def}", want: ""},
		{in: "${unset:-}", want: ""},
		{in: "${unset:-a b}", want: "a b"},
		// :+ and +
		{in: "${name:+alt}", want: "alt"},
		{in: "${empty:+alt}", want: ""},
		{in: "${unset:+alt}", want: ""},
		{in: "${empty+alt}", want: "alt"},
		{in: "${unset+alt}", want: ""},
		// :? and ?
		{in: "${name:?oops}", want: "world"},
		{in: "${unset:?must set it}", err: "unset: must set it"},
		{in: "${empty:?}", err: "empty: is not allowed to be empty"},
		{in: "${unset?}", err: "unset: is not allowed to be unset"},
		{in: "${empty?msg}", want: ""},
		// nesting
		{in: "${unset:-${name}}", want: "world"},
		{in: "${unset:-${empty:-${name}!}}", want: "world!"},
		{in: "${name:+[${name}]}", want: "[world]"},
		{in: `${unset:-"quoted }"}`, want: "quoted }"},
		// prefix and suffix removal
		{in: "${path#*/}", want: "usr/local/bin/app.tar.gz"},
		{in: "${path##*/}", want: "app.tar.gz"},
		{in: "${file%.*}", want: "archive.tar"},
		{in: "${file%%.*}", want: "archive"},
		{in: "${file#nomatch}", want: "archive.tar.gz"},
		{in: "${file%.[gt]z}", want: "archive.tar"},
		{in: "${file#?}", want: "rchive.tar.gz"},
		{in: "${unset#x}", want: ""},
		{in: "${file#${unset:-arch}}", want: "ive.tar.gz"},
		// replacement
		{in: "${ab/X/-}", want: "a-bXc"},
		{in: "${ab//X/-}", want: "a-b-c"},
		{in: "${ab//X}", want: "abc"},
		{in: "${ab/X*/!}", want: "a!"},
		{in: "${path//\\//_}", want: "_usr_local_bin_app.tar.gz"},
		{in: "${ab//[XY]/.}", want: "a.b.c"},
		{in: "${ab///x}", want: "aXbXc"},
		// quotes and escapes
		{in: `'$name'`, want: "$name"},
		{in: `"$name"`, want: "world"},
		{in: `"a \"b\" \$name \\ \x"`, want: `a "b" $name \ \x`},
		{in: `\$name`, want: "$name"},
		{in: `\${name}`, want: "${name}"},
		{in: `a\ b`, want: "a b"},
		{in: `trailing\`, want: "trailing"},
		{in: "`$name", esc: '`', want: "$name"},
		{in: `C:\path\$name`, esc: '`', want: `C:\path\world`},
		{in: "\"`\"\"", esc: '`', want: `"`},
		{in: `"${sp}"`, want: "a b  c"},
		// errors
		{in: "${name", err: "missing '}'"},
		{in: "${name:-x", err: "missing '}'"},
		{in: "${}", err: "bad substitution"},
		{in: "${name:=x}", err: "unsupported modifier (:=)"},
		{in: "${name^^}", err: "unsupported modifier (^)"},
		{in: "'open", err: "single-quote"},
		{in: `"open`, err: "double-quote"},
		{in: "${name:", err: "missing '}'"},
	}
	for _, tc := range tests {
		got, err := Expand(tc.in, testLookup, tc.esc)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Expand(%q) = %q, %v, want error containing %q", tc.in, got, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("Expand(%q) = %v, want %q", tc.in, err, tc.want)
		case tc.err == "" && got != tc.want:
			t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExpandNilLookup(t *testing.T) {
	if got, err := Expand("${a:-b}$c", nil, 0); err != nil || got != "b" {
		t.Errorf(`Expand("${a:-b}$c", nil) = %q, %v, want "b"`, got, err)
	}
}

func TestExpandWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a b  c", []string{"a", "b", "c"}},
		{`a "b c" ''`, []string{"a", "b c", ""}},
		{"$sp", []string{"a", "b", "c"}},
		{`"$sp"`, []string{"a b  c"}},
		{"x${sp}y", []string{"xa", "b", "cy"}},
		{`a\ b c`, []string{"a b", "c"}},
		{"$unset", nil},
		{"  ", nil},
		{"${unset:-1 2}", []string{"1", "2"}},
	}
	for _, tc := range tests {
		got, err := ExpandWords(tc.in, testLookup, '\\')
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ExpandWords(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := ExpandWords(`"x`, testLookup, '\\'); err == nil {
		t.Errorf(`ExpandWords("\"x") = nil error, want one`)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*c", "abbbc", true}, {"a*c", "abd", false},
		{"?", "", false}, {"?b", "ab", true}, {"[a-c]x", "bx", true}, {"[!a-c]x", "bx", false},
		{"[^a]", "b", true}, {"[", "[", true}, {"[]]", "]", true}, {"**a", "bba", true},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 60), false},
	}
	for _, tc := range tests {
		if got := globMatch([]rune(tc.p), []rune(tc.s)); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.want)
		}
	}
}
