//go:build !linux

package dock

// newEventWatch polls: inotify is Linux's.
func newEventWatch(dir string) eventWatch { return pollWatch{} }
