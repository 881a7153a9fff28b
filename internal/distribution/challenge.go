package distribution

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// challenge is one challenge of a WWW-Authenticate header (RFC 7235):
// a scheme with either auth-params or a token68.
type challenge struct {
	scheme  string            // lower-case: "bearer", "basic"
	params  map[string]string // names lower-case
	token68 string
}

// maxChallengeParams bounds the params kept per challenge.
const maxChallengeParams = 64

// parseChallenges parses the values of WWW-Authenticate headers, each a
// comma-separated list of challenges:
//
//	Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a:pull", Basic realm="x"
//
// Quoted strings may hold backslash escapes; unquoted values are taken up to
// the next comma or space (some registries do not quote URLs). Names are
// case-insensitive; the first of duplicate params wins. It returns the
// challenges parsed before any syntax error, with the error.
func parseChallenges(values []string) ([]challenge, error) {
	var out []challenge
	for _, v := range values {
		p := &chParser{s: v}
		for {
			p.skip(isSpaceOrComma)
			if p.i >= len(p.s) {
				break
			}
			ch, err := p.challenge()
			if err != nil {
				return out, err
			}
			out = append(out, ch)
		}
	}
	return out, nil
}

type chParser struct {
	s string
	i int
}

func (p *chParser) errorf(format string, args ...any) error {
	return invalidf("WWW-Authenticate at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *chParser) skip(f func(byte) bool) bool {
	start := p.i
	for p.i < len(p.s) && f(p.s[p.i]) {
		p.i++
	}
	return p.i > start
}

func (p *chParser) take(f func(byte) bool) string {
	start := p.i
	p.skip(f)
	return p.s[start:p.i]
}

func (p *chParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *chParser) challenge() (challenge, error) {
	scheme := p.take(isTchar)
	if scheme == "" {
		return challenge{}, p.errorf("want an auth scheme, found %q", p.s[p.i])
	}
	ch := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
	spaced := p.skip(isSpace)
	if p.i >= len(p.s) || p.peek() == ',' {
		return ch, nil
	}
	if !spaced {
		return ch, p.errorf("want a space after the scheme %q", scheme)
	}
	if t, ok := p.token68(); ok {
		ch.token68 = t
		p.skip(isSpace)
		if p.i < len(p.s) && p.peek() != ',' {
			return ch, p.errorf("want a comma after %q", t)
		}
		return ch, nil
	}
	for {
		name := p.take(isTchar)
		if name == "" {
			return ch, p.errorf("want a parameter name")
		}
		p.skip(isSpace)
		if p.peek() != '=' {
			return ch, p.errorf("want '=' after %q", name)
		}
		p.i++
		p.skip(isSpace)
		var value string
		if p.peek() == '"' {
			v, err := p.quoted()
			if err != nil {
				return ch, err
			}
			value = v
		} else {
			value = p.take(func(b byte) bool { return !isSpaceOrComma(b) && b != '"' })
		}
		name = strings.ToLower(name)
		if _, dup := ch.params[name]; !dup && len(ch.params) < maxChallengeParams {
			ch.params[name] = value
		}
		p.skip(isSpace)
		if p.i >= len(p.s) {
			return ch, nil
		}
		if p.peek() != ',' {
			return ch, p.errorf("want a comma after the parameter %q", name)
		}
		// After a comma comes either another parameter ("name =") or the
		// next challenge ("Scheme ...").
		p.skip(isSpaceOrComma)
		save := p.i
		if p.take(isTchar) == "" {
			p.i = save
			return ch, nil
		}
		p.skip(isSpace)
		isParam := p.peek() == '='
		p.i = save
		if !isParam {
			return ch, nil
		}
	}
}

// token68 reads a token68 ending at the end of input, a comma or spaces
// followed by those; it leaves p alone when there is none.
func (p *chParser) token68() (string, bool) {
	save := p.i
	if !p.skip(isToken68) {
		return "", false
	}
	p.skip(func(b byte) bool { return b == '=' })
	t := p.s[save:p.i]
	end := p.i
	p.skip(isSpace)
	if p.i >= len(p.s) || p.peek() == ',' {
		p.i = end
		return t, true
	}
	p.i = save
	return "", false
}

func (p *chParser) quoted() (string, error) {
	start := p.i
	p.i++ // the opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			return b.String(), nil
		case '\\':
			if p.i+1 >= len(p.s) {
				p.i = start
				return "", p.errorf("unterminated quoted string")
			}
			p.i++
			c = p.s[p.i]
		}
		b.WriteByte(c)
		p.i++
	}
	p.i = start
	return "", p.errorf("unterminated quoted string")
}

func isSpace(b byte) bool        { return b == ' ' || b == '\t' }
func isSpaceOrComma(b byte) bool { return isSpace(b) || b == ',' }

func isTchar(b byte) bool {
	return isAlnum(b) || strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}

func isToken68(b byte) bool { return isAlnum(b) || strings.IndexByte("-._~+/", b) >= 0 }

func isAlnum(b byte) bool {
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

// String formats ch so that parseChallenges reads it back to ch.
func (ch challenge) String() string {
	if ch.token68 != "" {
		return ch.scheme + " " + ch.token68
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(ch.params)) {
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(ch.params[k])
		parts = append(parts, k+`="`+v+`"`)
	}
	if len(parts) == 0 {
		return ch.scheme
	}
	return ch.scheme + " " + strings.Join(parts, ", ")
}

// pickChallenge chooses the challenge to answer among the headers: Bearer
// with a realm first, then Basic.
func pickChallenge(values []string) (challenge, bool) {
	chs, _ := parseChallenges(values) // what parsed before an error is usable
	for _, ch := range chs {
		if ch.scheme == "bearer" && ch.params["realm"] != "" {
			return ch, true
		}
	}
	for _, ch := range chs {
		if ch.scheme == "basic" {
			return ch, true
		}
	}
	return challenge{}, false
}
