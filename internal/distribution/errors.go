package distribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/opencontainers/go-digest"

	"github.com/go-dock/dock/internal/reference"
)

// Sentinel errors. Test for them with errors.Is: an *Error answers true
// for the one that its status code (or, for a status that says less, its
// first error code) maps to, and the checks this package makes itself wrap
// them with fmt.Errorf.
var (
	// ErrNotFound means the repository, manifest or blob does not exist
	// (404, MANIFEST_UNKNOWN, BLOB_UNKNOWN, NAME_UNKNOWN), or an index has
	// no manifest for the platform asked for.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized means the registry or its token server refused the
	// credentials, or asked for credentials that there are none of (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrDenied means the credentials were accepted but do not allow the
	// operation (403, DENIED).
	ErrDenied = errors.New("denied")
	// ErrUnsupported means the registry or its answer uses something this
	// package does not implement: schema1 manifests, unknown manifest media
	// types, an operation the registry refuses with 405 or UNSUPPORTED.
	ErrUnsupported = errors.New("unsupported")
	// ErrInvalid means bad input from the caller (a malformed digest,
	// reference or option) or an answer from the registry that lies or
	// breaks the protocol: a digest, size or media type that does not match
	// the bytes, an oversized manifest, malformed JSON, a refused redirect.
	ErrInvalid = errors.New("invalid")
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// ErrorDetail is one entry of the error body of the distribution spec:
// {"errors":[{"code":"MANIFEST_UNKNOWN","message":"...","detail":...}]}.
type ErrorDetail struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Detail  json.RawMessage `json:"detail,omitempty"`
}

// Error is an HTTP answer from a registry or a token server with an
// unexpected status. It keeps the status code and the error codes of the
// body (at most 64 KiB of which is read). Values are not modified after they
// are returned and may be shared between goroutines.
type Error struct {
	// Method and URL are the request's; the URL has no query (the query of
	// a redirect to blob storage holds signatures).
	Method string
	URL    string
	// StatusCode is the HTTP status.
	StatusCode int
	// Errors are the entries of the body when it is the spec's JSON.
	Errors []ErrorDetail
	// Text is the start of a body that is not the spec's JSON, with
	// control characters removed; empty otherwise.
	Text string
	// RetryAfter is the wait the Retry-After header asked for, or zero.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	for i, d := range e.Errors {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Errors)-i)
			break
		}
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		b.WriteString(sep + clean(d.Code, 64))
		if d.Message != "" {
			b.WriteString(": " + clean(d.Message, 256))
		}
	}
	if len(e.Errors) == 0 && e.Text != "" {
		b.WriteString(": " + e.Text)
	}
	return b.String()
}

// Is reports whether target is the sentinel this error maps to: by status
// first (401 ErrUnauthorized, 403 ErrDenied, 404 ErrNotFound, 405
// ErrUnsupported), else by the first error code that has a meaning here.
func (e *Error) Is(target error) bool { return target != nil && e.kind() == target }

func (e *Error) kind() error {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrDenied
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusMethodNotAllowed:
		return ErrUnsupported
	}
	for _, d := range e.Errors {
		switch d.Code {
		case "MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN":
			return ErrNotFound
		case "UNAUTHORIZED":
			return ErrUnauthorized
		case "DENIED":
			return ErrDenied
		case "UNSUPPORTED":
			return ErrUnsupported
		case "DIGEST_INVALID", "SIZE_INVALID", "MANIFEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
			"NAME_INVALID", "TAG_INVALID", "BLOB_UPLOAD_INVALID", "PAGINATION_NUMBER_INVALID", "RANGE_INVALID":
			return ErrInvalid
		}
	}
	return nil
}

// retryableStatus reports whether a request that got status may succeed
// when sent again: 408, 429 and the 5xx statuses other than 501 and 505.
func retryableStatus(status int) bool {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true
	case status == http.StatusNotImplemented, status == http.StatusHTTPVersionNotSupported:
		return false
	}
	return status >= 500 && status < 600
}

// newError reads (at most 64 KiB of) the body of resp, closes it and
// returns the *Error describing it.
func newError(resp *http.Response) *Error {
	e := &Error{StatusCode: resp.StatusCode}
	if req := resp.Request; req != nil {
		e.Method, e.URL = req.Method, redact(req.URL)
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	e.Errors, e.Text = parseErrorBody(body)
	return e
}

// parseErrorBody parses the spec's error body; a body that is not that
// JSON comes back as sanitized text of at most 512 bytes.
func parseErrorBody(body []byte) ([]ErrorDetail, string) {
	var v struct {
		Errors []ErrorDetail `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err == nil && len(v.Errors) > 0 {
		if len(v.Errors) > 100 {
			v.Errors = v.Errors[:100]
		}
		return v.Errors, ""
	}
	return nil, clean(string(body), 512)
}

// clean makes untrusted text safe to print: invalid UTF-8 and control
// characters become spaces, runs of space one, and the result is cut to
// about max bytes.
func clean(s string, max int) string {
	if len(s) > max*4 {
		s = s[:max*4]
	}
	s = strings.ToValidUTF8(s, " ")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r)
	}), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// parseRetryAfter reads a Retry-After value: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redact returns u without user info, query or fragment.
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return v.String()
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// checkDigest validates d with reference.Digest, the only way a digest may
// reach a URL; the error wraps ErrInvalid (and reference.ErrInvalid).
func checkDigest(d string) (digest.Digest, error) {
	v, err := reference.Digest(d)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return v, nil
}
