// Package signal names signals as Docker does, for the engine's ParseSignal
// and the builder's STOPSIGNAL.
package signal

import (
	"strconv"
	"strings"
	"syscall"
)

// signals maps Docker's signal names (without SIG) to numbers on Linux.
var signals = map[string]syscall.Signal{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6,
	"BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12,
	"PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18,
	"STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24,
	"XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29,
	"PWR": 30, "SYS": 31,
}

// Parse parses a signal as Docker accepts it: "SIGTERM", "TERM",
// "15", "RTMIN+3".
func Parse(s string) (syscall.Signal, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return syscall.Signal(n), n > 0 && n <= 64
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	if sig, ok := signals[name]; ok {
		return sig, true
	}
	if rest, ok := strings.CutPrefix(name, "RTMIN"); ok {
		n := 0
		if rest != "" {
			v, err := strconv.Atoi(strings.TrimPrefix(rest, "+"))
			if err != nil || v < 0 || v > 30 {
				return 0, false
			}
			n = v
		}
		return syscall.Signal(34 + n), true
	}
	return 0, false
}
