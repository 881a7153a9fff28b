// Package registrytest runs the real CNCF distribution registry (Debian's
// docker-registry 2.8) for tests, with the auth schemes of real registries
// and a proxy that injects the faults a real registry never makes.
//
// A test starts a registry on a free loopback port, with its storage in
// t.TempDir(); t.Cleanup stops it:
//
//	reg := registrytest.Start(t)
//	d := registrytest.PushImage(t, reg, "library/app", "v1", registrytest.RandomLayer(t, 1<<20))
//	// pull reg.Host+"/library/app:v1" with the client under test; its manifest digest is d
//
// The registry can demand HTTP basic auth (WithBasicAuth) or bearer tokens
// from a token server that this package runs beside it (WithTokenAuth,
// WithTokenUser). Push helpers (Push, PushImage, PushIndex) speak the
// distribution protocol with plain net/http, independent of the client under
// test, and authorize themselves (Registry.Client).
//
// NewProxy puts a reverse proxy in front of a Registry; its hook sees every
// request and may truncate or corrupt a body, answer 429 or 5xx, delay or
// redirect. Hooks compose: When(BlobGet, Truncate(100)).
//
// Facts of distribution 2.8 that tests meet: a GET of an OCI manifest
// without an OCI media type in Accept answers 404 MANIFEST_UNKNOWN; a
// refused token gets 401 (never 403) with error="invalid_token" or
// "insufficient_scope" in the challenge; the registry allows tokens 60 s of
// clock skew on exp and nbf.
//
// The registry binary comes from "apt-get install docker-registry", basic
// auth needs htpasswd from apache2-utils (scripts/test-deps.sh installs
// both). Without them a test skips, or fails when CI=true. Nothing listens
// on any address but 127.0.0.1.
package registrytest
