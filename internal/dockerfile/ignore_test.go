package dockerfile

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestIgnore(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		included []string
		excluded []string
	}{
		{
			name:     "plain and comments",
			file:     "\xef\xbb\xbf# comment\n  \nnode_modules\n*.log\n  tmp  \n #not a comment\n",
			excluded: []string{"node_modules", "node_modules/x/y.js", "a.log", "tmp", "tmp/a", "#not a comment"},
			included: []string{"src/a.log", "src/node_modules", "README.md", "tmpfile"},
		},
		{
			name:     "double star",
			file:     "**/*.go\n**/testdata\ndocs/**\n",
			excluded: []string{"main.go", "a/b/c.go", "testdata", "x/y/testdata/z", "docs/a", "docs/a/b"},
			included: []string{"main.goo", "docs", "a/b.txt"},
		},
		{
			name:     "double star in middle",
			file:     "a/**/b\n",
			excluded: []string{"a/b", "a/x/b", "a/x/y/b", "a/x/b/c"},
			included: []string{"a", "b", "xa/b"},
		},
		{
			name:     "exceptions, last match wins",
			file:     "*.md\n!README.md\nREADME*.md\n!README-keep.md\n",
			excluded: []string{"CHANGES.md", "README.md", "README-x.md"},
			included: []string{"README-keep.md", "docs/CHANGES.md"},
		},
		{
			name:     "exception re-includes a subtree",
			file:     "docs\n!docs/public\n",
			excluded: []string{"docs", "docs/private/a"},
			included: []string{"docs/public", "docs/public/a/b"},
		},
		{
			name:     "exclude everything but",
			file:     "*\n!src\n!go.mod\nsrc/**/*_test.go\n",
			excluded: []string{"Makefile", "bin/app", "src/a/b_test.go"},
			included: []string{"src", "src/a/b.go", "go.mod"},
		},
		{
			name:     "leading slash, trailing slash, dot prefix",
			file:     "/build/\n./dist\nvendor/../out\n/\n",
			excluded: []string{"build", "build/x", "dist/a", "out"},
			included: []string{"a/build", "vendor/x"},
		},
		{
			name:     "question mark, class, escape",
			file:     "file?.txt\n[a-c].bin\n[!x]y\n\\*star\n",
			excluded: []string{"file1.txt", "b.bin", "zy", "*star"},
			included: []string{"file10.txt", "file/.txt", "d.bin", "xy", "astar"},
		},
		{
			name:     "paths given with ./ and leading /",
			file:     "secret\n",
			excluded: []string{"./secret", "/secret", "secret/", "a/../secret"},
			included: []string{"./public"},
		},
		{
			name:     "bang alone and with spaces",
			file:     "a*\n!   ab\n",
			excluded: []string{"a", "ac"},
			included: []string{"ab"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseIgnore(strings.NewReader(tc.file))
			if err != nil {
				t.Fatalf("ParseIgnore(%q) = %v", tc.file, err)
			}
			for _, p := range tc.excluded {
				if got, err := m.Matches(p); err != nil || !got {
					t.Errorf("Matches(%q) = %v, %v, want true (patterns %q)", p, got, err, m.Patterns)
				}
			}
			for _, p := range tc.included {
				if got, err := m.Matches(p); err != nil || got {
					t.Errorf("Matches(%q) = %v, %v, want false (patterns %q)", p, got, err, m.Patterns)
				}
			}
		})
	}
}

func TestIgnorePatterns(t *testing.T) {
	m, err := ParseIgnore(strings.NewReader("./a/\n!/b//c\n# x\n**/d/\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "!b/c", "**/d"}
	if !slices.Equal(m.Patterns, want) {
		t.Errorf("Patterns = %q, want %q", m.Patterns, want)
	}
}

func TestIgnoreBadPattern(t *testing.T) {
	for _, p := range []string{"[", "a[", "[a-", "x/[]"} {
		if _, err := ParseIgnore(strings.NewReader(p)); !errors.Is(err, ErrBadPattern) {
			t.Errorf("ParseIgnore(%q) = %v, want ErrBadPattern", p, err)
		}
	}
	var m *Ignore
	if got, err := m.Matches("x"); got || err != nil {
		t.Errorf("(*Ignore)(nil).Matches = %v, %v, want false, nil", got, err)
	}
}
