package dockerapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"

	"github.com/go-dock/dock"
)

// authRoutes is POST /auth, docker login's check.
func (s *server) authRoutes() []route {
	return []route{{"POST /auth", s.auth}}
}

// auth checks the credentials of the body with the registry, as Docker's
// daemon does, and keeps nothing: the client stores them.
func (s *server) auth(w http.ResponseWriter, r *http.Request) {
	var ac registry.AuthConfig
	if err := readJSON(r, &ac); err != nil {
		writeError(w, r, err)
		return
	}
	user, password := authCredentials(&ac)
	if err := s.engine.CheckLogin(r.Context(), ac.ServerAddress, user, password); err != nil {
		writeError(w, r, registryStatus(err))
		return
	}
	writeJSON(w, http.StatusOK, registry.AuthResponse{Status: "Login Succeeded"})
}

// authCredentials are the user and password of an AuthConfig: its
// username and password, else those of its auth field (base64
// "user:password", as config.json keeps them).
func authCredentials(ac *registry.AuthConfig) (user, password string) {
	if ac.Username != "" || ac.Auth == "" {
		return ac.Username, ac.Password
	}
	b, err := base64.StdEncoding.DecodeString(ac.Auth)
	if err != nil {
		return "", ""
	}
	user, password, _ = strings.Cut(string(b), ":")
	return user, password
}

// transferAuth is the X-Registry-Auth header of a pull or push as the
// option that sends its credentials to the registry of the image: none
// for a header that is absent, names no user, or does not decode (as
// Docker's pull ignores it; an identity token alone is not supported).
func transferAuth(r *http.Request) []dock.TransferOption {
	h := r.Header.Get(registry.AuthHeader)
	if h == "" {
		return nil
	}
	ac, err := authconfig.Decode(h)
	if err != nil {
		return nil
	}
	user, password := authCredentials(ac)
	if user == "" {
		return nil
	}
	return []dock.TransferOption{dock.WithCredentials(user, password)}
}

// buildAuth is the X-Registry-Config header of a build, the credentials
// of each registry its FROM lines may pull from (base64url JSON, by
// server address), as options bound each to its registry. A header that
// does not decode is ignored, as Docker ignores it; so are entries
// without a user or with a server address dock cannot read.
func buildAuth(r *http.Request) []dock.PullOption {
	h := r.Header.Get("X-Registry-Config")
	if h == "" {
		return nil
	}
	var configs map[string]registry.AuthConfig
	dec := json.NewDecoder(base64.NewDecoder(base64.URLEncoding, strings.NewReader(h)))
	if dec.Decode(&configs) != nil {
		return nil
	}
	var opts []dock.PullOption
	for server, ac := range configs {
		if ac.ServerAddress != "" {
			server = ac.ServerAddress
		}
		user, password := authCredentials(&ac)
		if _, err := dock.RegistryKey(server); err != nil || user == "" {
			continue
		}
		opts = append(opts, dock.WithRegistryCredentials(server, user, password))
	}
	return opts
}

// registryStatus gives a registry's refusal Docker's status: 401 for
// refused credentials (the clients then ask for a login), 403 for missing
// rights; other errors keep theirs.
func registryStatus(err error) error {
	var re *dock.RegistryError
	if errors.As(err, &re) && (re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden) {
		return &apiError{status: re.StatusCode, msg: err.Error()}
	}
	return err
}
