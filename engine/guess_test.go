package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/verdict"
)

// openAll opens dir's files as analyze does, their naive times in loc.
func openAll(t *testing.T, dir string, loc *time.Location, cat *Catalog) []*source.Stream {
	t.Helper()
	opts := &source.Options{Loc: loc, OnPart: cat.Found}
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	sort.Strings(names)
	var streams []*source.Stream
	for _, name := range names {
		s, err := source.Open(source.Input{Name: name, Path: name}, opts)
		if errors.Is(err, source.ErrEmpty) {
			continue
		}
		require.NoError(t, err, name)
		t.Cleanup(func() { s.Close() })
		streams = append(streams, s)
	}
	return streams
}

// TestTalliesAreTheSurvey holds what the merge tallies (Survey,
// SurveyedClocks) to the zone survey's second reading (EstimateClocks):
// every capture read in zones east, west and at UTC, one with summer time,
// gives the same estimates, scores and notes, or says it cannot stand for
// the survey. A guess of the zones relies on it: the run stands when the
// tallies' zones are those it was read in.
func TestTalliesAreTheSurvey(t *testing.T) {
	captures, err := filepath.Glob("../testdata/captures/*/logs")
	require.NoError(t, err)
	captures = append(captures, "../testdata/login-storm-psycopg2/logs")
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	zones := []*time.Location{time.UTC, time.FixedZone("UTC+07:00", 7*3600), time.FixedZone("UTC-05:30", -(5*3600 + 1800)), newYork}
	never := func(string) bool { return false }
	exactAway := 0
	for _, logs := range captures {
		name := filepath.Base(filepath.Dir(logs))
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name != "login-storm-psycopg2" {
				t.Skip("one capture in -short")
			}
			dir := captureDir(t, logs)
			surveyed := EstimateClocks(never, &source.Options{Loc: time.UTC}, openAll(t, dir, time.UTC, NewCatalog()), NewCatalog(), &locust.Run{})
			require.NotEmpty(t, surveyed, "a capture of naive times has zones to find")
			for _, loc := range zones {
				cat := NewCatalog()
				streams := openAll(t, dir, loc, cat)
				eng := New(correlate.DefaultConfig(), &kept{}, cat, func(string) {})
				eng.Survey()
				eng.Read(streams, func(err error) { t.Error(err) })
				tallied, exact := eng.SurveyedClocks(streams, never, &locust.Run{})
				if loc == time.UTC {
					require.True(t, exact, "read in UTC, as the survey reads, nothing tells the readings apart")
				}
				if !exact {
					continue
				}
				if loc != time.UTC {
					exactAway++
				}
				assert.Equal(t, surveyed, tallied, "read in %s", loc)
			}
		})
	}
	if !testing.Short() {
		assert.Greater(t, exactAway, len(captures), "most captures read away from UTC stand for the survey")
	}
}

// TestSameZones compares only what the estimates give the logs.
func TestSameZones(t *testing.T) {
	at := func(file string, off time.Duration, applied bool, score float64) report.ClockReport {
		cr := report.ClockReport{File: file, Applied: applied}
		cr.Estimate.Offset, cr.Estimate.Score = off, score
		return cr
	}
	seven := 7 * time.Hour
	for _, tc := range []struct {
		name string
		a, b []report.ClockReport
		same bool
	}{
		{"same placements, other scores", []report.ClockReport{at("a", seven, true, 0.9)}, []report.ClockReport{at("a", seven, true, 0.99)}, true},
		{"unplaced either way, other best offsets", []report.ClockReport{at("a", seven, false, 0.9)}, []report.ClockReport{at("a", 0, false, 0.5), at("b", 0, false, 0.1)}, true},
		{"another offset", []report.ClockReport{at("a", seven, true, 1)}, []report.ClockReport{at("a", 6*time.Hour, true, 1)}, false},
		{"placed once only", []report.ClockReport{at("a", seven, true, 1)}, []report.ClockReport{at("a", seven, false, 1)}, false},
		{"another log placed", []report.ClockReport{at("a", seven, true, 1)}, []report.ClockReport{at("a", seven, true, 1), at("b", seven, true, 1)}, false},
		{"none", nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.same, SameZones(tc.a, tc.b))
			assert.Equal(t, tc.same, SameZones(tc.b, tc.a))
		})
	}
}

