package dockerfile

// HeredocMarker reports whether word, an argument of COPY or ADD in the
// shell form, is a here-document marker ("<<EOF", "<<-EOF", "<<'EOF'",
// `<<"EOF"`), and returns its delimiter. A word that starts like a marker
// but has more after it ("<<EOF>x") is not one.
func HeredocMarker(word string) (name string, ok bool) {
	m := heredocRe().FindStringSubmatch(word)
	if m == nil || m[2] != m[4] || m[0] != word {
		return "", false
	}
	return m[3], true
}

// ExpandHeredoc expands the variables of the content of a here-document
// whose delimiter was not quoted, as BuildKit does for COPY and ADD: like
// Expand, except that quotes are ordinary characters (they are kept), and
// the escape character is always the backslash whatever the Dockerfile's
// escape directive says ("\$" is a literal "$"; a backslash before any
// other character is removed, as in Expand).
func ExpandHeredoc(content string, lookup Lookup) (string, error) {
	l := newLexer(content, lookup, '\\')
	l.rawQuotes = true
	s, _, err := l.until("", 0)
	return s, err
}
