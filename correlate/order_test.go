package correlate_test

import (
	"errors"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/source"
)

// captureEvents reads the shipped capture in merged time order, as analyze does.
func captureEvents(t *testing.T) []parser.Event {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	ins, err := source.Expand([]string{"../testdata/login-storm-psycopg2/logs"})
	require.NoError(t, err)
	opts := &source.Options{Loc: jakarta}
	var srcs []correlate.Source
	for _, in := range ins {
		s, err := source.Open(in, opts)
		if err != nil {
			continue
		}
		t.Cleanup(func() { s.Close() })
		srcs = append(srcs, s)
	}
	m := correlate.NewMerge(correlate.DefaultSlack, srcs...)
	var evs []parser.Event
	for {
		ev, err := m.Next()
		if errors.Is(err, io.EOF) {
			return evs
		}
		evs = append(evs, ev)
	}
}

func chainKey(ch correlate.Chain) string {
	k := ch.Anchor.Source + ":" + strconv.Itoa(ch.Anchor.Line) + " " + ch.Cause
	for _, l := range ch.Evidence {
		k += " " + l.Event.Source + ":" + strconv.Itoa(l.Event.Line)
	}
	return k
}

// TestSameChainsWhateverTheWatermarkSteps: the chains depend on the events
// and their order only, not on how often the watermark moves; this is what
// lets tail print the chains analyze prints.
func TestSameChainsWhateverTheWatermarkSteps(t *testing.T) {
	evs := captureEvents(t)
	require.Greater(t, len(evs), 10000)
	run := func(every int, lag time.Duration) []string {
		var keys []string
		c := correlate.New(correlate.DefaultConfig(), func(ch correlate.Chain) { keys = append(keys, chainKey(ch)) })
		for i, ev := range evs {
			c.Add(ev)
			if every > 0 && i%every == 0 {
				c.Advance(ev.Time.Add(-lag))
			}
		}
		c.Close()
		return keys
	}
	want := run(1, correlate.DefaultSlack)
	require.Len(t, want, 388)
	for _, tc := range []struct {
		every int
		lag   time.Duration
	}{{1, 0}, {7, correlate.DefaultSlack}, {500, correlate.DefaultSlack}, {0, 0}} {
		assert.Equal(t, want, run(tc.every, tc.lag), "advance every %d events, %s behind", tc.every, tc.lag)
	}
}

// fileOrder reads each source of the shipped capture in file order.
func fileOrder(t *testing.T) map[string][]parser.Event {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	ins, err := source.Expand([]string{"../testdata/login-storm-psycopg2/logs"})
	require.NoError(t, err)
	out := map[string][]parser.Event{}
	for _, in := range ins {
		s, err := source.Open(in, &source.Options{Loc: jakarta})
		if err != nil {
			continue
		}
		for {
			ev, err := s.Next()
			if err != nil {
				break
			}
			out[in.Name] = append(out[in.Name], ev)
		}
		s.Close()
	}
	return out
}

// TestLiveMatchesAnalyze simulates following the capture's files as they
// are written (each poll reads what each file holds up to a moment, in file
// order) and asserts the chains are those of the saved files.
func TestLiveMatchesAnalyze(t *testing.T) {
	var want []string
	c := correlate.New(correlate.DefaultConfig(), func(ch correlate.Chain) { want = append(want, chainKey(ch)) })
	for _, ev := range captureEvents(t) {
		c.Add(ev)
		c.Advance(ev.Time.Add(-correlate.DefaultSlack))
	}
	c.Close()

	files := fileOrder(t)
	var got []string
	live := correlate.NewLive(correlate.New(correlate.DefaultConfig(), func(ch correlate.Chain) { got = append(got, chainKey(ch)) }),
		correlate.DefaultSlack, 5*time.Second)
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	srcs := map[string]*correlate.LiveSource{}
	pos := map[string]int{}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	start := time.Date(2026, 11, 26, 17, 14, 55, 0, time.UTC)
	for step := 0; step < 200; step++ {
		upTo := start.Add(time.Duration(step) * 700 * time.Millisecond)
		wall = wall.Add(100 * time.Millisecond)
		for _, name := range names {
			evs := files[name]
			for pos[name] < len(evs) && !evs[pos[name]].Time.After(upTo) {
				if srcs[name] == nil {
					srcs[name] = live.Source(name, 1, wall)
				}
				srcs[name].Push(evs[pos[name]])
				srcs[name].Touch(wall)
				pos[name]++
			}
		}
		live.Tick(wall)
	}
	before := len(got)
	live.Close()
	assert.Equal(t, want, got)
	assert.Greater(t, before, 300, "chains come out as their windows close, not at the end")
}
