// Package distribution is the client side of the registry HTTP protocol:
// the OCI distribution spec and the Docker registry v2 API it came from.
// It moves manifests and blobs; the store, extraction and the pull and push
// orchestration are the root package's.
//
// A pull, by hand:
//
//	c, err := distribution.New(distribution.Options{})
//	ref, _ := reference.Parse("busybox")
//	m, err := c.Manifest(ctx, ref)              // verified bytes and descriptor
//	if distribution.IsIndex(m.Descriptor.MediaType) {
//		d, err := distribution.SelectPlatform(m.Body, m.Descriptor.MediaType, ocispec.Platform{})
//		ref.Digest = d.Digest
//		m, err = c.Manifest(ctx, ref)           // by digest: the body must hash to it
//	}
//	// parse m.Body as an image manifest, then for the config and each layer:
//	rc, err := c.Blob(ctx, ref, layer)         // verified as it streams, resumed with Range
//	defer rc.Close()
//	_, err = io.Copy(dst, rc)                   // io.EOF only when digest and size match
//
// And a push: PushBlob for each layer and the config (it skips blobs the
// registry has, and can mount them from another repository), then
// PushManifest.
//
// # Trust
//
// Everything a registry sends is checked before it is returned: manifest
// digests (against the reference and Docker-Content-Digest), sizes (a
// manifest over Options.MaxManifestSize is refused without being read to
// the end; a blob longer than its descriptor fails at the first extra
// byte), media types (the Content-Type against the body's mediaType, and the
// fields of a manifest against its kind: CVE-2021-41190), and every digest
// that goes into a URL (reference.Digest: CVE-2024-3727). Credentials are
// sent only to the host that asked for them: never after a redirect to
// another host (blob storage), never to a layer's foreign URLs
// (CVE-2020-15157), and tokens go to a realm over HTTPS.
//
// # Authentication
//
// On a 401 the client reads the WWW-Authenticate challenge. For Bearer it
// gets a token from the realm (GET with service and scope, with Basic
// credentials if there are some, or an OAuth2 POST with an identity token),
// keeps it per host and scope set until expires_in (default 60 s), and
// sends the request once more; a second 401 is an error, not a loop. For
// Basic it sends the credentials. Credentials come from Options.Credentials
// or Docker's config.json (auths, credsStore, credHelpers).
//
// # Transport
//
// Registries are reached over HTTPS; loopback hosts and Options.Insecure
// ones over HTTPS without certificate checks, or plain HTTP when HTTPS gets
// no answer (Docker's insecure-registries). "docker.io" is served by
// registry-1.docker.io. Timeouts, broken connections, 408, 429 and 5xx are
// retried up to Options.MaxAttempts with backoff and jitter, honouring
// Retry-After up to MaxRetryAfter. Pulls try Options.Mirrors first.
//
// Errors from the registry are *Error, with the status code and the codes
// of the spec's error body; errors.Is matches them, and this package's own
// checks, against ErrNotFound, ErrUnauthorized, ErrDenied, ErrUnsupported
// and ErrInvalid.
//
// A Client is safe for concurrent use and starts no goroutines.
package distribution
