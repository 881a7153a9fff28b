package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// listenUnix listens on the socket at path, mode 0660 with group gid (-1:
// the creator's): whoever may connect is root-equivalent. A socket that a
// live server answers on is left alone (dockd refuses to start); a stale
// one, left by a dockd that died, is replaced. Anything else at path (a
// file, a directory) is an error: dockd removes nothing but sockets.
func listenUnix(path string, gid int, log *slog.Logger) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := removeStaleSocket(path, log); err != nil {
		return nil, err
	}
	// Created with no access for the group or others, so that nobody
	// connects before the owner and mode are set. The umask is the
	// process's: nothing else creates files while dockd starts.
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if gid >= 0 {
		if err := os.Chown(path, -1, gid); err != nil {
			l.Close()
			return nil, fmt.Errorf("listen on %s: %w", path, err)
		}
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	return l, nil
}

// removeStaleSocket removes a socket at path that no server answers on.
func removeStaleSocket(path string, log *slog.Logger) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("listen on %s: it exists and is not a socket (%s); remove it or choose another -H", path, fi.Mode().Type())
	}
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("listen on %s: a server is already listening there (another dockd?)", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("listen on %s: cannot tell whether the socket is in use: %w", path, err)
	}
	log.Info("removing a stale socket", "path", path)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("listen on %s: %w", path, err)
	}
	return nil
}
