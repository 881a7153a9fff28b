//go:build !linux

package dockerapi

func kernelVersion() string { return "" }

func unameAndMemory(arch string) (kernel, machine string, mem int64) { return "", arch, 0 }
