package distribution

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

const (
	// dockerHubConfigKey is the key of Docker Hub in config.json.
	dockerHubConfigKey = "https://index.docker.io/v1/"
	maxConfigSize      = 16 << 20
	helperTimeout      = time.Minute
	maxHelperOutput    = 1 << 20
)

// helperNameRE is what a credential helper's name may be: it becomes part of
// a command name, and a slash would make it a path.
var helperNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

type dockerConfig struct {
	Auths       map[string]authEntry `json:"auths"`
	CredsStore  string               `json:"credsStore"`
	CredHelpers map[string]string    `json:"credHelpers"`
}

type authEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// DefaultDockerConfig returns the path Docker reads its config.json from:
// $DOCKER_CONFIG/config.json, else ~/.docker/config.json ("" when there is
// no home directory).
func DefaultDockerConfig() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker", "config.json")
}

// configCredential looks host ("docker.io" or "host[:port]") up in the
// Docker config at path (default DefaultDockerConfig) as the Docker CLI
// does: credHelpers[key], else credsStore, else auths; key is
// "https://index.docker.io/v1/" for Docker Hub and the host otherwise. A
// missing file, entry or "credentials not found" from a helper is
// anonymous.
func configCredential(ctx context.Context, path, host string) (Credential, error) {
	if path == "" {
		path = DefaultDockerConfig()
	}
	if path == "" {
		return Credential{}, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Credential{}, nil
	}
	if err != nil {
		return Credential{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return Credential{}, err
	}
	if len(data) > maxConfigSize {
		return Credential{}, invalidf("%s: over %d bytes", path, maxConfigSize)
	}
	var cfg dockerConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return Credential{}, invalidf("%s: %v", path, err)
	}
	key := host
	if host == "docker.io" {
		key = dockerHubConfigKey
	}
	helper := ""
	for k, h := range cfg.CredHelpers {
		if k == key || configKeyHost(k) == host {
			helper = h
			if k == key {
				break
			}
		}
	}
	if helper == "" {
		helper = cfg.CredsStore
	}
	if helper != "" {
		cred, err := runHelper(ctx, helper, key)
		if err != nil || !cred.anonymous() {
			return cred, err
		}
	}
	e, ok := cfg.Auths[key]
	if !ok {
		for k, v := range cfg.Auths {
			if configKeyHost(k) == host {
				e, ok = v, true
				break
			}
		}
	}
	if !ok {
		return Credential{}, nil
	}
	cred := Credential{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken, RegistryToken: e.RegistryToken}
	if e.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Auth))
		if err != nil {
			return Credential{}, invalidf("%s: auths[%q].auth is not base64", path, key)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return Credential{}, invalidf("%s: auths[%q].auth is not user:password", path, key)
		}
		cred.Username, cred.Password = user, pass
	}
	return cred, nil
}

// configKeyHost is the host a config.json key names: "https://h:5000/v1/"
// and "h:5000" both give "h:5000"; Docker Hub's keys give "docker.io".
func configKeyHost(k string) string {
	k = strings.ToLower(k)
	if i := strings.Index(k, "://"); i >= 0 {
		k = k[i+3:]
	}
	k, _, _ = strings.Cut(k, "/")
	return credentialHost(k)
}

// runHelper runs "docker-credential-<name> get" with serverURL on stdin,
// as the credential-helper protocol says.
func runHelper(ctx context.Context, name, serverURL string) (Credential, error) {
	out, err := runHelperCommand(ctx, name, "get", []byte(serverURL))
	if err != nil {
		if ctx.Err() == nil && strings.Contains(err.Error(), "credentials not found") {
			return Credential{}, nil
		}
		return Credential{}, err
	}
	var v struct {
		Username string `json:"Username"`
		Secret   string `json:"Secret"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return Credential{}, invalidf("docker-credential-%s get: output is not JSON", name)
	}
	if v.Username == "<token>" {
		return Credential{IdentityToken: v.Secret}, nil
	}
	return Credential{Username: v.Username, Password: v.Secret}, nil
}

// limitedBuffer keeps the first maxHelperOutput bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxHelperOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
