package distribution

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
)

// CheckLogin checks cred with the registry of domain as docker login
// does: GET /v2/, and when the registry asks for authentication, again
// with cred: as Basic credentials, or for a Bearer challenge with a token
// that the token server grants cred (with no scope: the base endpoint
// needs none). A registry that answers the first GET needs no login and
// passes. Credentials that the registry or its token server refuses give
// an *Error with StatusCode 401 (errors.Is ErrUnauthorized). The answer
// is not kept: cred is not used for other calls of the Client.
func (c *Client) CheckLogin(ctx context.Context, domain string, cred Credential) error {
	if cred.anonymous() {
		return invalidf("login: no credentials")
	}
	base, err := c.registryBase(ctx, domain)
	if err != nil {
		return err
	}
	u := *base
	u.Path = "/v2/"
	r := &request{method: http.MethodGet, url: &u}
	resp, err := c.send(ctx, r, "")
	if err != nil {
		return fmt.Errorf("login to %s: %w", domain, err)
	}
	if resp.StatusCode == http.StatusOK {
		discard(resp)
		return nil
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("login to %s: %w", domain, newError(resp))
	}
	ch, ok := pickChallenge(resp.Header.Values("WWW-Authenticate"))
	if !ok {
		return fmt.Errorf("login to %s: %w", domain, newError(resp))
	}
	discard(resp)
	var authz string
	switch ch.scheme {
	case "basic":
		if cred.Username == "" && cred.Password == "" {
			return invalidf("login to %s: the registry wants a user and a password", domain)
		}
		authz = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred.Username+":"+cred.Password))
	case "bearer":
		if cred.RegistryToken != "" {
			authz = "Bearer " + cred.RegistryToken
			break
		}
		tok, err := c.fetchToken(ctx, ch, nil, cred)
		if err != nil {
			return fmt.Errorf("login to %s: %w", domain, err)
		}
		authz = "Bearer " + tok.value
	}
	resp, err = c.send(ctx, r, authz)
	if err != nil {
		return fmt.Errorf("login to %s: %w", domain, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("login to %s: %w", domain, newError(resp))
	}
	discard(resp)
	return nil
}
