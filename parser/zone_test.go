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

// yearOf keeps a year per day; it must give, for every second, the year
// the nearest to Ref is, as it did worked out for each stamp: on the days
// half a year from Ref too, where the year changes within the day, and in
// a zone whose clocks change.
func TestYearOfAsEachStamp(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	nearest := func(ref time.Time, loc *time.Location, st stamp) int {
		ref = ref.In(loc)
		best, year := time.Duration(1<<63-1), 0
		for y := ref.Year() - 1; y <= ref.Year()+1; y++ {
			d := time.Date(y, time.Month(st.month), st.day, st.hour, st.minute, st.second, 0, loc).Sub(ref)
			if d < 0 {
				d = -d
			}
			if d < best {
				best, year = d, y
			}
		}
		return year
	}
	for _, loc := range []*time.Location{time.UTC, ny} {
		ref := time.Date(2026, 6, 15, 12, 34, 56, 0, loc)
		c := NewClock("x", loc, nil)
		c.Ref, c.RefNear = ref, true
		switched := 0
		for day := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2027; day = day.AddDate(0, 0, 1) {
			prev := 0
			for sec := 0; sec < 86400; sec += 397 {
				st := stamp{month: int(day.Month()), day: day.Day(), hour: sec / 3600, minute: sec / 60 % 60, second: sec % 60}
				want := nearest(ref, loc, st)
				require.Equal(t, want, c.yearOf(st), "%s %v", loc, st)
				if prev != 0 && want != prev {
					switched++
				}
				prev = want
			}
		}
		assert.Positive(t, switched, "%s: a day whose year changes within it was asked", loc)
	}
	// Without RefNear, a month after Ref's is the year before.
	c := NewClock("x", time.UTC, nil)
	c.Ref = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, 2026, c.yearOf(stamp{month: 3, day: 31}))
	assert.Equal(t, 2025, c.yearOf(stamp{month: 4, day: 1}))
	// A Ref set anew is read anew.
	c.Ref = time.Date(2027, 5, 2, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, 2027, c.yearOf(stamp{month: 4, day: 1}))
}

// TestClockCountsWhatAZoneMoves: a stamp whose instant depends on the
// source's zone is counted so (Naive; LocPlaced for an abbreviation only
// that zone places, at another offset than the table or UTC would), one
// that does not is not (Zoned, and Absolute for epoch seconds): the zone
// survey's tally relies on the counts to tell a reading in UTC from one
// in the source's zone.
func TestClockCountsWhatAZoneMoves(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	require.NoError(t, err)
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	tests := []struct {
		stamp                          string
		loc                            *time.Location
		naive, zoned, locPlaced, epoch int
	}{
		{"2026-11-26 17:15:09", jakarta, 1, 0, 0, 0},
		{"2026-11-26 17:15:09 +0700", jakarta, 0, 1, 0, 0},
		{"2026-11-26 17:15:09 WIB", jakarta, 0, 1, 0, 0},  // the zone and the table agree
		{"2026-11-26 17:15:09 WIB", time.UTC, 0, 1, 0, 0}, // the table places it
		{"2026-11-26 17:15:09 CST", chicago, 0, 1, 1, 0},  // only the zone places it: UTC would not
		{"2026-11-26 17:15:09 UTC", time.UTC, 0, 1, 0, 0}, // the zone places it where UTC does
		{"2026-11-26 17:15:09 XYZ", jakarta, 0, 1, 1, 0},  // unknown: read in the zone, not UTC
		{"2026-11-26 17:15:09 XYZ", time.UTC, 0, 1, 0, 0}, // unknown, read in UTC as UTC would
		{"2026-11-26 17:15:09 EST", chicago, 0, 1, 0, 0},  // Chicago does not use it: the table does
		{"2026-11-26 17:15:09 CDT", chicago, 0, 1, 0, 0},  // the table places it (not in November)
		{"2026-07-26 17:15:09 CDT", chicago, 0, 1, 0, 0},  // the zone, at the table's offset
	}
	for _, tc := range tests {
		t.Run(tc.stamp+" in "+tc.loc.String(), func(t *testing.T) {
			st, _, ok := scanStamp(tc.stamp, true)
			require.True(t, ok)
			c := NewClock("x.log", tc.loc, nil)
			c.instant(st, 1)
			assert.Equal(t, [4]int{tc.naive, tc.zoned, tc.locPlaced, tc.epoch}, [4]int{c.Naive, c.Zoned, c.LocPlaced, c.Absolute})
		})
	}
	t.Run("epoch seconds in a JSON record", func(t *testing.T) {
		c := NewClock("x.log", jakarta, nil)
		var ev Event
		require.True(t, setRecordTime(&ev, "1764152109.25", Line{Num: 1}, c))
		assert.Equal(t, [4]int{0, 0, 0, 1}, [4]int{c.Naive, c.Zoned, c.LocPlaced, c.Absolute})
		assert.Equal(t, int64(1764152109), ev.Time.Unix())
	})
}

// TestInstantsOfASecond holds the clock's instant, its second worked out
// once, to time.Date's for each line: fractions of one second and the
// next, across a DST change, in a zone and a fixed offset.
func TestInstantsOfASecond(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	c := NewClock("x.log", newYork, nil)
	var stamps []stamp
	for _, at := range [][6]int{{2026, 3, 8, 1, 59, 59}, {2026, 3, 8, 3, 0, 0}, {2026, 11, 1, 1, 30, 0}, {2026, 11, 27, 0, 15, 5}} {
		for _, nsec := range []int{0, 496_000_000, 999_999_999, 1_500_000_000} {
			stamps = append(stamps, stamp{year: at[0], month: at[1], day: at[2], hour: at[3], minute: at[4], second: at[5], nsec: nsec})
		}
	}
	for _, st := range stamps {
		want := time.Date(st.year, time.Month(st.month), st.day, st.hour, st.minute, st.second, st.nsec, newYork)
		assert.Equal(t, want, c.instant(st, 1), "%+v", st)
		st.hasOffset, st.zone, st.offset = true, "+0700", 7*3600
		want = time.Date(st.year, time.Month(st.month), st.day, st.hour, st.minute, st.second, st.nsec, time.FixedZone("+0700", 7*3600))
		got := c.instant(st, 1)
		assert.True(t, want.Equal(got) && got.Location().String() == "+0700", "%+v: %v", st, got)
	}
}
