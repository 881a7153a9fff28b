package distribution

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/go-dock/dock/internal/reference"
)

// maxChunkSize bounds a registry's OCI-Chunk-Min-Length.
const maxChunkSize = 1 << 30

// PushBlob uploads the blob desc to ref's repository (its tag and digest
// are ignored) unless the registry has it already (HEAD). With mountFrom,
// a repository path on the same registry ("library/busybox"), it first
// asks for a cross-repository mount (POST ?mount=&from=): 201 is done, 202
// falls back to an upload at the Location returned. Blobs of at most
// Options.ChunkSize bytes are uploaded in one PUT; larger ones in PATCH
// chunks (Content-Range) and a closing PUT. open is called once per upload
// attempt and must return desc's bytes from the start; they are checked
// against desc.Size and desc.Digest as they are sent (a mismatch wraps
// ErrInvalid). A failed upload is started again, within
// Options.MaxAttempts. It is safe for concurrent use.
func (c *Client) PushBlob(ctx context.Context, ref reference.Ref, desc ocispec.Descriptor, open func() (io.ReadCloser, error), mountFrom string) error {
	ref.Tag, ref.Digest = "", ""
	if err := validateRef(ref); err != nil {
		return err
	}
	if _, err := checkDigest(string(desc.Digest)); err != nil {
		return fmt.Errorf("push blob: %w", err)
	}
	if desc.Size < 0 || open == nil {
		return invalidf("push blob %s: size %d, or no open function", desc.Digest, desc.Size)
	}
	scopes := []string{pushScope(ref.Path)}
	if mountFrom != "" {
		from, err := reference.ParseNoDefaultTag(ref.Domain + "/" + mountFrom)
		if err != nil || from.Tag != "" || from.Digest != "" || from.Domain != ref.Domain {
			return invalidf("push blob: mount from %q: not a repository of %s", mountFrom, ref.Domain)
		}
		mountFrom = from.Path
		if mountFrom == ref.Path {
			mountFrom = ""
		} else {
			scopes = append(scopes, pullScope(mountFrom))
		}
	}
	base, err := c.registryBase(ctx, ref.Domain)
	if err != nil {
		return fmt.Errorf("push blob %s to %s: %w", desc.Digest, ref.Name(), err)
	}
	if _, err := c.headBlob(ctx, base, ref, desc.Digest, scopes, 0); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("push blob: %w", err)
	}
	err = c.retry(ctx, 0, func() error { return c.upload(ctx, base, ref, desc, open, mountFrom, scopes) })
	if err != nil {
		return fmt.Errorf("push blob %s to %s: %w", desc.Digest, ref.Name(), err)
	}
	return nil
}

// upload is one attempt at an upload: POST (with a mount request), then
// PUT or PATCHes and PUT.
func (c *Client) upload(ctx context.Context, base *url.URL, ref reference.Ref, desc ocispec.Descriptor, open func() (io.ReadCloser, error), from string, scopes []string) error {
	u := repoURL(base, ref.Path, "blobs", "uploads/")
	if from != "" {
		u.RawQuery = url.Values{"mount": {string(desc.Digest)}, "from": {from}}.Encode()
	}
	resp, err := c.do(ctx, &request{method: http.MethodPost, url: u, scopes: scopes})
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusCreated:
		discard(resp)
		if from != "" {
			return nil // mounted
		}
		return invalidf("POST %s: 201 without a mount request", redact(u))
	case http.StatusAccepted:
	default:
		return newError(resp)
	}
	discard(resp)
	loc, err := c.location(resp)
	if err != nil {
		return err
	}
	chunk := c.opts.ChunkSize
	if n, err := strconv.ParseInt(resp.Header.Get("OCI-Chunk-Min-Length"), 10, 64); err == nil && n > chunk && n <= maxChunkSize {
		chunk = n
	}

	var src *sizedReader
	defer func() {
		if src != nil {
			_ = src.Close()
		}
	}()
	// openSrc opens the content again for each send of a request (a PUT
	// is sent twice after a 401).
	openSrc := func() (io.ReadCloser, error) {
		if src != nil {
			_ = src.Close()
			src = nil
		}
		rc, err := open()
		if err != nil {
			return nil, fmt.Errorf("open blob content: %w", err)
		}
		src = &sizedReader{rc: rc, size: desc.Size, want: desc.Digest, hash: desc.Digest.Algorithm().Hash()}
		return io.NopCloser(src), nil
	}
	if desc.Size <= c.opts.ChunkSize {
		return c.finishUpload(ctx, loc, desc, scopes, openSrc, func() *sizedReader { return src })
	}
	if _, err := openSrc(); err != nil {
		return err
	}
	for off := int64(0); off < desc.Size; {
		n := min(chunk, desc.Size-off)
		part := io.NopCloser(io.LimitReader(src, n))
		resp, err := c.do(ctx, &request{
			method: http.MethodPatch,
			url:    loc,
			header: http.Header{
				"Content-Type":  {"application/octet-stream"},
				"Content-Range": {fmt.Sprintf("%d-%d", off, off+n-1)},
			},
			body:   onceBody(part),
			size:   n,
			scopes: scopes,
		})
		if src.err != nil {
			if err == nil {
				discard(resp)
			}
			return src.err
		}
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNoContent {
			return newError(resp)
		}
		discard(resp)
		if loc, err = c.location(resp); err != nil {
			return err
		}
		off += n
	}
	if err := src.finish(); err != nil {
		return err
	}
	return c.finishUpload(ctx, loc, desc, scopes, nil, nil)
}

