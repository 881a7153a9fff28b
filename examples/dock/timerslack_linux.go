//go:build linux && cgo

// The constructor of timerslack.c raises the CLI's timer slack.

package main

import "C"