// TestSteadyOffset: a zone's offset stands for a span only when no change
// of it (summer time) comes within a day of the span.
func TestSteadyOffset(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return tm.Unix()
	}
	for _, tc := range []struct {
		name     string
		loc      *time.Location
		min, max string
		offset   int
		steady   bool
	}{
		{"fixed zone, a year", time.FixedZone("UTC+07:00", 7*3600), "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", 7 * 3600, true},
		{"UTC", time.UTC, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", 0, true},
		{"winter, weeks from a change", newYork, "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z", -5 * 3600, true},
		{"across the spring change", newYork, "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z", -5 * 3600, false},
		{"ends hours before it", newYork, "2026-03-07T00:00:00Z", "2026-03-08T01:00:00Z", -5 * 3600, false},
		{"starts hours after it", newYork, "2026-03-08T12:00:00Z", "2026-03-10T00:00:00Z", -4 * 3600, false},
		{"starts two days after it", newYork, "2026-03-10T12:00:00Z", "2026-03-12T00:00:00Z", -4 * 3600, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off, steady := steadyOffset(tc.loc, at(tc.min), at(tc.max))
			assert.Equal(t, tc.offset, off)
			assert.Equal(t, tc.steady, steady)
		})
	}
}

// TestSureLogsReadAsFarAsAHeadReaches: for a guess from the first hour of
// a log of naive times, a log of sure times is read as far as any offset
// could place that hour (headsReach), not to its end: over days of logs,
// most of it is left for the merge alone. On hours of logs it is read
// whole, as the guess always did.
func TestSureLogsReadAsFarAsAHeadReaches(t *testing.T) {
	start := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		sureHours int
		whole     bool
	}{
		{"days of logs", 40, false},
		{"hours of logs", 12, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var sure, naive strings.Builder
			for m := range tc.sureHours * 60 {
				at := start.Add(time.Duration(m) * time.Minute)
				fmt.Fprintf(&sure, "%s UTC [28431] LOG stats: 5 xacts/s, 9 queries/s, in 100 B/s, out 200 B/s, xact 1500 us, query 700 us, wait 0 us\n", at.Format("2006-01-02 15:04:05.000"))
			}
			for m := range 3 * 60 {
				at := start.Add(time.Duration(m) * time.Minute)
				fmt.Fprintf(&naive, "%s,000 INFO auth_debug: method=POST path=/accounts/login/ user=u%d status=200 dur_ms=11\n", at.Format("2006-01-02 15:04:05"), m)
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, "pgbouncer.log"), []byte(sure.String()), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "auth_debug.log"), []byte(naive.String()), 0o644))
			streams := openAll(t, dir, time.UTC, NewCatalog())
			rs := surveyAll(streams, &source.Options{}, time.Hour)
			defer closeAll(rs)
			var pgb, auth *reading
			for _, r := range rs {
				switch filepath.Base(r.s.Input.Name) {
				case "pgbouncer.log":
					pgb = r
				case "auth_debug.log":
					auth = r
				}
			}
			require.NotNil(t, pgb)
			require.NotNil(t, auth)
			assert.False(t, auth.ended, "the naive log is read in part")
			assert.Equal(t, int64(3600), auth.times.last-auth.times.first)
			reach := start.Add(time.Hour + verdict.ZoneMax + time.Hour).Unix()
			if tc.whole {
				assert.True(t, pgb.ended, "read whole")
				return
			}
			assert.False(t, pgb.ended, "not read to its end")
			assert.Greater(t, pgb.times.last, reach)
			assert.LessOrEqual(t, pgb.times.last, reach+60, "read a minute past the reach at most")
		})
	}
}
