package reference

import (
	"regexp"
	"testing"
)

// Docker's grammar as regular expressions: the oracle of the hand-written
// checks of grammar.go.
var (
	domainOracle    = regexp.MustCompile(`^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$`)
	componentOracle = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagOracle       = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	idOracle        = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

var grammarSeeds = []string{
	"", "a", "A", "0", "-", ".", "_", "__", "___", "a-b", "a--b", "a.b", "a..b", "a_b", "a__b", "a___b",
	"a-", "-a", "a.", ".a", "a_", "_a", "a.-b", "a-.b", "ab.cd-ef.gh", "localhost", "localhost:5000",
	"localhost:", ":5000", "127.0.0.1:5000", "[::1]", "[::1]:5000", "[]", "[::1", "::1]", "[fe80::1%eth0]",
	"[G::1]", "example.com:80:90", "ex_ample.com", "EXAMPLE.com", "a:b", "x-.y", "latest", "v1.0-rc.1",
	".hidden", "-dash", "UPPER", "tag with space",
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"a\n", "\na", "é", "a\x00",
}

func checkGrammar(t *testing.T, s string) {
	t.Helper()
	for _, c := range []struct {
		name string
		got  bool
		want *regexp.Regexp
	}{
		{"isDomain", isDomain(s), domainOracle},
		{"isComponent", isComponent(s), componentOracle},
		{"isTag", isTag(s), tagOracle},
		{"isImageID", isImageID(s), idOracle},
	} {
		if want := c.want.MatchString(s); c.got != want {
			t.Errorf("%s(%q) = %v, the grammar says %v", c.name, s, c.got, want)
		}
	}
}

func TestGrammarMatchesRegexps(t *testing.T) {
	for _, s := range grammarSeeds {
		checkGrammar(t, s)
	}
}

func FuzzGrammar(f *testing.F) {
	for _, s := range grammarSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkGrammar(t, s) })
}
