package distribution

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The writing side of Docker's config.json, as docker login and logout
// keep it: the credentials of a registry go to its credential helper
// (credHelpers[key], else credsStore) when there is one, with an empty
// entry in auths that says "logged in"; else to auths[key], base64
// user:password. Every other field of the file is kept.

// ConfigKey is the key of host ("docker.io", "host[:port]") in
// config.json, as docker writes it: "https://index.docker.io/v1/" for
// Docker Hub, the host for the others.
func ConfigKey(host string) string {
	if credentialHost(strings.ToLower(host)) == "docker.io" {
		return dockerHubConfigKey
	}
	return host
}

// StoreCredential saves cred for host in the Docker config at path
// (default DefaultDockerConfig), as docker login does: through the
// credential helper of host when the config names one (its "store"
// command), else in auths. cred needs a Username.
func StoreCredential(ctx context.Context, path, host string, cred Credential) error {
	if cred.Username == "" {
		return invalidf("store credentials: no user name")
	}
	key := ConfigKey(host)
	return editConfig(path, func(cfg *editableConfig) error {
		entry := map[string]string{}
		if helper := cfg.helper(key, host); helper != "" {
			v := struct{ ServerURL, Username, Secret string }{key, cred.Username, cred.Password}
			in, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if _, err := runHelperCommand(ctx, helper, "store", in); err != nil {
				return err
			}
		} else {
			entry["auth"] = base64.StdEncoding.EncodeToString([]byte(cred.Username + ":" + cred.Password))
		}
		cfg.auths[key], _ = json.Marshal(entry)
		return nil
	})
}

// EraseCredential removes the credentials of host from the Docker config
// at path (default DefaultDockerConfig) and from its credential helper
// ("erase"), as docker logout does, and reports whether host had an entry
// in auths; without one nothing is changed, as with docker. The entry goes
// even when the helper fails: its error is returned after (a
// *HelperError), as docker warns of it.
func EraseCredential(ctx context.Context, path, host string) (found bool, err error) {
	key := ConfigKey(host)
	var helperErr error
	err = editConfig(path, func(cfg *editableConfig) error {
		for k := range cfg.auths {
			if k == key || configKeyHost(k) == credentialHost(strings.ToLower(host)) {
				delete(cfg.auths, k)
				found = true
			}
		}
		if !found {
			return errUnchanged
		}
		if helper := cfg.helper(key, host); helper != "" {
			if _, err := runHelperCommand(ctx, helper, "erase", []byte(key)); err != nil &&
				!strings.Contains(err.Error(), "credentials not found") {
				helperErr = &HelperError{err: err}
			}
		}
		return nil
	})
	if err != nil {
		return found, err
	}
	return found, helperErr
}

// HelperError is the failure of a credential helper's erase, after which
// EraseCredential still removed the entry of config.json.
type HelperError struct{ err error }

func (e *HelperError) Error() string { return e.err.Error() }
func (e *HelperError) Unwrap() error { return e.err }

// editableConfig is config.json as a map, to keep the fields this
// package does not know, with the parts it edits decoded.
type editableConfig struct {
	all         map[string]json.RawMessage
	auths       map[string]json.RawMessage
	credsStore  string
	credHelpers map[string]string
}

// helper is the credential helper for key (or host), "" for none.
func (c *editableConfig) helper(key, host string) string {
	if h, ok := c.credHelpers[key]; ok {
		return h
	}
	for k, h := range c.credHelpers {
		if configKeyHost(k) == credentialHost(strings.ToLower(host)) {
			return h
		}
	}
	return c.credsStore
}

// errUnchanged makes editConfig leave the file as it was.
var errUnchanged = errors.New("unchanged")

// editConfig reads the config at path, lets edit change it and writes it
// back atomically with mode 0600 (the directory made 0700 when missing).
func editConfig(path string, edit func(*editableConfig) error) error {
	if path == "" {
		path = DefaultDockerConfig()
	}
	if path == "" {
		return invalidf("no Docker config: no $DOCKER_CONFIG and no home directory")
	}
	cfg := &editableConfig{all: map[string]json.RawMessage{}, auths: map[string]json.RawMessage{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(data) > maxConfigSize:
		return invalidf("%s: over %d bytes", path, maxConfigSize)
	default:
		if err := json.Unmarshal(data, &cfg.all); err != nil {
			return invalidf("%s: %v", path, err)
		}
		for name, v := range map[string]any{"auths": &cfg.auths, "credsStore": &cfg.credsStore, "credHelpers": &cfg.credHelpers} {
			if raw, ok := cfg.all[name]; ok {
				if err := json.Unmarshal(raw, v); err != nil {
					return invalidf("%s: %s: %v", path, name, err)
				}
			}
		}
		if cfg.auths == nil { // "auths": null
			cfg.auths = map[string]json.RawMessage{}
		}
	}
	if err := edit(cfg); err != nil {
		if err == errUnchanged {
			return nil
		}
		return err
	}
	if cfg.all["auths"], err = json.Marshal(cfg.auths); err != nil {
		return err
	}
	out, err := json.MarshalIndent(cfg.all, "", "\t")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(out, '\n'), 0o600)
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so that a reader sees the old file or the new one.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// runHelperCommand runs "docker-credential-<name> <action>" with input on
// stdin, as the credential-helper protocol says, and returns its output.
// A failure carries the helper's message (its stdout, then stderr).
func runHelperCommand(ctx context.Context, name, action string, input []byte) ([]byte, error) {
	if !helperNameRE.MatchString(name) {
		return nil, invalidf("credential helper name %q", name)
	}
	ctx, cancel := context.WithTimeout(ctx, helperTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker-credential-"+name, action)
	cmd.Stdin = bytes.NewReader(input)
	var stdout, stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	out := bytes.TrimSpace(stdout.Bytes())
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("docker-credential-%s %s: %w", name, action, ctx.Err())
		}
		msg := strings.TrimSpace(string(out) + " " + stderr.String())
		return nil, fmt.Errorf("docker-credential-%s %s: %w: %s", name, action, err, clean(msg, 300))
	}
	return out, nil
}
