package dockerapi

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTimestamp reads a time as the docker CLI's --since and --until
// take it (events, logs) and as the Engine API's since and until
// parameters carry it:
//
//   - a duration before now, as Go writes it: "10m", "1h30m", "90s";
//   - a Unix time in seconds, with a fraction or not: "1700000000",
//     "1700000000.5";
//   - an RFC 3339 date or time, its seconds, minutes or time left out or
//     not, with a zone or in now's zone: "2024-01-02", "2024-01-02T15",
//     "2024-01-02T15:04", "2024-01-02T15:04:05", "2024-01-02T15:04:05.5",
//     "2024-01-02T15:04:05Z", "2024-01-02T15:04:05+02:00",
//     "2024-01-02Z07:00".
//
// Anything else is an error that names the value, as the CLI's.
func ParseTimestamp(value string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(value); err == nil && value != "0" {
		return now.Add(-d), nil
	}
	if !strings.Contains(value, "-") {
		if t, ok := parseUnix(value); ok {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q", value)
	}
	// A zone is there when the value has a Z, a +, or a - after the
	// date's two.
	zoned := strings.ContainsAny(value, "zZ+") || strings.Count(value, "-") == 3
	layout := "2006-01-02"
	if _, clock, ok := strings.Cut(value, "T"); ok {
		colons := strings.Count(clock, ":")
		if zoned && !strings.ContainsAny(clock, "zZ") && colons > 0 {
			colons-- // the zone's offset has one
		}
		layout += [...]string{"T15", "T15:04", "T15:04:05"}[min(colons, 2)]
		if strings.Contains(clock, ".") {
			layout += ".999999999"
		}
	}
	if zoned {
		t, err := time.Parse(layout+"Z07:00", value)
		if err != nil {
			return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q: %w", value, err)
		}
		return t, nil
	}
	t, err := time.ParseInLocation(layout, value, now.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q: %w", value, err)
	}
	return t, nil
}

// parseUnix reads seconds since the epoch, with an optional fraction
// ("1700000000.123").
func parseUnix(value string) (time.Time, bool) {
	secs, frac, hasFrac := strings.Cut(value, ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var ns int64
	if hasFrac {
		if frac == "" || len(frac) > 9 || strings.TrimLeft(frac, "0123456789") != "" {
			return time.Time{}, false
		}
		n, _ := strconv.ParseInt(frac, 10, 64)
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		ns = n
	}
	return time.Unix(s, ns), true
}

// FormatTimestamp writes t as the Engine API's since and until take it
// ("1700000000.000000000").
func FormatTimestamp(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}
