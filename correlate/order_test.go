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
