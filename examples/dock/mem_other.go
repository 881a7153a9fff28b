//go:build !linux

package main

// hostMemory is unknown here: containers run only on Linux.
func hostMemory() uint64 { return 0 }