// finishUpload sends the closing PUT <loc>?digest=, with the content of
// open as its body when open is not nil; src then gives the content's
// reader, whose verdict wins over the registry's.
func (c *Client) finishUpload(ctx context.Context, loc *url.URL, desc ocispec.Descriptor, scopes []string, open func() (io.ReadCloser, error), src func() *sizedReader) error {
	u := *loc
	q := u.Query()
	q.Set("digest", string(desc.Digest))
	u.RawQuery = q.Encode()
	r := &request{method: http.MethodPut, url: &u, scopes: scopes}
	if open != nil {
		r.header = http.Header{"Content-Type": {"application/octet-stream"}}
		r.body, r.size = open, desc.Size
	}
	resp, err := c.do(ctx, r)
	var s *sizedReader
	if src != nil {
		s = src()
	}
	if s != nil {
		if cerr := s.contentErr(); cerr != nil {
			if err == nil {
				discard(resp)
			}
			return cerr
		}
	}
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return newError(resp)
	}
	discard(resp)
	if s != nil {
		return s.finish()
	}
	return nil
}

// location resolves the Location header of resp against its request URL
// and refuses schemes other than http(s) and a downgrade to HTTP.
func (c *Client) location(resp *http.Response) (*url.URL, error) {
	loc, err := resp.Location()
	if err != nil {
		return nil, invalidf("upload: Location header: %v", err)
	}
	if loc.Scheme != "https" && (loc.Scheme != "http" || !c.plainHTTPAllowed(loc.Host)) {
		return nil, invalidf("upload: Location %s refused", redact(loc))
	}
	loc.Fragment = ""
	return loc, nil
}

// onceBody returns a body function that gives rc once.
func onceBody(rc io.ReadCloser) func() (io.ReadCloser, error) {
	used := false
	return func() (io.ReadCloser, error) {
		if used {
			return nil, errors.New("blob chunk already sent once")
		}
		used = true
		return rc, nil
	}
}

// sizedReader reads content that must be size bytes with digest want.
// Its first error sticks, so that a failed request can tell that the
// content, not the network, was wrong. net/http may still be reading the
// body when the response has come back, so mu guards the whole state.
type sizedReader struct {
	mu   sync.Mutex
	rc   io.ReadCloser
	size int64
	n    int64
	want digest.Digest
	hash hash.Hash
	err  error
	eof  bool
}

