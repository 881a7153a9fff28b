package distribution

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/reference"
)

// Blob streams the blob desc of the repository of ref (its tag and digest
// are ignored), from the mirrors of the registry and then the registry. The
// stream is verified as it is read: a Content-Length other than desc.Size
// is refused at once, a byte beyond desc.Size fails the Read that gets it,
// and the Read that reaches the end returns io.EOF only when the digest and
// size match (else an error wrapping ErrInvalid). When the connection breaks
// mid-body, Read resumes transparently with a Range request from the
// offset reached (a server that answers 200 instead of 206 is read again
// from the start, skipping what was delivered), within Options.MaxAttempts
// requests in all. Redirects to blob storage are followed without the
// Authorization header. desc.URLs are tried, without credentials, only
// when Options.ForeignURLs is set and the registry does not have the blob.
//
// The caller must Close the stream; it must not be read from several
// goroutines at once. Cancelling ctx ends a Read in progress.
func (c *Client) Blob(ctx context.Context, ref reference.Ref, desc ocispec.Descriptor) (io.ReadCloser, error) {
	ref.Tag, ref.Digest = "", ""
	if err := validateRef(ref); err != nil {
		return nil, err
	}
	if _, err := checkDigest(string(desc.Digest)); err != nil {
		return nil, fmt.Errorf("fetch blob: %w", err)
	}
	if desc.Size < 0 {
		return nil, invalidf("fetch blob %s: size %d", desc.Digest, desc.Size)
	}
	var br *blobReader
	err := c.pull(ctx, ref.Domain, func(base *url.URL, attempts int) error {
		u, err := c.baseURL(ctx, base, ref.Domain)
		if err != nil {
			return err
		}
		r := c.newBlobReader(ctx, desc, &request{
			method: http.MethodGet,
			url:    repoURL(u, ref.Path, "blobs", string(desc.Digest)),
			scopes: []string{pullScope(ref.Path)},
		})
		if err := c.retry(ctx, attempts, r.open); err != nil {
			return err
		}
		br = r
		return nil
	})
	if err != nil && errors.Is(err, ErrNotFound) && c.opts.ForeignURLs && len(desc.URLs) > 0 {
		var ferr error
		if br, ferr = c.foreignBlob(ctx, desc); ferr != nil {
			err = fmt.Errorf("%w (foreign URLs: %v)", err, ferr)
		} else {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("fetch blob %s from %s: %w", desc.Digest, ref.Name(), err)
	}
	return br, nil
}

// foreignBlob opens the first of desc.URLs that answers, with no
// credentials at all.
func (c *Client) foreignBlob(ctx context.Context, desc ocispec.Descriptor) (*blobReader, error) {
	var errs []error
	for _, s := range desc.URLs {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || u.User != nil ||
			(u.Scheme != "https" && (u.Scheme != "http" || !c.plainHTTPAllowed(u.Host))) {
			errs = append(errs, invalidf("foreign URL %q refused", clean(s, 200)))
			continue
		}
		r := c.newBlobReader(ctx, desc, &request{method: http.MethodGet, url: u, noAuth: true})
		if err := c.retry(ctx, 0, r.open); err != nil {
			errs = append(errs, err)
			continue
		}
		return r, nil
	}
	return nil, errors.Join(errs...)
}

// BlobSize returns the size the registry (or a mirror) gives for the blob
// dgst of ref's repository, by HEAD (-1 when the answer has no
// Content-Length; the size is not verified: Blob does that). A missing blob is an error wrapping
// ErrNotFound. It is safe for concurrent use.
func (c *Client) BlobSize(ctx context.Context, ref reference.Ref, dgst digest.Digest) (int64, error) {
	ref.Tag, ref.Digest = "", ""
	if err := validateRef(ref); err != nil {
		return 0, err
	}
	var size int64
	err := c.pull(ctx, ref.Domain, func(base *url.URL, attempts int) error {
		var err error
		size, err = c.headBlob(ctx, base, ref, dgst, []string{pullScope(ref.Path)}, attempts)
		return err
	})
	return size, err
}

// BlobExists reports whether the registry itself (never a mirror) has the
// blob dgst in ref's repository, by HEAD. It is safe for concurrent use.
func (c *Client) BlobExists(ctx context.Context, ref reference.Ref, dgst digest.Digest) (bool, error) {
	ref.Tag, ref.Digest = "", ""
	if err := validateRef(ref); err != nil {
		return false, err
	}
	_, err := c.headBlob(ctx, nil, ref, dgst, []string{pullScope(ref.Path)}, 0)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (c *Client) headBlob(ctx context.Context, base *url.URL, ref reference.Ref, dgst digest.Digest, scopes []string, attempts int) (int64, error) {
	if _, err := checkDigest(string(dgst)); err != nil {
		return 0, fmt.Errorf("stat blob: %w", err)
	}
	var size int64
	err := c.retry(ctx, attempts, func() error {
		u, err := c.baseURL(ctx, base, ref.Domain)
		if err != nil {
			return err
		}
		resp, err := c.do(ctx, &request{method: http.MethodHead, url: repoURL(u, ref.Path, "blobs", string(dgst)), scopes: scopes})
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return newError(resp)
		}
		discard(resp)
		size = resp.ContentLength
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stat blob %s in %s: %w", dgst, ref.Name(), err)
	}
	return size, nil
}

// blobReader is the verifying, resuming stream of Blob.
type blobReader struct {
	ctx      context.Context
	c        *Client
	req      *request
	want     digest.Digest
	size     int64
	hash     hash.Hash
	off      int64
	body     io.ReadCloser
	requests int // requests made, bounded by max
	max      int
	err      error // sticky
}

func (c *Client) newBlobReader(ctx context.Context, desc ocispec.Descriptor, req *request) *blobReader {
	return &blobReader{ctx: ctx, c: c, req: req, want: desc.Digest, size: desc.Size, hash: desc.Digest.Algorithm().Hash(), max: c.opts.MaxAttempts}
}

// open makes one request for the rest of the blob, from r.off.
func (r *blobReader) open() error {
	r.requests++
	req := *r.req
	req.header = http.Header{}
	if r.off > 0 {
		req.header.Set("Range", "bytes="+strconv.FormatInt(r.off, 10)+"-")
	}
	resp, err := r.c.do(r.ctx, &req)
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if resp.ContentLength >= 0 && resp.ContentLength != r.size {
			discard(resp)
			return invalidf("blob %s: Content-Length %d, want %d", r.want, resp.ContentLength, r.size)
		}
		if r.off > 0 {
			// No Range support: read again from the start, skipping what
			// was delivered (and hashed) already.
			if _, err := io.CopyN(io.Discard, resp.Body, r.off); err != nil {
				_ = resp.Body.Close()
				return err
			}
		}
	case resp.StatusCode == http.StatusPartialContent && r.off > 0:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != r.off || (total >= 0 && total != r.size) {
			discard(resp)
			return invalidf("blob %s: Content-Range %q for a request from byte %d of %d",
				r.want, clean(resp.Header.Get("Content-Range"), 100), r.off, r.size)
		}
	default:
		return newError(resp)
	}
	r.body = resp.Body
	return nil
}

// parseContentRange reads "bytes start-end/total" (total "*" gives -1).
func parseContentRange(s string) (start, total int64, ok bool) {
	s, ok = strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, false
	}
	rng, tot, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		t, err := strconv.ParseInt(tot, 10, 64)
		if err != nil || t <= end {
			return 0, 0, false
		}
		total = t
	}
	return start, total, true
}

