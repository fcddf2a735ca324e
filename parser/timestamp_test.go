package parser

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScanStamp(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	tests := []struct {
		in       string
		wantWord bool
		want     string // RFC 3339 in UTC; "" = not a timestamp
		n        int
		prec     time.Duration
	}{
		{"2026-11-27 00:15:05,496 log 1 2", false, "2026-11-26T17:15:05.496Z", 23, time.Millisecond},
		{"2026-11-26 17:15:02.783 UTC [28431] LOG", true, "2026-11-26T17:15:02.783Z", 27, time.Millisecond},
		{"2026-11-26 17:15:02 UTC [1]", true, "2026-11-26T17:15:02Z", 23, time.Second},
		{"27/Nov/2026 00:15:05] \"GET", false, "2026-11-26T17:15:05Z", 20, time.Second},
		{"27/Nov/2026 00:08:34,981] - Broken", false, "2026-11-26T17:08:34.981Z", 24, time.Millisecond},
		{"26/Nov/2026:10:26:40 -0600] \"GET", false, "2026-11-26T16:26:40Z", 26, time.Second},
		{"2026-11-26 16:26:43 +0000] [9791]", false, "2026-11-26T16:26:43Z", 25, time.Second},
		{"2026-11-26T16:26:43.123456Z rest", false, "2026-11-26T16:26:43.123456Z", 27, time.Microsecond},
		{"2026-11-26T23:26:43+07:00 x", false, "2026-11-26T16:26:43Z", 25, time.Second},
		{"2026-11-26 23:26:43 +07 x", false, "2026-11-26T16:26:43Z", 23, time.Second},
		{"2026-11-26 17:00:00 CET x", false, "2026-11-26T16:00:00Z", 23, time.Second},
		{"26 Nov 2026 16:25:18.155 * Ready", false, "2026-11-26T09:25:18.155Z", 24, time.Millisecond},
		{"2026/11/27 00:15:05 x", false, "2026-11-26T17:15:05Z", 19, time.Second},
		{"November 27, 2026 - 00:15:02", false, "2026-11-26T17:15:02Z", 28, time.Second},
		// A level name after asctime is no zone.
		{"2026-11-27 00:15:02,832 INFO auth_debug:", false, "2026-11-26T17:15:02.832Z", 23, time.Millisecond},
		{"2026-13-27 00:15:02", false, "", 0, 0},
		{"2026-11-27 25:15:02", false, "", 0, 0},
		{"27/Xyz/2026 00:15:05]", false, "", 0, 0},
		{"Traceback (most recent call last):", false, "", 0, 0},
		{"", false, "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			st, n, ok := scanStamp(tc.in, tc.wantWord)
			if tc.want == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			got := NewClock("x", jakarta, nil).instant(st, 1)
			assert.Equal(t, tc.want, got.UTC().Format(time.RFC3339Nano))
			assert.Equal(t, tc.n, n)
			assert.Equal(t, tc.prec, st.precision)
		})
	}
}

// TestZoneAbbreviations: an abbreviation is placed by the source's own zone
// first (CST in Chicago is not CST in Shanghai), then by the table of
// unambiguous ones; anything else is read in the source's zone with a
// warning, never as UTC.
func TestZoneAbbreviations(t *testing.T) {
	load := func(name string) *time.Location {
		l, err := time.LoadLocation(name)
		require.NoError(t, err)
		return l
	}
	tests := []struct {
		line string
		loc  string
		want string
		warn bool
	}{
		{"2026-11-26 17:15:02.783 UTC [1] LOG x", "Asia/Jakarta", "2026-11-26T17:15:02.783Z", false},
		{"2026-11-26 10:00:00.000 CST [1] LOG x", "America/Chicago", "2026-11-26T16:00:00Z", false},
		{"2026-11-26 10:00:00.000 CST [1] LOG x", "Asia/Shanghai", "2026-11-26T02:00:00Z", false},
		{"2026-11-27 00:15:02.000 WIB [1] LOG x", "UTC", "2026-11-26T17:15:02Z", false},
		{"2026-07-01 12:00:00.000 BST [1] LOG x", "Europe/London", "2026-07-01T11:00:00Z", false},
		// BST is ambiguous (British, Bangladesh): outside London it is not guessed.
		{"2026-07-01 12:00:00.000 BST [1] LOG x", "Asia/Jakarta", "2026-07-01T05:00:00Z", true},
		{"2026-11-26 12:00:00.000 XYZ [1] LOG x", "Asia/Jakarta", "2026-11-26T05:00:00Z", true},
	}
	for _, tc := range tests {
		t.Run(tc.line+" in "+tc.loc, func(t *testing.T) {
			var warnings []string
			var evs []Event
			p := NewPgBouncer(NewClock("pgbouncer.log", load(tc.loc), func(w string) { warnings = append(warnings, w) }),
				func(ev Event) { evs = append(evs, ev) })
			p.Feed(Line{Num: 7, Text: tc.line})
			p.Feed(Line{Num: 8, Text: tc.line})
			p.Flush()
			require.Len(t, evs, 2)
			assert.Equal(t, tc.want, evs[0].Time.UTC().Format(time.RFC3339Nano))
			if tc.warn {
				require.Len(t, warnings, 1, "warned once per source and abbreviation")
				assert.Contains(t, warnings[0], "pgbouncer.log:7")
				assert.Contains(t, warnings[0], "--tz")
			} else {
				assert.Empty(t, warnings)
			}
		})
	}
}

func TestClean(t *testing.T) {
	assert.Equal(t, `[27/Nov/2026 00:15:05] "GET / HTTP/1.1" 500 1`, Clean("\x1b[31;1m[27/Nov/2026 00:15:05] \"GET / HTTP/1.1\" 500 1\x1b[0m\r"))
	assert.Equal(t, "plain", Clean("plain"))
	assert.Equal(t, "a\x1bb", Clean("a\x1bb"), "a lone ESC is kept")
	assert.Equal(t, strings.Repeat("x", 10), Clean(strings.Repeat("x", 10)+"\r"))
}
