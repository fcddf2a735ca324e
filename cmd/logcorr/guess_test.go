package main

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/engine"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
)

// guessing runs f with zones guessed from the first span of each log's
// times whatever their size, and returns how each run's zones were found.
func guessing(span time.Duration, f func()) []string {
	from, was := guessFrom, guessRule
	var hows []string
	// Small logs: the lines read to choose a format are most of them.
	guessFrom, guessRule, guessed = 0, engine.GuessRule{Span: span}, func(how string) { hows = append(hows, how) }
	defer func() { guessFrom, guessRule, guessed = from, was, nil }()
	f()
	return hows
}

// surveying runs f with the zones found by a survey first, as a run too
// small to guess does.
func surveying(f func()) {
	from := guessFrom
	guessFrom = math.MaxInt64
	defer func() { guessFrom = from }()
	f()
}

type ran struct {
	code        int
	out, errOut string
}

// TestGuessedZonesAsSurveyed holds a run whose zones were guessed to the
// run whose zones a survey found first: every capture, in JSON, text and
// Markdown, and with a naive --since read in the zone found, gives the
// same output, notices and exit status. A guess from each log's first 5
// seconds (of a minute or two) holds on every capture of one program per
// file; the gunicorn captures, whose error log has the app's naive times
// beside gunicorn's zoned ones, are surveyed.
func TestGuessedZonesAsSurveyed(t *testing.T) {
	captures, err := filepath.Glob("../../testdata/captures/*/logs")
	require.NoError(t, err)
	captures = append(captures, "../../testdata/login-storm-psycopg2/logs")
	held := 0
	for _, logs := range captures {
		name := filepath.Base(filepath.Dir(logs))
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name != "login-storm-psycopg2" {
				t.Skip("one capture in -short")
			}
			for _, args := range [][]string{
				{"--format", "json"},
				{"--format", "markdown"},
				{"--color", "never"},
				{"--format", "json", "--since", "2000-01-01 00:00:00"},
			} {
				args = append(append([]string{"analyze"}, args...), logs)
				var guessedRun, surveyedRun ran
				hows := guessing(5*time.Second, func() {
					guessedRun.code, guessedRun.out, guessedRun.errOut = runCLI(t, "", args...)
				})
				surveying(func() { surveyedRun.code, surveyedRun.out, surveyedRun.errOut = runCLI(t, "", args...) })
				require.Len(t, hows, 1, "%v", hows)
				switch hows[0] {
				case "held":
					held++
				case "survey":
					assert.Contains(t, name, "gunicorn", "only a file of naive and zoned times is surveyed")
				default:
					t.Errorf("%v: the zones were found %s", args, hows[0])
				}
				assert.Equal(t, surveyedRun, guessedRun, "%v", args)
			}
		})
	}
	assert.GreaterOrEqual(t, held, 4, "a guess held")
}

// TestWrongGuessIsReadAgain: a guess the whole run does not bear out is
// read again in the zones the run found, and nothing of the first reading
// is printed: the output, notices and exit status are the surveyed run's.
func TestWrongGuessIsReadAgain(t *testing.T) {
	const logs = "../../testdata/login-storm-psycopg2/logs"
	right := guessClocks
	defer func() { guessClocks = right }()
	guessClocks = func(zoneGiven func(string) bool, opts *source.Options, streams []*source.Stream, cat *engine.Catalog, lr *locust.Run, rule engine.GuessRule) ([]report.ClockReport, bool) {
		crs, ok := right(zoneGiven, opts, streams, cat, lr, rule)
		require.True(t, ok)
		for i := range crs {
			crs[i].Estimate.Offset -= 3 * time.Hour
		}
		engine.ApplyClocks(crs, streams, cat)
		return crs, ok
	}
	// A naive --since is read in the zone found, and says so: in the
	// zone guessed too, were the first reading's notices said.
	for _, args := range [][]string{{"--format", "json", "--since", "2000-01-01 00:00:00"}, {"--color", "never"}} {
		args = append(append([]string{"analyze"}, args...), logs)
		var guessedRun, surveyedRun ran
		hows := guessing(5*time.Second, func() { guessedRun.code, guessedRun.out, guessedRun.errOut = runCLI(t, "", args...) })
		surveying(func() { surveyedRun.code, surveyedRun.out, surveyedRun.errOut = runCLI(t, "", args...) })
		assert.Equal(t, []string{"again in the zones found", "given"}, hows)
		assert.Equal(t, surveyedRun, guessedRun, "%v", args)
	}
}

// TestNoGuessWhenReadWhole: logs that end within the first part a guess
// reads have been surveyed whole by then; their zones are found, not
// guessed, and the run is neither tallied nor held.
func TestNoGuessWhenReadWhole(t *testing.T) {
	const logs = "../../testdata/login-storm-psycopg2/logs"
	var guessedRun, surveyedRun ran
	hows := guessing(time.Hour, func() {
		guessedRun.code, guessedRun.out, guessedRun.errOut = runCLI(t, "", "analyze", "--format", "json", logs)
	})
	surveying(func() {
		surveyedRun.code, surveyedRun.out, surveyedRun.errOut = runCLI(t, "", "analyze", "--format", "json", logs)
	})
	assert.Equal(t, []string{"survey"}, hows)
	assert.Equal(t, surveyedRun, guessedRun)
}
