package dockerfile

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Lookup returns the value of a build variable (ARG or ENV) and whether it
// is set. A variable that is set may be empty.
type Lookup func(name string) (value string, ok bool)

// maxExpandDepth bounds the nesting of ${...} inside modifier words, so
// that hostile input cannot exhaust the stack.
const maxExpandDepth = 64

// maxPatternLen bounds the length, in runes, of a value that a pattern
// modifier (# % /) works on: matching is quadratic in it.
const maxPatternLen = 8 << 10

// maxExpandLen bounds the length of an expansion result (16 MiB).
const maxExpandLen = 16 << 20

// Expand performs the word expansion of the Dockerfile reference on one
// word, the way BuildKit's shell lexer does for FROM, ENV, ARG, LABEL,
// ADD, COPY, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL, ONBUILD and the
// flags of those instructions (RUN, CMD and ENTRYPOINT are left to the
// shell). White space is kept; quotes are removed.
//
//   - $name and ${name}; a "$" not followed by a name or "{" is literal,
//     so "$$" stays "$$".
//   - ${name:-word} word if unset or empty; ${name-word} word if unset.
//   - ${name:+word} word if set and not empty, else ""; ${name+word} word
//     if set.
//   - ${name:?msg} error "name: msg" if unset or empty; ${name?msg} if
//     unset. Without msg the error says "is not allowed to be unset" (or
//     "... empty").
//   - ${name#pat} ${name##pat} remove the shortest or longest prefix that
//     matches the shell pattern pat (*, ?, [...]); ${name%pat} ${name%%pat}
//     the same for suffixes.
//   - ${name/pat/repl} replaces the first longest match of pat,
//     ${name//pat/repl} every match. Pattern modifiers refuse values over
//     8 KiB, because matching is quadratic in the value's length.
//   - Words after a modifier are expanded themselves (${a:-${b}}).
//   - 'single quotes' are literal; inside "double quotes" $ expands and
//     the escape character escapes only ", $ and itself; outside quotes
//     the escape character makes the next character literal (\$ is "$").
//
// escape is the Dockerfile's escape character ('\\' or '`'); 0 means '\\'.
// lookup may be nil (every variable unset). Expand returns an error for
// bad syntax (unterminated quote or "${", unknown modifier) and for
// ${name?msg}.
func Expand(word string, lookup Lookup, escape rune) (string, error) {
	l := newLexer(word, lookup, escape)
	s, _, err := l.until("", 0)
	return s, err
}

// ExpandWords expands s like Expand and then splits it into words at
// white space that is outside quotes, including white space that an
// unquoted variable produced (BuildKit's ProcessWords). Quotes group:
// `a "b c" ”` is the three words "a", "b c" and "".
func ExpandWords(s string, lookup Lookup, escape rune) ([]string, error) {
	l := newLexer(s, lookup, escape)
	var (
		words []string
		cur   strings.Builder
		has   bool
	)
	flush := func() {
		if has {
			words = append(words, cur.String())
			cur.Reset()
			has = false
		}
	}
	for l.pos < len(l.s) {
		ch := l.s[l.pos]
		switch {
		case unicode.IsSpace(ch):
			l.pos++
			flush()
		case ch == '\'':
			v, err := l.single()
			if err != nil {
				return nil, err
			}
			cur.WriteString(v)
			has = true
		case ch == '"':
			v, err := l.double(0)
			if err != nil {
				return nil, err
			}
			cur.WriteString(v)
			has = true
		case ch == '$':
			v, err := l.dollar(0)
			if err != nil {
				return nil, err
			}
			for _, r := range v {
				if unicode.IsSpace(r) {
					flush()
					continue
				}
				cur.WriteRune(r)
				has = true
			}
		case ch == l.esc:
			l.pos++
			if l.pos < len(l.s) {
				cur.WriteRune(l.s[l.pos])
				l.pos++
				has = true
			}
		default:
			l.pos++
			cur.WriteRune(ch)
			has = true
		}
		if cur.Len() > maxExpandLen {
			return nil, errTooLong
		}
	}
	flush()
	return words, nil
}

var errTooLong = errors.New("expansion result too long")

type lexer struct {
	s      []rune
	pos    int
	esc    rune
	lookup Lookup
	// rawQuotes makes quotes ordinary characters (here-documents).
	rawQuotes bool
}

