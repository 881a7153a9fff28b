//go:build linux && cgo

package prespawn

import "C"

// The constructor that acts on the request is the init's.
import _ "github.com/go-dock/dock/internal/nsinit"
