//go:build darwin || freebsd || netbsd || openbsd

package main

import "golang.org/x/sys/unix"

// The termios ioctls, which other systems name differently.
const (
	ioctlGetTermios = unix.TIOCGETA
	ioctlSetTermios = unix.TIOCSETA
)
