package dock

import (
	"strings"

	"golang.org/x/sys/unix"
)

// tmpfsFlags are the mount options that are flags of mount(2), not data
// for tmpfs: each sets or clears its flag.
var tmpfsFlags = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
	"nosuid": {false, unix.MS_NOSUID}, "suid": {true, unix.MS_NOSUID},
	"nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
	"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC},
	"sync": {false, unix.MS_SYNCHRONOUS}, "async": {true, unix.MS_SYNCHRONOUS},
	"dirsync": {false, unix.MS_DIRSYNC},
	"noatime": {false, unix.MS_NOATIME}, "atime": {true, unix.MS_NOATIME},
	"nodiratime": {false, unix.MS_NODIRATIME}, "diratime": {true, unix.MS_NODIRATIME},
	"relatime": {false, unix.MS_RELATIME}, "norelatime": {true, unix.MS_RELATIME},
	"strictatime": {false, unix.MS_STRICTATIME}, "nostrictatime": {true, unix.MS_STRICTATIME},
	"defaults": {},
}

// tmpfsPropagation are the propagation options Docker accepts on a tmpfs
// and that change nothing here: the container's mounts are its own.
var tmpfsPropagation = map[string]bool{
	"private": true, "rprivate": true, "shared": true, "rshared": true,
	"slave": true, "rslave": true, "unbindable": true, "runbindable": true,
}

// tmpfsOptions turns a tmpfs mount's options into mount(2) flags and the
// data string, as Docker does: its defaults noexec, nosuid and nodev
// first, then the options in order (exec, suid or dev undo a default;
// the last of two conflicting flags wins, and so does the last value of
// a data key such as size), and readOnly last.
func tmpfsOptions(opts []string, readOnly bool) (flags uintptr, data string) {
	flags = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV
	var keys []string
	values := map[string]string{}
	for _, o := range opts {
		if f, ok := tmpfsFlags[o]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
			continue
		}
		if tmpfsPropagation[o] || o == "" {
			continue
		}
		k, _, _ := strings.Cut(o, "=")
		if _, seen := values[k]; !seen {
			keys = append(keys, k)
		}
		values[k] = o
	}
	if readOnly {
		flags |= unix.MS_RDONLY
	}
	list := make([]string, len(keys))
	for i, k := range keys {
		list[i] = values[k]
	}
	return flags, strings.Join(list, ",")
}
