package registrytest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The token server's names, as the registry's auth.token config holds them.
const (
	TokenService = "registrytest"        // the service parameter and the aud claim
	TokenIssuer  = "registrytest-issuer" // the iss claim
)

const defaultTokenTTL = 5 * time.Minute

// Access is one entry of a token's access claim, and one parsed scope
// ("repository:library/app:pull,push").
type Access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// String returns the scope form, type:name:actions.
func (a Access) String() string {
	return a.Type + ":" + a.Name + ":" + strings.Join(a.Actions, ",")
}

// ParseScope parses a scope, type:name:actions; the name may itself hold
// colons (a host with a port).
func ParseScope(s string) (Access, error) {
	i, j := strings.Index(s, ":"), strings.LastIndex(s, ":")
	if i < 0 || i == j {
		return Access{}, fmt.Errorf("parse scope %q: want type:name:actions", s)
	}
	a := Access{Type: s[:i], Name: s[i+1 : j]}
	if acts := s[j+1:]; acts != "" {
		a.Actions = strings.Split(acts, ",")
	}
	return a, nil
}

// A TokenRequest is a request the token server answered.
type TokenRequest struct {
	Method  string   // GET, or POST (OAuth2 password grant)
	User    string   // "" when anonymous
	Service string   // the service parameter
	Scopes  []string // the scope parameters, one scope each
	Granted []Access // the access claim of the token; nil when refused
	Status  int      // the HTTP status of the answer
}

type tokenUser struct {
	pass    string
	allowed []string
}

// tokenServer implements docker's token auth (distribution's
// docs/spec/auth/token.md) for one registry.
type tokenServer struct {
	key     *ecdsa.PrivateKey
	kid     string // libtrust key ID of key's public key
	certPEM []byte // self-signed certificate of key: the registry's rootcertbundle
	users   map[string]tokenUser
	ttl     time.Duration
	srv     *httptest.Server

	mu       sync.Mutex
	requests []TokenRequest
}

func newTokenServer(users map[string]tokenUser, ttl time.Duration) (*tokenServer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: TokenIssuer},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create token certificate: %w", err)
	}
	kid, err := LibtrustKeyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = defaultTokenTTL
	}
	s := &tokenServer{
		key:     key,
		kid:     kid,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		users:   users,
		ttl:     ttl,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP)) // binds 127.0.0.1
	return s, nil
}

func (s *tokenServer) realm() string { return s.srv.URL + "/token" }
func (s *tokenServer) close()        { s.srv.Close() }

// LibtrustKeyID returns the key ID that docker's libtrust gives pub, and
// that distribution 2.8 looks up the kid of a token header by: the SHA-256
// of the DER SubjectPublicKeyInfo, its first 240 bits in base32, in groups
// of four joined by colons.
func LibtrustKeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("libtrust key id: %w", err)
	}
	sum := sha256.Sum256(der)
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:30])
	var b strings.Builder
	for i := 0; i < len(enc); i += 4 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(enc[i:min(i+4, len(enc))])
	}
	return b.String(), nil
}

