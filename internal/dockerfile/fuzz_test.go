package dockerfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func addCorpus(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParse checks that Parse never panics, returns either a tree or a
// *SyntaxError, is deterministic, and stays fast.
func FuzzParse(f *testing.F) {
	addCorpus(f, "testdata/parse/*.Dockerfile")
	addCorpus(f, "testdata/bad/*.Dockerfile")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			t.Skip("large inputs are covered by TestParseLimits")
		}
		start := time.Now()
		df, err := Parse(bytes.NewReader(data))
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Parse took %v on %d bytes", d, len(data))
		}
		var se *SyntaxError
		if err != nil {
			if !errors.As(err, &se) || df != nil {
				t.Fatalf("Parse = %v, %v, want nil and a *SyntaxError", df != nil, err)
			}
			return
		}
		if len(df.Stages) == 0 {
			t.Fatal("Parse succeeded with no stages")
		}
		df2, _ := Parse(bytes.NewReader(data))
		if !bytes.Equal(marshal(t, df), marshal(t, df2)) {
			t.Fatal("Parse is not deterministic")
		}
	})
}

// FuzzExpand checks that Expand and ExpandWords never panic and agree on
// whether the input is valid.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"${a:-${b}}", "${path##*/}", `"$x" '$y' \$z`, "${ab//X/y}", "${", "${a:?m}", "`$a", "${a/[/x}"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, backtick bool) {
		if len(s) > 4<<10 {
			t.Skip()
		}
		esc := '\\'
		if backtick {
			esc = '`'
		}
		start := time.Now()
		_, err1 := Expand(s, testLookup, esc)
		_, err2 := ExpandWords(s, testLookup, esc)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Expand took %v on %d bytes", d, len(s))
		}
		if (err1 == nil) != (err2 == nil) {
			t.Errorf("Expand(%q) error %v, ExpandWords error %v", s, err1, err2)
		}
		if err1 == nil && !strings.ContainsRune(s, '$') {
			// Without substitutions, expansion never grows the text
			// (invalid UTF-8 becomes U+FFFD, one rune for one byte).
			if got, _ := Expand(s, testLookup, esc); utf8.RuneCountInString(got) > utf8.RuneCountInString(s) {
				t.Errorf("Expand(%q) = %q, longer than its input", s, got)
			}
		}
	})
}
