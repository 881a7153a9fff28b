package distribution

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	// defaultTokenLife is the life of a token whose answer has no
	// expires_in, as the token spec says.
	defaultTokenLife = 60 * time.Second
	// maxTokenBody bounds a token server's answer.
	maxTokenBody = 1 << 20
	// oauthClientID is sent as client_id in OAuth2 token requests.
	oauthClientID = "dock"
)

type token struct {
	value   string
	expires time.Time
}

// pullScope and pushScope are the token scopes of the spec.
func pullScope(repo string) string { return "repository:" + repo + ":pull" }
func pushScope(repo string) string { return "repository:" + repo + ":pull,push" }

func tokenKey(host string, scopes []string) string {
	s := slices.Clone(scopes)
	slices.Sort(s)
	return host + " " + strings.Join(slices.Compact(s), " ")
}

func (c *Client) setChallenge(host string, ch challenge) {
	c.mu.Lock()
	c.challenges[host] = ch
	c.mu.Unlock()
}

// cachedAuthorization returns the Authorization header to send first to
// host for scopes: a cached token, or a fresh one when the host is known to
// want tokens, or Basic credentials for a Basic host; "" when the host has
// not asked for anything yet. urlHost is the host as written in the URL
// (credentials are looked up by it), host its canonical form. fresh
// reports that the header was made for this request (a new token, Basic),
// so that a 401 to it is final.
func (c *Client) cachedAuthorization(ctx context.Context, urlHost, host string, scopes []string) (authz string, fresh bool, err error) {
	c.mu.Lock()
	ch, ok := c.challenges[host]
	tok, cached := c.tokens[tokenKey(host, scopes)]
	c.mu.Unlock()
	if !ok {
		return "", false, nil
	}
	if ch.scheme == "bearer" && cached && c.now().Before(tok.expires) {
		return "Bearer " + tok.value, false, nil
	}
	authz, err = c.authorize(ctx, urlHost, host, ch, scopes)
	return authz, authz != "", err
}

// authorize answers ch for a request to host needing scopes: it fetches a
// new token for a Bearer challenge (and caches it), or builds a Basic
// header. It returns "" when there are no credentials to answer with.
func (c *Client) authorize(ctx context.Context, urlHost, host string, ch challenge, scopes []string) (string, error) {
	cred, err := c.credential(ctx, urlHost)
	if err != nil {
		return "", err
	}
	switch ch.scheme {
	case "basic":
		if cred.Username == "" && cred.Password == "" {
			return "", nil
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(cred.Username+":"+cred.Password)), nil
	case "bearer":
		if cred.RegistryToken != "" {
			return "Bearer " + cred.RegistryToken, nil
		}
		all := slices.Clone(scopes)
		for s := range strings.FieldsSeq(ch.params["scope"]) {
			if !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
		tok, err := c.fetchToken(ctx, ch, all, cred)
		if err != nil {
			return "", err
		}
		c.mu.Lock()
		c.tokens[tokenKey(host, scopes)] = tok
		c.mu.Unlock()
		return "Bearer " + tok.value, nil
	}
	return "", nil
}

// fetchToken asks the realm of ch for a token: an OAuth2 POST with the
// refresh token when cred has an IdentityToken, else a GET with the service
// and scopes, with Basic credentials when cred has them.
func (c *Client) fetchToken(ctx context.Context, ch challenge, scopes []string, cred Credential) (token, error) {
	realm, err := url.Parse(ch.params["realm"])
	if err != nil || realm.Host == "" || realm.User != nil ||
		(realm.Scheme != "https" && (realm.Scheme != "http" || !c.plainHTTPAllowed(realm.Host))) {
		return token{}, invalidf("token realm %q: want an https URL (http only for insecure hosts)", clean(ch.params["realm"], 200))
	}
	service := ch.params["service"]
	var req *http.Request
	if cred.IdentityToken != "" {
		form := url.Values{
			"grant_type":    {"refresh_token"},
			"refresh_token": {cred.IdentityToken},
			"client_id":     {oauthClientID},
			"access_type":   {"offline"},
		}
		if service != "" {
			form.Set("service", service)
		}
		if len(scopes) > 0 {
			form.Set("scope", strings.Join(scopes, " "))
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, realm.String(), strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		q := realm.Query()
		if service != "" {
			q.Set("service", service)
		}
		for _, s := range scopes {
			q.Add("scope", s)
		}
		if cred.Username != "" {
			q.Set("account", cred.Username)
		}
		realm.RawQuery = q.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
		if err == nil && (cred.Username != "" || cred.Password != "") {
			req.SetBasicAuth(cred.Username, cred.Password)
		}
	}
	if err != nil {
		return token{}, invalidf("token request: %v", err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	resp, err := c.client.Do(req)
	if err != nil {
		return token{}, fmt.Errorf("fetch token from %s: %w", redact(realm), err)
	}
	if resp.StatusCode != http.StatusOK {
		return token{}, fmt.Errorf("fetch token: %w", newError(resp))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody+1))
	if err != nil {
		return token{}, fmt.Errorf("fetch token from %s: %w", redact(realm), err)
	}
	if len(body) > maxTokenBody {
		return token{}, invalidf("token answer from %s over %d bytes", redact(realm), maxTokenBody)
	}
	var v struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return token{}, invalidf("token answer from %s: %v", redact(realm), err)
	}
	t := token{value: v.Token}
	if t.value == "" {
		t.value = v.AccessToken
	}
	if t.value == "" || strings.ContainsAny(t.value, "\r\n") {
		return token{}, invalidf("token answer from %s has no usable token", redact(realm))
	}
	life := defaultTokenLife
	if v.ExpiresIn > 0 && v.ExpiresIn < 1<<31 {
		life = time.Duration(v.ExpiresIn) * time.Second
	}
	// Renew a tenth early, so that a token does not expire on the way.
	t.expires = c.now().Add(life - life/10)
	return t, nil
}

// credential returns the credentials for the registry at urlHost, asking
// Options.Credentials or Docker's config once per host.
func (c *Client) credential(ctx context.Context, urlHost string) (Credential, error) {
	host := credentialHost(strings.ToLower(urlHost))
	c.mu.Lock()
	cred, ok := c.creds[host]
	c.mu.Unlock()
	if ok {
		return cred, nil
	}
	var err error
	if c.opts.Credentials != nil {
		cred, err = c.opts.Credentials(ctx, host)
	} else {
		cred, err = configCredential(ctx, c.opts.DockerConfig, host)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("credentials for %s: %w", host, err)
	}
	c.mu.Lock()
	c.creds[host] = cred
	c.mu.Unlock()
	return cred, nil
}
