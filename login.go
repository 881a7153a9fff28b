package dock

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-dock/dock/internal/distribution"
)

// Login checks user and password with the registry server ("docker.io",
// "host[:port]"; a URL's scheme and path are dropped) as "docker login"
// does, then stores them in Docker's config.json (RegistryConfig's
// DockerConfig), where Pull and Push find them.
//
// The check is a GET of the registry's /v2/ with the credentials: as
// Basic credentials, or for a registry with token auth, with a token that
// its token server grants them. Refused credentials give a
// *RegistryError with StatusCode 401, and nothing is stored. A registry
// that asks for no credentials passes.
//
// The credentials go to the registry's credential helper
// (docker-credential-NAME from PATH, as credHelpers or credsStore name
// it), with an entry in auths that holds no secret; without a helper,
// to auths (base64 user:password), as docker writes them. The other
// fields of config.json are kept; it is written atomically, mode 0600.
func (e *Engine) Login(ctx context.Context, server, user, password string) error {
	host, err := e.checkLogin(ctx, server, user, password)
	if err != nil {
		return err
	}
	cred := distribution.Credential{Username: user, Password: password}
	if err := distribution.StoreCredential(ctx, e.reg.opts.DockerConfig, host, cred); err != nil {
		return fmt.Errorf("login %s: store credentials: %w", host, registryErr(err))
	}
	return nil
}

// CheckLogin checks user and password with the registry server as Login
// does, and stores nothing: what Docker's daemon does for POST /auth,
// whose client keeps the credentials itself. Refused credentials give a
// *RegistryError with StatusCode 401; a registry that asks for no
// credentials passes.
func (e *Engine) CheckLogin(ctx context.Context, server, user, password string) error {
	_, err := e.checkLogin(ctx, server, user, password)
	return err
}

// checkLogin is the check of Login and CheckLogin; it returns the
// registry's host.
func (e *Engine) checkLogin(ctx context.Context, server, user, password string) (string, error) {
	host, err := registryServer(server)
	if err != nil {
		return "", err
	}
	if user == "" || password == "" {
		return "", invalidf("login: user and password are required")
	}
	client, err := e.reg.client()
	if err != nil {
		return "", registryErr(err)
	}
	cred := distribution.Credential{Username: user, Password: password}
	if err := client.CheckLogin(ctx, host, cred); err != nil {
		return "", fmt.Errorf("login %s: %w", host, registryErr(err))
	}
	return host, nil
}

// Logout removes the credentials of the registry server from Docker's
// config.json and from its credential helper, as "docker logout" does.
// When config.json has no entry for server it changes nothing and returns
// an error wrapping ErrNotFound. A helper that fails to erase them leaves
// an error, after the entry of config.json is gone.
func (e *Engine) Logout(ctx context.Context, server string) error {
	host, err := registryServer(server)
	if err != nil {
		return err
	}
	found, err := distribution.EraseCredential(ctx, e.reg.opts.DockerConfig, host)
	var he *distribution.HelperError
	switch {
	case errors.As(err, &he):
		return fmt.Errorf("logout %s: credentials left in the helper: %w", host, he)
	case err != nil:
		return fmt.Errorf("logout %s: %w", host, registryErr(err))
	case !found:
		return fmt.Errorf("logout %s: not logged in: %w", host, ErrNotFound)
	}
	return nil
}

// RegistryKey is the name Docker's config.json knows the registry server
// by, as docker login and logout print it: "https://index.docker.io/v1/"
// for Docker Hub, "host[:port]" for the others.
func RegistryKey(server string) (string, error) {
	host, err := registryServer(server)
	if err != nil {
		return "", err
	}
	return distribution.ConfigKey(host), nil
}

// registryServer is the host of a server as docker login takes it:
// "docker.io" for an empty one and for Docker Hub's names, else the host
// of "https://host:5000/v2/" or "host:5000".
func registryServer(server string) (string, error) {
	s := strings.TrimSpace(server)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s, _, _ = strings.Cut(s, "/")
	switch strings.ToLower(s) {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io":
		return "docker.io", nil
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '@' {
			return "", invalidf("registry server %q", server)
		}
	}
	return s, nil
}
