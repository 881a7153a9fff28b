// Package timestamp reads the points in time that docker's --since and
// --until flags take (docker logs, docker events, the prune filters' until):
// a duration back from now ("10m", "1h30m"), an RFC 3339 date and time with
// or without fractions and zone, a date alone, or a Unix time in seconds
// with an optional fraction ("1700000000.5").
package timestamp

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Parse returns the time that value names, with now as the reference of
// relative values (durations, and the zone of values without one).
//
// The rules are docker's, so that a command line means the same with both:
//
//   - A Go duration other than "0" is that long before now, truncated to
//     the second as docker truncates it: "10m", "1h30m", "-5s" (ahead).
//   - A value with a zone (Z, +hh:mm, or a third "-" for -hh:mm) is read
//     as RFC 3339, where the time may stop at the hour or the minute or be
//     absent: "2024-05-01T10:00:00Z", "2024-05-01T10:00+02:00",
//     "2024-05-01Z", with fractions of a second when there is a ".".
//   - The same without a zone is in now's zone: "2024-05-01T10:00:00",
//     "2024-05-01T10", "2024-05-01".
//   - Anything else without a "-" is a Unix time: "1700000000",
//     "1700000000.123456789" (a fraction beyond nanoseconds is cut).
func Parse(value string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(value); err == nil && value != "0" {
		return time.Unix(now.Add(-d).Unix(), 0), nil
	}
	zoned := strings.ContainsAny(value, "zZ+") || strings.Count(value, "-") == 3
	layout := pickLayout(value, zoned)
	var t time.Time
	var err error
	if zoned {
		t, err = time.Parse(layout, value)
	} else {
		t, err = time.ParseInLocation(layout, value, time.FixedZone(now.Zone()))
	}
	if err == nil {
		return t, nil
	}
	if strings.Contains(value, "-") {
		return time.Time{}, err // a date that does not parse: say why
	}
	if t, ok := parseUnix(value); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q", value)
}

// pickLayout chooses the layout from what value holds: a fraction, a time
// and how many of its parts (colons), a zone.
func pickLayout(value string, zoned bool) string {
	switch {
	case strings.Contains(value, "."):
		if zoned {
			return time.RFC3339Nano
		}
		return "2006-01-02T15:04:05.999999999"
	case strings.Contains(value, "T"):
		colons := strings.Count(value, ":")
		if zoned && !strings.ContainsAny(value, "zZ") && colons > 0 {
			colons-- // the one of the zone's +hh:mm
		}
		layouts := [3]string{"2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05"}
		l := layouts[min(colons, 2)]
		if zoned {
			l += "Z07:00"
		}
		return l
	case zoned:
		return "2006-01-02Z07:00"
	default:
		return "2006-01-02"
	}
}

// parseUnix reads "seconds" or "seconds.fraction".
func parseUnix(value string) (time.Time, bool) {
	s, frac, hasFrac := strings.Cut(value, ".")
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var nsec int64
	if hasFrac {
		if frac == "" || strings.TrimLeft(frac, "0123456789") != "" {
			return time.Time{}, false
		}
		frac = (frac + "000000000")[:9]
		nsec, _ = strconv.ParseInt(frac, 10, 64)
	}
	return time.Unix(sec, nsec), true
}
