package reference

// The grammar of references, checked by hand: compiling the equivalent
// regular expressions costs a program about 0.1 ms and 70 kB on its first
// Parse, which a "dock run" pays every time. grammar_test.go checks these
// against the regular expressions of Docker's grammar.

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isWord(c byte) bool { return isAlnum(c) || c == '_' }

func isHex(c byte) bool { return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c >= '0' && c <= '9' }

// isImageID: 64 lower-case hexadecimal digits.
func isImageID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isTag: a word character, then up to 127 word characters, dots and
// dashes.
func isTag(s string) bool {
	if len(s) == 0 || len(s) > 128 || !isWord(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isWord(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// isComponent: runs of lower-case alphanumerics separated by one ".", one
// "_", "__", or any run of "-".
func isComponent(s string) bool {
	i := 0
	for {
		start := i
		for i < len(s) && isLowerAlnum(s[i]) {
			i++
		}
		if i == start {
			return false // empty run: at the start, after a separator
		}
		if i == len(s) {
			return true
		}
		switch {
		case s[i] == '.':
			i++
		case s[i] == '_':
			i++
			if i < len(s) && s[i] == '_' {
				i++
			}
		case s[i] == '-':
			for i < len(s) && s[i] == '-' {
				i++
			}
		default:
			return false
		}
	}
}

// isDomain: host name labels (alphanumerics, with dashes inside) joined by
// single dots, or a bracketed IPv6 address (hex digits and colons), then an
// optional ":port" of digits.
func isDomain(s string) bool {
	host := s
	if i := lastColonAfterHost(s); i >= 0 {
		port := s[i+1:]
		if len(port) == 0 {
			return false
		}
		for j := range len(port) {
			if port[j] < '0' || port[j] > '9' {
				return false
			}
		}
		host = s[:i]
	}
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		inner := host[1 : len(host)-1]
		if len(inner) == 0 {
			return false
		}
		for j := range len(inner) {
			if c := inner[j]; !isHex(c) && c != ':' {
				return false
			}
		}
		return true
	}
	label := 0 // length of the current label
	for j := range len(host) {
		switch c := host[j]; {
		case isAlnum(c):
			label++
		case c == '-':
			if label == 0 {
				return false // a label cannot start with a dash
			}
			label++
		case c == '.':
			if label == 0 || host[j-1] == '-' {
				return false
			}
			label = 0
		default:
			return false
		}
	}
	return label > 0 && host[len(host)-1] != '-'
}

// lastColonAfterHost returns the index of the colon that starts a port:
// the last one, outside brackets; -1 if none.
func lastColonAfterHost(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ':':
			return i
		case ']':
			return -1
		}
	}
	return -1
}
