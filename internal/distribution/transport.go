package distribution

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
)

// request is one HTTP request of the protocol, which do may send twice
// (again after a 401 with fresh credentials).
type request struct {
	method string
	url    *url.URL
	header http.Header
	// body opens the body for each send; nil means none. size is its
	// length (-1: unknown).
	body func() (io.ReadCloser, error)
	size int64
	// scopes are the token scopes the request needs.
	scopes []string
	// noAuth: never send credentials (foreign URLs).
	noAuth bool
}

// send makes one HTTP exchange of r with the Authorization header authz.
func (c *Client) send(ctx context.Context, r *request, authz string) (*http.Response, error) {
	var body io.ReadCloser
	if r.body != nil {
		var err error
		if body, err = r.body(); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		if body != nil {
			_ = body.Close()
		}
		return nil, invalidf("request %s: %v", redact(r.url), err)
	}
	if body != nil {
		req.ContentLength = r.size
		if r.size == 0 {
			req.Body, req.ContentLength = http.NoBody, 0
			_ = body.Close()
		}
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if authz != "" && !r.noAuth {
		req.Header.Set("Authorization", authz)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			if u, perr := url.Parse(ue.URL); perr == nil {
				ue.URL = redact(u)
			}
		}
		return nil, err
	}
	return resp, nil
}

// do sends r with the credentials known for its host. On a 401 to a
// request sent without credentials or with a cached token, it reads the
// challenge, gets fresh credentials (a new token, or Basic) and sends r once
// more; a 401 to fresh credentials is returned as it is: there is no 401
// loop. The response comes back whatever its status; the caller checks it.
func (c *Client) do(ctx context.Context, r *request) (*http.Response, error) {
	if r.noAuth {
		return c.send(ctx, r, "")
	}
	host := canonicalHost(r.url)
	authz, fresh, err := c.cachedAuthorization(ctx, r.url.Host, host, r.scopes)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, r, authz)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || fresh {
		return resp, err
	}
	ch, ok := pickChallenge(resp.Header.Values("WWW-Authenticate"))
	if !ok {
		return resp, nil
	}
	c.setChallenge(host, ch)
	next, err := c.authorize(ctx, r.url.Host, host, ch, r.scopes)
	if err != nil {
		discard(resp)
		return nil, err
	}
	if next == "" || next == authz {
		return resp, nil
	}
	discard(resp)
	return c.send(ctx, r, next)
}

// discard drains a little of resp's body, so that the connection can be
// reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}

// retryable reports whether err may go away when the operation is tried
// again: broken connections, timeouts, and *Error with status 408, 429 or
// 5xx; never once ctx is done, nor for this package's own verdicts, nor for
// certificate errors.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return retryableStatus(e.StatusCode)
	}
	for _, s := range []error{ErrInvalid, ErrUnauthorized, ErrDenied, ErrUnsupported, ErrNotFound, context.Canceled} {
		if errors.Is(err, s) {
			return false
		}
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verify           *tls.CertificateVerificationError
		record           tls.RecordHeaderError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &record) {
		return false
	}
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED)
}
