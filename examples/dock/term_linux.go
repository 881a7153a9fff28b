package main

import "golang.org/x/sys/unix"

// The termios ioctls, which other systems name differently.
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)