func newLexer(s string, lookup Lookup, escape rune) *lexer {
	if escape == 0 {
		escape = '\\'
	}
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return &lexer{s: []rune(s), esc: escape, lookup: lookup}
}

// until processes text up to the end or to one of the unquoted runes in
// stops, which it consumes and returns. With stops set, reaching the end is
// an error.
func (l *lexer) until(stops string, depth int) (string, rune, error) {
	var b strings.Builder
	for l.pos < len(l.s) {
		ch := l.s[l.pos]
		var v string
		var err error
		switch {
		case strings.ContainsRune(stops, ch):
			l.pos++
			return b.String(), ch, nil
		case l.rawQuotes && (ch == '\'' || ch == '"'):
			l.pos++
			v = string(ch)
		case ch == '\'':
			v, err = l.single()
		case ch == '"':
			v, err = l.double(depth)
		case ch == '$':
			v, err = l.dollar(depth)
		case ch == l.esc:
			l.pos++
			if l.pos < len(l.s) {
				v = string(l.s[l.pos])
				l.pos++
			}
		default:
			l.pos++
			v = string(ch)
		}
		if err != nil {
			return "", 0, err
		}
		b.WriteString(v)
		if b.Len() > maxExpandLen {
			return "", 0, errTooLong
		}
	}
	if stops != "" {
		return "", 0, errors.New("syntax error: missing '}'")
	}
	return b.String(), 0, nil
}

func (l *lexer) single() (string, error) {
	l.pos++ // '
	start := l.pos
	for l.pos < len(l.s) {
		if l.s[l.pos] == '\'' {
			l.pos++
			return string(l.s[start : l.pos-1]), nil
		}
		l.pos++
	}
	return "", errors.New("unexpected end of statement while looking for matching single-quote")
}

func (l *lexer) double(depth int) (string, error) {
	l.pos++ // "
	var b strings.Builder
	for l.pos < len(l.s) {
		ch := l.s[l.pos]
		switch ch {
		case '"':
			l.pos++
			return b.String(), nil
		case '$':
			v, err := l.dollar(depth)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			if b.Len() > maxExpandLen {
				return "", errTooLong
			}
			continue
		}
		l.pos++
		if ch == l.esc && l.pos < len(l.s) {
			switch next := l.s[l.pos]; next {
			case '"', '$', l.esc:
				ch = next
				l.pos++
			}
		}
		b.WriteRune(ch)
	}
	return "", errors.New("unexpected end of statement while looking for matching double-quote")
}

func isNameStart(r rune) bool { return r == '_' || r < 128 && unicode.IsLetter(r) }
func isNameRune(r rune) bool  { return isNameStart(r) || r >= '0' && r <= '9' }

func (l *lexer) name() string {
	start := l.pos
	for l.pos < len(l.s) && isNameRune(l.s[l.pos]) {
		l.pos++
	}
	return string(l.s[start:l.pos])
}

func (l *lexer) dollar(depth int) (string, error) {
	l.pos++ // $
	if l.pos >= len(l.s) {
		return "$", nil
	}
	switch ch := l.s[l.pos]; {
	case ch == '{':
		l.pos++
		if depth >= maxExpandDepth {
			return "", errors.New("substitutions nested too deeply")
		}
		return l.brace(depth + 1)
	case isNameStart(ch):
		v, _ := l.lookup(l.name())
		return v, nil
	}
	return "$", nil
}

