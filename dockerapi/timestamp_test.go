package dockerapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseTimestamp(t *testing.T) {
	zone := time.FixedZone("X", 2*3600)
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, zone)
	for _, tc := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{in: "10m", want: now.Add(-10 * time.Minute)},
		{in: "1h30m", want: now.Add(-90 * time.Minute)},
		{in: "0", want: time.Unix(0, 0)},
		{in: "1700000000", want: time.Unix(1700000000, 0)},
		{in: "1700000000.5", want: time.Unix(1700000000, 500000000)},
		{in: "1700000000.000000001", want: time.Unix(1700000000, 1)},
		{in: "2024-01-02", want: time.Date(2024, 1, 2, 0, 0, 0, 0, zone)},
		{in: "2024-01-02T15", want: time.Date(2024, 1, 2, 15, 0, 0, 0, zone)},
		{in: "2024-01-02T15:04", want: time.Date(2024, 1, 2, 15, 4, 0, 0, zone)},
		{in: "2024-01-02T15:04:05", want: time.Date(2024, 1, 2, 15, 4, 5, 0, zone)},
		{in: "2024-01-02T15:04:05.25", want: time.Date(2024, 1, 2, 15, 4, 5, 250000000, zone)},
		{in: "2024-01-02T15:04:05Z", want: time.Date(2024, 1, 2, 15, 4, 5, 0, time.UTC)},
		{in: "2024-01-02T15:04:05.5Z", want: time.Date(2024, 1, 2, 15, 4, 5, 500000000, time.UTC)},
		{in: "2024-01-02T15:04:05+01:00", want: time.Date(2024, 1, 2, 14, 4, 5, 0, time.UTC)},
		{in: "2024-01-02T15:04:05-01:00", want: time.Date(2024, 1, 2, 16, 4, 5, 0, time.UTC)},
		{in: "2024-01-02T15:04Z", want: time.Date(2024, 1, 2, 15, 4, 0, 0, time.UTC)},
		{in: "2024-01-02Z", want: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{in: "yesterday", err: `failed to parse value as time or duration: "yesterday"`},
		{in: "", err: `failed to parse value as time or duration: ""`},
		{in: "1700000000.x", err: `failed to parse value as time or duration: "1700000000.x"`},
		{in: "2024-13-02", err: `failed to parse value as time or duration: "2024-13-02"`},
	} {
		got, err := ParseTimestamp(tc.in, now)
		if tc.err != "" {
			if assert.Error(t, err, "ParseTimestamp(%q)", tc.in) {
				assert.Contains(t, err.Error(), tc.err, "ParseTimestamp(%q)", tc.in)
			}
			continue
		}
		if assert.NoError(t, err, "ParseTimestamp(%q)", tc.in) {
			assert.True(t, tc.want.Equal(got), "ParseTimestamp(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	assert.Equal(t, "1700000000.000000005", FormatTimestamp(time.Unix(1700000000, 5)))
}
