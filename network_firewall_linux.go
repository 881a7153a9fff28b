package dock

import "github.com/go-dock/dock/internal/netstate"

func applyFirewall(*netstate.State) error { return nil }
