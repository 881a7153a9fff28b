//go:build linux && !cgo

package nsinit

// TakePrespawned returns nil: without cgo there is no init to prespawn.
func TakePrespawned(flags uintptr) *Prespawned { return nil }

// PrespawnedWaiting reports false: without cgo there is no init to prespawn.
func PrespawnedWaiting() bool { return false }
