// Package procstat reads what /proc/PID/stat says of a process: when it
// started, and whether it still runs. A PID and its start time together
// name a process for good (a PID alone is reused).
package procstat

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
)

// fields returns the fields of /proc/PID/stat after the command name
// (which may hold spaces and parentheses), starting with the state.
func fields(pid int) ([]string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return nil, errors.New("malformed stat")
	}
	return f, nil
}

// StartTime is the process's start time, in clock ticks since boot.
func StartTime(pid int) (uint64, error) {
	f, err := fields(pid)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// SelfStartTime is StartTime of this process, read once.
func SelfStartTime() (uint64, error) { return self() }

var self = sync.OnceValues(func() (uint64, error) { return StartTime(os.Getpid()) })

// Alive reports whether the process pid runs and, when start is not 0,
// is the one that started then. A zombie is dead. This process is alive
// without a read of /proc (the kernel makes up the whole stat line,
// summing every thread of a process, for each read).
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		if s, err := self(); err == nil {
			return start == 0 || s == start
		}
	}
	f, err := fields(pid)
	if err != nil || f[0] == "Z" {
		return false
	}
	got, err := strconv.ParseUint(f[19], 10, 64)
	return err == nil && (start == 0 || got == start)
}

// Parent is the process's parent's PID.
func Parent(pid int) (int, error) {
	f, err := fields(pid)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(f[1])
}
