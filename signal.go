package dock

import (
	"syscall"

	"github.com/go-dock/dock/internal/signal"
)

// ParseSignal parses a signal as Docker accepts it: "SIGTERM", "TERM",
// "15", "RTMIN+3".
func ParseSignal(s string) (syscall.Signal, bool) { return signal.Parse(s) }