func (r *blobReader) fail(err error) error {
	r.err = err
	if r.body != nil {
		_ = r.body.Close()
		r.body = nil
	}
	return err
}

// Read reads the blob, verifying it, and resumes after a broken
// connection.
func (r *blobReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	for r.body == nil {
		if err := r.resume(); err != nil {
			return 0, err
		}
	}
	n, err := r.body.Read(p)
	if int64(n) > r.size-r.off {
		return 0, r.fail(invalidf("blob %s: more than its %d bytes", r.want, r.size))
	}
	r.hash.Write(p[:n])
	r.off += int64(n)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF):
		if r.off < r.size {
			return n, r.fail(invalidf("blob %s: %d bytes, want %d", r.want, r.off, r.size))
		}
		if got := digest.NewDigest(r.want.Algorithm(), r.hash); got != r.want {
			return n, r.fail(invalidf("blob has digest %s, want %s", got, r.want))
		}
		r.fail(io.EOF)
		return n, io.EOF
	case r.ctx.Err() != nil:
		return n, r.fail(fmt.Errorf("read blob %s: %w", r.want, r.ctx.Err()))
	case !retryable(r.ctx, err):
		return n, r.fail(fmt.Errorf("read blob %s: %w", r.want, err))
	}
	// A broken connection: resume at the next Read.
	_ = r.body.Close()
	r.body = nil
	r.err = nil
	if r.requests >= r.max {
		return n, r.fail(fmt.Errorf("read blob %s: connection lost at byte %d of %d after %d requests: %w", r.want, r.off, r.size, r.requests, err))
	}
	return n, nil
}

// resume opens the rest of the blob after a wait, or fails for good when
// the requests are spent.
func (r *blobReader) resume() error {
	if r.requests >= r.max {
		return r.fail(fmt.Errorf("read blob %s: gave up at byte %d of %d after %d requests", r.want, r.off, r.size, r.requests))
	}
	if err := r.c.sleep(r.ctx, backoff(r.requests)); err != nil {
		return r.fail(fmt.Errorf("read blob %s: %w", r.want, err))
	}
	err := r.open()
	if err != nil && (!retryable(r.ctx, err) || r.requests >= r.max) {
		return r.fail(fmt.Errorf("resume blob %s at byte %d: %w", r.want, r.off, err))
	}
	return nil
}

// Close closes the connection. Reads after Close fail.
func (r *blobReader) Close() error {
	if r.body != nil {
		_ = r.body.Close()
		r.body = nil
	}
	if r.err == nil || r.err == io.EOF {
		r.err = errors.New("read blob: closed")
	}
	return nil
}
