package build

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// ADD of a URL downloads the file, as docker does: the body is streamed to
// a temporary file in Host.TmpDir (never held in memory), hashed on the way
// for the step's cache key and for --checksum, and removed once the step
// is done, whatever happens. The requests go through a clone of
// http.DefaultTransport, so they use the proxy of the environment
// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY; never for loopback hosts), as the
// docker daemon's downloads do, and follow up to 10 redirects (Go's
// default). The build's ctx cancels them.

// urlSchemeRe matches a source that names a URL rather than a path.
var urlSchemeRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://`) })

// userinfoRe matches the user information of URLs in free text.
var userinfoRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s]*@`) })

// redacted is what replaces the user information (credentials) of a URL
// in errors, progress lines and the image history.
const redacted = "xxxxx"

// redactURLs hides the user information of the URLs in s.
func redactURLs(s string) string {
	return userinfoRe().ReplaceAllString(s, "${1}"+redacted+"@")
}

// redactURL is u as a string without its user information.
func redactURL(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = url.User(redacted)
	return c.String()
}

// remoteURL returns the URL that a source of COPY or ADD names, or nil
// when it is a path. Only http and https are downloaded; git repositories
// and other schemes are refused.
func remoteURL(src string) (*url.URL, error) {
	shown := redactURLs(src)
	if strings.HasPrefix(src, "git@") {
		return nil, fmt.Errorf("ADD of a git repository (%s): %w", shown, ErrUnsupported)
	}
	if !urlSchemeRe().MatchString(src) {
		return nil, nil
	}
	scheme := strings.ToLower(src[:strings.Index(src, ":")])
	switch {
	case scheme == "git" || strings.HasPrefix(scheme, "git+") || scheme == "ssh":
		return nil, fmt.Errorf("ADD of a git repository (%s): %w", shown, ErrUnsupported)
	case scheme != "http" && scheme != "https":
		return nil, fmt.Errorf("ADD of a URL of scheme %q (%s): %w: only http and https", scheme, shown, ErrUnsupported)
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		// url.Parse's error quotes the whole URL, credentials included.
		return nil, fmt.Errorf("%w: %s: not a valid URL", ErrInvalid, shown)
	}
	if strings.HasSuffix(u.Path, ".git") {
		return nil, fmt.Errorf("ADD of a git repository (%s): %w", shown, ErrUnsupported)
	}
	return u, nil
}

// urlFileName is the name of the file that ADD makes of u in a
// destination directory: the last element of its path, "" when it has
// none.
func urlFileName(u *url.URL) string {
	name := path.Base(u.Path)
	if name == "/" || strings.Trim(name, ".") == "" {
		return ""
	}
	return name
}

// fetched is a file that ADD downloaded into tmp/.
type fetched struct {
	path    string
	size    int64
	sum     [sha256.Size]byte
	modTime time.Time // from Last-Modified; zero without one
}

// newFetchClient returns the HTTP client of one build's downloads; its
// idle connections are closed when the build ends.
func newFetchClient() *http.Client {
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

// fetch downloads u into a new file of tmpDir. want, if set, is the
// digest the content must have (ADD --checksum). On error no file is
// left, and the error names u without its credentials.
func fetch(ctx context.Context, client *http.Client, tmpDir string, u *url.URL, want digest.Digest) (_ *fetched, retErr error) {
	shown := redactURL(u)
	defer func() {
		if retErr != nil {
			retErr = fmt.Errorf("download %s: %w", shown, retErr)
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errors.New("bad request") // its text would show the URL
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL it names: a redirect's may hold credentials
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 || resp.StatusCode == http.StatusPartialContent {
		if resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%s: %w", resp.Status, ErrNotFound)
		}
		return nil, fmt.Errorf("server answered %s", resp.Status)
	}

	f, err := os.CreateTemp(tmpDir, "build-add-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	w := []io.Writer{f, h}
	var check hash.Hash
	if want != "" {
		check = want.Algorithm().Hash()
		w = append(w, check)
	}
	n, err := io.Copy(io.MultiWriter(w...), resp.Body)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength && (err == nil || errors.Is(err, io.ErrUnexpectedEOF)) {
		return nil, fmt.Errorf("truncated body: %d of %d bytes: %w", n, resp.ContentLength, io.ErrUnexpectedEOF)
	}
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if want != "" {
		if got := digest.NewDigest(want.Algorithm(), check); got != want {
			return nil, fmt.Errorf("%w: checksum mismatch: got %s, want %s", ErrInvalid, got, want)
		}
	}
	out := &fetched{path: f.Name(), size: n}
	h.Sum(out.sum[:0])
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			out.modTime = t
		}
	}
	return out, nil
}
