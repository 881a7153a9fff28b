package build

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactURLs(t *testing.T) {
	for in, want := range map[string]string{
		"ADD https://user:pw@host/x /y":         "ADD https://xxxxx@host/x /y",
		"ADD https://token@host/x /y":           "ADD https://xxxxx@host/x /y",
		"RUN curl http://a:b@h/ && echo x@y":    "RUN curl http://xxxxx@h/ && echo x@y",
		"ADD https://host/path@v1 /y":           "ADD https://host/path@v1 /y",
		"COPY a b":                              "COPY a b",
		"ADD http://u:p@h1/a http://u:p@h2/b /": "ADD http://xxxxx@h1/a http://xxxxx@h2/b /",
	} {
		require.Equal(t, want, redactURLs(in), "redactURLs(%q)", in)
	}
	u, err := url.Parse("https://user:pw@host/p?q=1")
	require.NoError(t, err)
	require.Equal(t, "https://xxxxx@host/p?q=1", redactURL(u))
}

func TestURLFileName(t *testing.T) {
	for in, want := range map[string]string{
		"http://h/a/b.tar.gz": "b.tar.gz",
		"http://h/a/b/":       "b",
		"http://h/":           "",
		"http://h":            "",
		"http://h/a/..":       "",
		"http://h/a%20b?x=1":  "a b",
	} {
		u, err := url.Parse(in)
		require.NoError(t, err)
		require.Equal(t, want, urlFileName(u), "urlFileName(%q)", in)
	}
}

func TestRemoteURL(t *testing.T) {
	for in, want := range map[string]error{
		"file.txt":                 nil,
		"dir/with:colon":           nil,
		"http://h/x":               nil,
		"HTTPS://h/x":              nil,
		"ftp://h/x":                ErrUnsupported,
		"git@github.com:a/b.git":   ErrUnsupported,
		"https://github.com/a.git": ErrUnsupported,
		"ssh://h/r":                ErrUnsupported,
		"http:///nohost":           ErrInvalid,
		"http://u:p@[::1/x":        ErrInvalid,
	} {
		u, err := remoteURL(in)
		if want == nil {
			require.NoError(t, err, in)
			continue
		}
		require.ErrorIs(t, err, want, in)
		require.Nil(t, u, in)
		require.NotContains(t, err.Error(), ":p@", in)
	}
}