func (s *tokenServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := TokenRequest{Method: r.Method}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
	}()
	fail := func(status int, code, desc string) {
		rec.Status = status
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+TokenIssuer+`"`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.URL.Path != "/token" {
		fail(http.StatusNotFound, "not_found", "the token endpoint is /token")
		return
	}
	var user, pass string
	var hasCreds bool
	var rawScopes []string
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		rec.Service, rawScopes = q.Get("service"), q["scope"]
		user, pass, hasCreds = r.BasicAuth()
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			fail(http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		rec.Service, rawScopes = r.PostForm.Get("service"), r.PostForm["scope"]
		if gt := r.PostForm.Get("grant_type"); gt != "password" {
			fail(http.StatusBadRequest, "unsupported_grant_type", "only grant_type=password is supported, got "+gt)
			return
		}
		user, pass, hasCreds = r.PostForm.Get("username"), r.PostForm.Get("password"), true
	default:
		fail(http.StatusMethodNotAllowed, "invalid_request", "GET or POST")
		return
	}
	for _, raw := range rawScopes {
		rec.Scopes = append(rec.Scopes, strings.Fields(raw)...) // OAuth2 separates scopes by spaces
	}
	if hasCreds {
		rec.User = user
	}
	if rec.Service != TokenService {
		fail(http.StatusBadRequest, "invalid_request", fmt.Sprintf("service %q, want %q", rec.Service, TokenService))
		return
	}
	var requested []Access
	for _, sc := range rec.Scopes {
		a, err := ParseScope(sc)
		if err != nil {
			fail(http.StatusBadRequest, "invalid_scope", err.Error())
			return
		}
		requested = append(requested, a)
	}
	var u tokenUser
	var known bool
	if hasCreds && len(s.users) > 0 { // without users, any credentials do
		u, known = s.users[user]
		if !known || subtle.ConstantTimeCompare([]byte(u.pass), []byte(pass)) != 1 {
			fail(http.StatusUnauthorized, "unauthorized", "wrong user name or password")
			return
		}
	}
	granted := []Access{}
	for _, a := range requested {
		if len(s.users) > 0 { // with users, anonymous gets nothing, users what they may
			var acts []string
			for _, act := range a.Actions {
				if known && (slices.Contains(u.allowed, act) || slices.Contains(u.allowed, "*")) {
					acts = append(acts, act)
				}
			}
			a.Actions = acts
		}
		if len(a.Actions) > 0 {
			granted = append(granted, a)
		}
	}
	now := time.Now()
	tok, err := s.sign(user, granted, now, now.Add(s.ttl))
	if err != nil {
		fail(http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	rec.Status, rec.Granted = http.StatusOK, granted
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token":        tok,
		"access_token": tok,
		"expires_in":   int(s.ttl / time.Second),
		"issued_at":    now.UTC().Format(time.RFC3339),
	})
}

// sign returns a JWT (ES256, kid in the header) for subject with access,
// valid from notBefore to expires.
func (s *tokenServer) sign(subject string, access []Access, notBefore, expires time.Time) (string, error) {
	header, err := json.Marshal(map[string]string{"typ": "JWT", "alg": "ES256", "kid": s.kid})
	if err != nil {
		return "", err
	}
	if access == nil {
		access = []Access{}
	}
	claims, err := json.Marshal(map[string]any{
		"iss":    TokenIssuer,
		"sub":    subject,
		"aud":    TokenService,
		"exp":    expires.Unix(),
		"nbf":    notBefore.Unix(),
		"iat":    notBefore.Unix(),
		"jti":    randomHex(16),
		"access": access,
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	r, sig, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	raw := make([]byte, 64) // JWS ES256: r and s, 32 bytes each, big-endian
	r.FillBytes(raw[:32])
	sig.FillBytes(raw[32:])
	return input + "." + enc.EncodeToString(raw), nil
}

// TokenRequests returns the requests the token server answered so far, in
// order. It fails the test when the registry has no token auth.
func (r *Registry) TokenRequests(t testing.TB) []TokenRequest {
	t.Helper()
	s := r.mustTokens(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetTokenRequests forgets the requests recorded so far.
func (r *Registry) ResetTokenRequests(t testing.TB) {
	t.Helper()
	s := r.mustTokens(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// IssueToken returns a token signed like the token server's, for subject,
// with the access of scopes ("repository:name:pull,push"), valid until
// expires (in the past for an expired token; the registry allows 60 s of
// clock skew). The request is not recorded.
func (r *Registry) IssueToken(t testing.TB, subject string, expires time.Time, scopes ...string) string {
	t.Helper()
	s := r.mustTokens(t)
	var access []Access
	for _, sc := range scopes {
		a, err := ParseScope(sc)
		if err != nil {
			t.Fatalf("IssueToken: %v", err)
		}
		access = append(access, a)
	}
	nbf := time.Now()
	if expires.Before(nbf) {
		nbf = expires.Add(-time.Minute)
	}
	tok, err := s.sign(subject, access, nbf, expires)
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	return tok
}

func (r *Registry) mustTokens(t testing.TB) *tokenServer {
	t.Helper()
	if r.tokens == nil {
		t.Fatal("registrytest: the registry was started without WithTokenAuth")
	}
	return r.tokens
}
