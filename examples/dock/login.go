package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/go-dock/dock"
)

// cmdLogin is docker login: the library checks the credentials with the
// registry (GET /v2/ with them, token auth included) and stores them in
// Docker's config.json, through its credential helper (credsStore,
// credHelpers) when it names one, where Pull and Push find them.
func cmdLogin(ctx context.Context, c *cli, args []string) error {
	var user, password string
	var passwordStdin bool
	fs := newFlagSet("login", true)
	fs.String(&user, "u,username", "Username")
	fs.String(&password, "p,password", "Password")
	fs.Bool(&passwordStdin, "password-stdin", "Take the password from stdin")
	args, err := fs.ParseArgs(args, 0, 1)
	if err != nil {
		return err
	}
	server := "docker.io"
	if len(args) == 1 {
		server = args[0]
	}
	if password != "" && passwordStdin {
		return fs.errorf("--password and --password-stdin are mutually exclusive")
	}
	in := bufio.NewReader(c.stdin)
	if user == "" {
		if passwordStdin || !isTerminal(c.stdin) {
			return fs.errorf("Must provide --username with --password-stdin")
		}
		fmt.Fprint(c.stdout, "Username: ")
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read username: %w", err)
		}
		user = strings.TrimSpace(line)
	}
	switch {
	case passwordStdin:
		b, err := io.ReadAll(in)
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	case password != "":
		fmt.Fprintln(c.stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
	case isTerminal(c.stdin):
		fmt.Fprint(c.stdout, "Password: ")
		password, err = readPassword(c.stdin, in)
		fmt.Fprintln(c.stdout)
		if err != nil {
			return err
		}
	default:
		return fs.errorf("Must provide --password or --password-stdin")
	}
	if user == "" || password == "" {
		return errors.New("error: username and password are required")
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	if err := e.Login(ctx, server, user, password); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "Login Succeeded")
	return nil
}

// readPassword reads a line from the terminal f without echo.
func readPassword(f *os.File, in *bufio.Reader) (string, error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return "", err
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &noEcho); err != nil {
		return "", err
	}
	defer unix.IoctlSetTermios(fd, ioctlSetTermios, old)
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// cmdLogout is docker logout: it removes the credentials of a registry
// from Docker's config.json and from its credential helper.
func cmdLogout(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("logout", true)
	args, err := fs.ParseArgs(args, 0, 1)
	if err != nil {
		return err
	}
	server := "docker.io"
	if len(args) == 1 {
		server = args[0]
	}
	key, err := dock.RegistryKey(server)
	if err != nil {
		return err
	}
	e, err := c.open()
	if err != nil {
		return err
	}
	defer e.Close()
	err = e.Logout(ctx, server)
	if errors.Is(err, dock.ErrNotFound) {
		fmt.Fprintf(c.stdout, "Not logged in to %s\n", key)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Removing login credentials for %s\n", key)
	return nil
}
