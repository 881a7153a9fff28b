//go:build linux && cgo

package nsinit

// #cgo CFLAGS: -O2 -Wall -Wno-unused-result
import "C"

// Available reports whether the init constructor is linked into this
// binary; without cgo it is not, and containers cannot start.
const Available = true