func (s *sizedReader) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	if s.n >= s.size {
		if err := s.checkEnd(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > s.size-s.n {
		p = p[:s.size-s.n]
	}
	n, err := s.rc.Read(p)
	s.hash.Write(p[:n])
	s.n += int64(n)
	if errors.Is(err, io.EOF) {
		s.eof = true
		if s.n < s.size {
			s.err = invalidf("blob content is %d bytes, want %d", s.n, s.size)
			return n, s.err
		}
	} else if err != nil {
		s.err = fmt.Errorf("read blob content: %w", err)
		return n, s.err
	}
	if s.n == s.size {
		// Look for an extra byte before the last ones go out, so that the
		// request fails instead of committing.
		if err := s.checkEnd(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// checkEnd makes sure that the content has no byte after size.
func (s *sizedReader) checkEnd() error {
	if s.eof {
		return nil
	}
	var b [1]byte
	n, err := io.ReadFull(s.rc, b[:])
	s.eof = true
	if n > 0 {
		s.err = invalidf("blob content is longer than %d bytes", s.size)
		return s.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = fmt.Errorf("read blob content: %w", err)
		return s.err
	}
	return nil
}

// finish checks that all the content was read and has the digest wanted.
func (s *sizedReader) finish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finishLocked()
}

func (s *sizedReader) finishLocked() error {
	if s.err != nil {
		return s.err
	}
	if s.n < s.size {
		s.err = invalidf("blob content: %d of %d bytes sent", s.n, s.size)
		return s.err
	}
	if err := s.checkEnd(); err != nil {
		return err
	}
	if got := digest.NewDigest(s.want.Algorithm(), s.hash); got != s.want {
		s.err = invalidf("blob content has digest %s, want %s", got, s.want)
	}
	return s.err
}

// contentErr is the content's own error, if it is known to be wrong: a read
// error, a short or long content, or, once all of it was read, a digest
// mismatch.
func (s *sizedReader) contentErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && s.n == s.size {
		return s.finishLocked()
	}
	return s.err
}

func (s *sizedReader) Close() error { return s.rc.Close() }

// PushManifest puts body, a manifest or index of mediaType, to ref: by tag
// when ref has one, else by digest. body must be a manifest this package
// reads (no schema1), whose own mediaType agrees with mediaType, of at most
// Options.MaxManifestSize bytes; when ref has a digest, body must have it.
// It returns the digest of body (of ref.Digest's algorithm, else sha256); a
// Docker-Content-Digest answer that differs is an error. It is safe for
// concurrent use.
func (c *Client) PushManifest(ctx context.Context, ref reference.Ref, mediaType string, body []byte) (digest.Digest, error) {
	if err := validateRef(ref); err != nil {
		return "", err
	}
	if int64(len(body)) > c.opts.MaxManifestSize {
		return "", invalidf("push manifest %s: %d bytes, over the limit of %d", ref, len(body), c.opts.MaxManifestSize)
	}
	if !IsIndex(mediaType) && !IsManifest(mediaType) {
		return "", fmt.Errorf("push manifest %s: %w: media type %q", ref, ErrUnsupported, clean(mediaType, 100))
	}
	desc, err := verifyManifest(body, mediaType, ref.Digest, "")
	if err != nil {
		return "", fmt.Errorf("push manifest %s: %w", ref, err)
	}
	target := ref.Tag
	if target == "" {
		target = string(desc.Digest)
	}
	if target == "" {
		return "", invalidf("push manifest %s: no tag or digest", ref)
	}
	base, err := c.registryBase(ctx, ref.Domain)
	if err != nil {
		return "", fmt.Errorf("push manifest %s: %w", ref, err)
	}
	err = c.retry(ctx, 0, func() error {
		resp, err := c.do(ctx, &request{
			method: http.MethodPut,
			url:    repoURL(base, ref.Path, "manifests", target),
			header: http.Header{"Content-Type": {mediaType}},
			body:   func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
			size:   int64(len(body)),
			scopes: []string{pushScope(ref.Path)},
		})
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
			return newError(resp)
		}
		discard(resp)
		if h := resp.Header.Get("Docker-Content-Digest"); h != "" {
			hd, err := checkDigest(h)
			if err != nil {
				return invalidf("Docker-Content-Digest: %v", err)
			}
			if hd.Algorithm() == desc.Digest.Algorithm() && hd != desc.Digest {
				return invalidf("registry says the manifest has digest %s, it has %s", hd, desc.Digest)
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("push manifest %s: %w", ref, err)
	}
	return desc.Digest, nil
}

// maxTags bounds the tags Tags returns.
const maxTags = 1 << 20

// Tags lists the tags of ref's repository on the registry itself, following
// the Link header's pages (on the same host). It is safe for concurrent use.
func (c *Client) Tags(ctx context.Context, ref reference.Ref) ([]string, error) {
	ref.Tag, ref.Digest = "", ""
	if err := validateRef(ref); err != nil {
		return nil, err
	}
	base, err := c.registryBase(ctx, ref.Domain)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", ref.Name(), err)
	}
	next := repoURL(base, ref.Path, "tags", "list")
	var tags []string
	for next != nil {
		u := next
		next = nil
		err := c.retry(ctx, 0, func() error {
			resp, err := c.do(ctx, &request{method: http.MethodGet, url: u, scopes: []string{pullScope(ref.Path)}})
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return newError(resp)
			}
			defer resp.Body.Close()
			var page struct {
				Tags []string `json:"tags"`
			}
			if err := decodeJSON(resp.Body, c.opts.MaxManifestSize, &page); err != nil {
				return err
			}
			if len(tags)+len(page.Tags) > maxTags {
				return invalidf("more than %d tags", maxTags)
			}
			tags = append(tags, page.Tags...)
			if l := nextLink(resp.Header.Get("Link")); l != "" {
				n, err := u.Parse(l)
				if err != nil || canonicalHost(n) != canonicalHost(u) || n.Scheme != u.Scheme {
					return invalidf("tags: Link %q refused", clean(l, 200))
				}
				next = n
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", ref.Name(), err)
		}
	}
	return tags, nil
}

// nextLink returns the target of the rel="next" entry of a Link header.
func nextLink(h string) string {
	for part := range strings.SplitSeq(h, ",") {
		target, params, ok := strings.Cut(part, ";")
		target = strings.TrimSpace(target)
		if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && strings.Trim(v, `"`) == "next" {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}

// decodeJSON decodes at most max bytes of r into v.
func decodeJSON(r io.Reader, max int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > max {
		return invalidf("answer over %d bytes", max)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return invalidf("answer: %v", err)
	}
	return nil
}
