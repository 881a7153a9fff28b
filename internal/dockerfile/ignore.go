package dockerfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// ErrBadPattern is wrapped by the error ParseIgnore returns for a pattern
// that cannot be compiled.
var ErrBadPattern = filepath.ErrBadPattern

// Ignore is a parsed .dockerignore file. It is immutable and safe for
// concurrent use.
type Ignore struct {
	// Patterns are the cleaned patterns in file order; exceptions keep
	// their leading "!".
	Patterns []string
	rules    []ignoreRule
}

type ignoreRule struct {
	exclusion bool
	re        *regexp.Regexp
}

// ParseIgnore reads a .dockerignore file with Docker's rules (moby's
// ignorefile and patternmatcher):
//
//   - a line that starts with "#" is a comment; lines are trimmed of white
//     space and blank ones skipped; a UTF-8 byte-order mark is dropped;
//   - "!" makes an exception: a path it matches is included again;
//   - patterns are cleaned like filepath.Clean ("./a/" is "a", "a/../b" is
//     "b") and a leading "/" is dropped: paths are relative to the
//     context root;
//   - "*" matches any run of characters but "/", "?" one character but
//     "/", "[...]" a class, "\" escapes; "**" matches any number of
//     directories, zero included, and "**" at the end everything.
//
// Input larger than MaxSize is an error.
func ParseIgnore(r io.Reader) (*Ignore, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	if len(data) > MaxSize {
		return nil, errors.New("read .dockerignore: file larger than 10 MiB")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	m := &Ignore{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxSize+1)
	line := 0
	for sc.Scan() {
		line++
		pattern := sc.Text()
		if strings.HasPrefix(pattern, "#") {
			continue
		}
		pattern = strings.TrimSpace(pattern)
		if pattern == "" {
			continue
		}
		exclusion := pattern[0] == '!'
		if exclusion {
			pattern = strings.TrimSpace(pattern[1:])
		}
		if pattern != "" {
			pattern = path.Clean(filepath.ToSlash(pattern))
			if len(pattern) > 1 && pattern[0] == '/' {
				pattern = pattern[1:]
			}
		}
		re, err := compileIgnore(pattern)
		if err != nil {
			return nil, fmt.Errorf("parse .dockerignore line %d: %q: %w", line, pattern, err)
		}
		if exclusion {
			pattern = "!" + pattern
		}
		m.Patterns = append(m.Patterns, pattern)
		m.rules = append(m.rules, ignoreRule{exclusion: exclusion, re: re})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	return m, nil
}

// compileIgnore turns a cleaned pattern into an anchored regular
// expression, as patternmatcher does. Go's regexp runs in linear time.
func compileIgnore(pattern string) (*regexp.Regexp, error) {
	if _, err := filepath.Match(pattern, "."); err != nil {
		return nil, ErrBadPattern
	}
	var b strings.Builder
	b.WriteString("^")
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		ch := rs[i]
		switch {
		case ch == '*' && i+1 < len(rs) && rs[i+1] == '*':
			i++
			if i+1 < len(rs) && rs[i+1] == '/' {
				i++
			}
			if i+1 >= len(rs) {
				b.WriteString(".*")
			} else {
				b.WriteString("(.*/)?")
			}
		case ch == '*':
			b.WriteString("[^/]*")
		case ch == '?':
			b.WriteString("[^/]")
		case ch == '\\':
			if i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
			} else {
				b.WriteString(`\\`)
			}
		case ch == '[':
			// A class, validated by filepath.Match above: copy it,
			// translating "[!" into "[^".
			j := i + 1
			b.WriteString("[")
			if j < len(rs) && (rs[j] == '!' || rs[j] == '^') {
				b.WriteString("^")
				j++
			}
			for ; j < len(rs) && rs[j] != ']'; j++ {
				switch rs[j] {
				case '\\':
					if j+1 < len(rs) {
						j++
					}
					b.WriteString(regexp.QuoteMeta(string(rs[j])))
				case '-':
					b.WriteString("-")
				default:
					b.WriteString(regexp.QuoteMeta(string(rs[j])))
				}
			}
			b.WriteString("]")
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPattern, err)
	}
	return re, nil
}

// Matches reports whether path, relative to the build context root with
// "/" or the OS separator, is excluded from the context: the last pattern
// that matches the path or one of its parent directories decides, and it
// excludes unless it is an exception. A nil *Ignore matches nothing. The
// error is reserved; it is nil today.
func (m *Ignore) Matches(file string) (bool, error) {
	if m == nil {
		return false, nil
	}
	file = path.Clean(filepath.ToSlash(file))
	file = strings.TrimPrefix(file, "/")
	parent := path.Dir(file)
	var dirs []string
	if parent != "." {
		dirs = strings.Split(parent, "/")
	}
	matched := false
	for _, r := range m.rules {
		// An include cannot change a path already excluded, an
		// exception one that is not.
		if r.exclusion != matched {
			continue
		}
		match := r.re.MatchString(file)
		for i := 0; !match && i < len(dirs); i++ {
			match = r.re.MatchString(strings.Join(dirs[:i+1], "/"))
		}
		if match {
			matched = !r.exclusion
		}
	}
	return matched, nil
}
