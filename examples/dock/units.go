package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"

	"github.com/go-dock/dock"
)

// parseBytes parses a size as docker run --memory takes it (go-units
// RAMInBytes): a number, optionally with a fraction, then an optional
// binary unit b, k, m, g, t or p (any case, "kb", "kib" and "k" alike):
// "64m", "1g", "512k", "1.5g", "4096".
func parseBytes(s string) (int64, error) { return parseSize(s, 1024) }

// parseDecimalSize parses a size as docker's json-file log driver takes
// max-size (go-units FromHumanSize): the syntax of parseBytes, but k is
// 1000, m 1000000 and so on, whether or not an "i" follows.
func parseDecimalSize(s string) (int64, error) { return parseSize(s, 1000) }

// parseSize parses the syntax of parseBytes, each unit being base times
// the one before.
func parseSize(s string, base int64) (int64, error) {
	num := strings.TrimSpace(s)
	lower := strings.ToLower(num)
	mult := int64(1)
	// Strip an optional "b", then an optional "i", then the unit letter.
	lower = strings.TrimSuffix(lower, "b")
	if strings.HasSuffix(lower, "i") && len(lower) > 1 && strings.ContainsRune("kmgtp", rune(lower[len(lower)-2])) {
		lower = lower[:len(lower)-1]
	}
	if n := len(lower); n > 0 {
		if i := strings.IndexByte("kmgtp", lower[n-1]); i >= 0 {
			for range i + 1 {
				mult *= base
			}
			lower = lower[:n-1]
		}
	}
	lower = strings.TrimSuffix(lower, " ")
	if lower == "" || strings.IndexFunc(lower, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) >= 0 {
		return 0, fmt.Errorf("invalid size: %q", s)
	}
	f, err := strconv.ParseFloat(lower, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size: %q", s)
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// ulimitNames are the limits docker run --ulimit accepts.
var ulimitNames = map[string]bool{
	"core": true, "cpu": true, "data": true, "fsize": true, "locks": true,
	"memlock": true, "msgqueue": true, "nice": true, "nofile": true,
	"nproc": true, "rss": true, "rtprio": true, "rttime": true,
	"sigpending": true, "stack": true,
}

// parseUlimit parses name=soft[:hard]; without hard, hard is soft.
func parseUlimit(s string) (dock.Ulimit, error) {
	name, limits, ok := strings.Cut(s, "=")
	if !ok {
		return dock.Ulimit{}, fmt.Errorf("invalid ulimit argument: %s", s)
	}
	if !ulimitNames[name] {
		return dock.Ulimit{}, fmt.Errorf("invalid ulimit type: %s", name)
	}
	softS, hardS, hasHard := strings.Cut(limits, ":")
	soft, err := strconv.ParseInt(softS, 10, 64)
	if err != nil || soft < 0 {
		return dock.Ulimit{}, fmt.Errorf("invalid ulimit soft value: %q", softS)
	}
	hard := soft
	if hasHard {
		hard, err = strconv.ParseInt(hardS, 10, 64)
		if err != nil || hard < 0 {
			return dock.Ulimit{}, fmt.Errorf("invalid ulimit hard value: %q", hardS)
		}
	}
	if soft > hard {
		return dock.Ulimit{}, errors.New("ulimit soft limit must be less than or equal to hard limit")
	}
	return dock.Ulimit{Name: name, Soft: soft, Hard: hard}, nil
}

// humanSize formats a size in decimal units with 3 significant digits, as
// docker images does ("4.26MB").
func humanSize(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

// humanSize4 is docker's units.HumanSize: 4 significant digits
// ("20.63MB"), as docker system df writes sizes.
func humanSize4(n int64) string { return units.HumanSize(float64(n)) }

// bytesSize formats a size in binary units, as docker stats does
// ("1.52MiB").
func bytesSize(n uint64) string { return units.BytesSize(float64(n)) }

// humanDuration is go-units HumanDuration, which docker ps and docker
// images use: "Less than a second", "About a minute", "3 hours".
func humanDuration(d time.Duration) string { return units.HumanDuration(d) }
