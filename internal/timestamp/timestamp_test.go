package timestamp

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	// now is in a zone of its own, +02:00, for the values without one.
	zone := time.FixedZone("X", 2*3600)
	now := time.Date(2024, 5, 1, 12, 30, 45, 500_000_000, zone)
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		// Durations back from now, to the second.
		{"10m", utc("2024-05-01T10:20:45Z")},
		{"1h30m", utc("2024-05-01T09:00:45Z")},
		{"1.5s", utc("2024-05-01T10:30:44Z")},
		{"-5s", utc("2024-05-01T10:30:50Z")},
		// RFC 3339 with a zone, at any precision.
		{"2024-04-30T08:00:00Z", utc("2024-04-30T08:00:00Z")},
		{"2024-04-30T08:00:00.123456789Z", utc("2024-04-30T08:00:00.123456789Z")},
		{"2024-04-30T08:00:00.5+01:00", utc("2024-04-30T07:00:00.5Z")},
		{"2024-04-30T08:00:00-03:00", utc("2024-04-30T11:00:00Z")},
		{"2024-04-30T08:00+01:00", utc("2024-04-30T07:00:00Z")},
		{"2024-04-30T08Z", utc("2024-04-30T08:00:00Z")},
		{"2024-04-30Z", utc("2024-04-30T00:00:00Z")},
		{"2024-04-30+01:00", utc("2024-04-29T23:00:00Z")},
		// Without a zone: now's.
		{"2024-04-30T08:00:00", utc("2024-04-30T06:00:00Z")},
		{"2024-04-30T08:00:00.25", utc("2024-04-30T06:00:00.25Z")},
		{"2024-04-30T08:10", utc("2024-04-30T06:10:00Z")},
		{"2024-04-30T08", utc("2024-04-30T06:00:00Z")},
		{"2024-04-30", utc("2024-04-29T22:00:00Z")},
		// Unix times.
		{"1700000000", time.Unix(1700000000, 0)},
		{"1700000000.5", time.Unix(1700000000, 500_000_000)},
		{"1700000000.000000001", time.Unix(1700000000, 1)},
		{"1700000000.1234567891", time.Unix(1700000000, 123456789)},
		{"0", time.Unix(0, 0)},
	} {
		got, err := Parse(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("Parse(%q) = %v, %v, want %v", tc.in, got, err, tc.want.UTC())
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "failed to parse value as time or duration"},
		{"yesterday", `failed to parse value as time or duration: "yesterday"`},
		{"10x", "failed to parse"},
		{"1700000000.", "failed to parse"},
		{"1700000000.5e3", "failed to parse"},
		{"2024-13-01", "month out of range"},
		{"2024-04-30T25:00:00Z", "hour out of range"},
		{"-1700000000", "cannot parse"},
	} {
		if got, err := Parse(tc.in, now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, %v, want an error with %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParse: any value (an Engine API query's since or until) parses or
// fails without a panic, and a Unix time comes back as itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"10m", "2024-04-30T08:00:00.5+01:00", "2024-04-30", "1700000000.5", "0", ""} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s, now)
		if err != nil {
			return
		}
		if u, ok := parseUnix(s); ok && !strings.ContainsAny(s, "-") && !got.Equal(u) {
			if _, derr := time.ParseDuration(s); derr != nil {
				t.Errorf("Parse(%q) = %v, want the Unix time %v", s, got, u)
			}
		}
	})
}
