package parser

import (
	"bufio"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestZoneFromCollector feeds the capture's runserver lines as a collector
// hands them on, each with the time it recorded, and expects the clock to
// see how far the program's naive times are from those: its zone. Lines a
// collector held back, and collectors that write no zone themselves, must
// not sway it.
func TestZoneFromCollector(t *testing.T) {
	f, err := os.Open("../testdata/login-storm-psycopg2/logs/runserver_8000.err.log")
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	require.NotEmpty(t, lines)
	jakarta := time.FixedZone("WIB", 7*3600)

	tests := []struct {
		name string
		// stamp is what the collector recorded for line i, given the
		// time the program wrote on it (zero when it wrote none).
		stamp        func(i int, written time.Time) time.Time
		naive        bool
		wantOffset   time.Duration
		wantAllAgree bool
		wantNone     bool
	}{
		{name: "UTC collector, program in UTC+7", wantOffset: 7 * time.Hour, wantAllAgree: true,
			stamp: func(_ int, w time.Time) time.Time { return w.Add(3 * time.Millisecond).UTC() }},
		{name: "collector in its own zone, program in UTC+7", wantOffset: 7 * time.Hour, wantAllAgree: true,
			stamp: func(_ int, w time.Time) time.Time { return w.In(time.FixedZone("", -5*3600)) }},
		{name: "one line in ten held back 20 minutes", wantOffset: 7 * time.Hour,
			stamp: func(i int, w time.Time) time.Time {
				if i%10 == 0 {
					return w.Add(20 * time.Minute)
				}
				return w
			}},
		{name: "a collector's naive times say nothing", naive: true, wantNone: true,
			stamp: func(_ int, w time.Time) time.Time { return w }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var clock *Clock
			d := NewDemux("web.log", func(name string) *Clock {
				// The program's naive times are read as UTC, as a survey
				// reads them: the tally must not depend on the zone.
				clock = NewClock(name, time.UTC, nil)
				return clock
			}, func(Event) {})
			_, ok := d.Start(lines[:50])
			require.True(t, ok)
			var written time.Time
			for i, text := range lines {
				if len(text) > 21 && text[0] == '[' {
					ts, err := time.ParseInLocation("02/Jan/2006 15:04:05", text[1:21], jakarta)
					require.NoError(t, err, text)
					written = ts
				}
				l := Line{Num: i + 1, Text: text, StampNaive: tt.naive}
				if !written.IsZero() {
					l.Stamp = tt.stamp(i, written)
				}
				d.Feed(l)
			}
			d.Flush()
			require.NotNil(t, clock)
			off, agree, compared := clock.ZoneFromCollector()
			if tt.wantNone {
				assert.Zero(t, compared)
				return
			}
			require.Positive(t, compared)
			assert.Equal(t, tt.wantOffset, off)
			assert.LessOrEqual(t, compared, clock.Naive)
			if tt.wantAllAgree {
				assert.Equal(t, compared, agree)
			} else {
				assert.Less(t, agree, compared)
				assert.GreaterOrEqual(t, float64(agree), 0.85*float64(compared))
			}
		})
	}
}
