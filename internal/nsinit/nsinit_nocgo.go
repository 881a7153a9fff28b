//go:build !(linux && cgo)

package nsinit

// Available reports whether the init constructor is linked into this
// binary; without cgo it is not, and containers cannot start.
const Available = false