// brace handles ${...} after the "${".
func (l *lexer) brace(depth int) (string, error) {
	name := l.name()
	if l.pos >= len(l.s) {
		return "", errors.New("syntax error: missing '}'")
	}
	if name == "" {
		return "", fmt.Errorf("bad substitution: missing variable name in ${%c", l.s[l.pos])
	}
	op := l.s[l.pos]
	l.pos++
	colon := false
	if op == ':' {
		if l.pos >= len(l.s) {
			return "", errors.New("syntax error: missing '}'")
		}
		colon = true
		op = l.s[l.pos]
		l.pos++
		if op != '-' && op != '+' && op != '?' {
			return "", fmt.Errorf("unsupported modifier (:%c) in substitution", op)
		}
	}
	switch op {
	case '}':
		v, _ := l.lookup(name)
		return v, nil
	case '-', '+', '?':
		word, _, err := l.until("}", depth)
		if err != nil {
			return "", err
		}
		v, set := l.lookup(name)
		usable := set && (!colon || v != "")
		switch op {
		case '-':
			if usable {
				return v, nil
			}
			return word, nil
		case '+':
			if usable {
				return word, nil
			}
			return "", nil
		default:
			if usable {
				return v, nil
			}
			if word == "" {
				word = "is not allowed to be unset"
				if set {
					word = "is not allowed to be empty"
				}
			}
			return "", fmt.Errorf("%s: %s", name, word)
		}
	case '#', '%':
		longest := false
		if l.pos < len(l.s) && l.s[l.pos] == op {
			longest = true
			l.pos++
		}
		pat, _, err := l.until("}", depth)
		if err != nil {
			return "", err
		}
		v, _ := l.lookup(name)
		if len(v) > maxPatternLen {
			return "", fmt.Errorf("%s: value longer than %d bytes for pattern substitution", name, maxPatternLen)
		}
		if op == '#' {
			return trimPrefix(v, pat, longest), nil
		}
		return trimSuffix(v, pat, longest), nil
	case '/':
		all := false
		if l.pos < len(l.s) && l.s[l.pos] == '/' {
			all = true
			l.pos++
		}
		pat, stop, err := l.until("/}", depth)
		if err != nil {
			return "", err
		}
		repl := ""
		if stop == '/' {
			if repl, _, err = l.until("}", depth); err != nil {
				return "", err
			}
		}
		v, _ := l.lookup(name)
		if len(v) > maxPatternLen {
			return "", fmt.Errorf("%s: value longer than %d bytes for pattern substitution", name, maxPatternLen)
		}
		return replace(v, pat, repl, all), nil
	}
	return "", fmt.Errorf("unsupported modifier (%c) in substitution", op)
}

func trimPrefix(v, pat string, longest bool) string {
	s, p := []rune(v), []rune(pat)
	if longest {
		for i := len(s); i >= 0; i-- {
			if globMatch(p, s[:i]) {
				return string(s[i:])
			}
		}
		return v
	}
	for i := 0; i <= len(s); i++ {
		if globMatch(p, s[:i]) {
			return string(s[i:])
		}
	}
	return v
}

func trimSuffix(v, pat string, longest bool) string {
	s, p := []rune(v), []rune(pat)
	if longest {
		for i := 0; i <= len(s); i++ {
			if globMatch(p, s[i:]) {
				return string(s[:i])
			}
		}
		return v
	}
	for i := len(s); i >= 0; i-- {
		if globMatch(p, s[i:]) {
			return string(s[:i])
		}
	}
	return v
}

// replace substitutes the longest match of pat at the first position where
// it matches (all: at every following position too). Empty matches are
// not replaced, and an empty pattern changes nothing, as in bash.
func replace(v, pat, repl string, all bool) string {
	if pat == "" {
		return v
	}
	s, p := []rune(v), []rune(pat)
	var b strings.Builder
	i := 0
	for i < len(s) {
		end := -1
		for j := len(s); j > i; j-- {
			if globMatch(p, s[i:j]) {
				end = j
				break
			}
		}
		if end < 0 {
			b.WriteRune(s[i])
			i++
			continue
		}
		b.WriteString(repl)
		i = end
		if !all {
			break
		}
	}
	b.WriteString(string(s[i:]))
	return b.String()
}

// globMatch reports whether s matches the shell pattern p: * any string,
// ? any rune, [abc] [a-z] [!a] [^a] a class; a "[" that starts no valid
// class is literal. It backtracks only to the last *, so it runs in
// O(len(p)*len(s)).
func globMatch(p, s []rune) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			case '[':
				if sx < len(s) {
					ok, n := matchClass(p[px:], s[sx])
					if n == 0 {
						ok, n = s[sx] == '[', 1
					}
					if ok {
						px += n
						sx++
						continue
					}
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if starPx >= 0 && starSx < len(s) {
			starSx++
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

// matchClass matches r against the class at the start of p ("[...]") and
// returns the class's width, or 0 if p does not start a valid class.
func matchClass(p []rune, r rune) (bool, int) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	matched := false
	first := true
	for i < len(p) {
		if p[i] == ']' && !first {
			return matched != negate, i + 1
		}
		first = false
		lo := p[i]
		i++
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi = p[i+1]
			i += 2
		}
		if lo <= r && r <= hi {
			matched = true
		}
	}
	return false, 0
}
