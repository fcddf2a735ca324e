package correlate_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/source"
)

const shipped = "../testdata/login-storm-psycopg2/logs"

// captureEvents reads a capture's logs in merged order, as analyze does,
// with the place Merge gave each event.
func captureEvents(t *testing.T, logs string) (evs []parser.Event, keys []time.Time) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	ins, err := source.Expand([]string{logs})
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
	m := correlate.NewMerge(srcs...)
	for {
		ev, err := m.Next()
		if errors.Is(err, io.EOF) {
			return evs, keys
		}
		evs = append(evs, *ev)
		keys = append(keys, m.Key())
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
	evs, _ := captureEvents(t, shipped)
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

// fileOrder reads each source of a capture in file order.
func fileOrder(t *testing.T, logs string) map[string][]parser.Event {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	ins, err := source.Expand([]string{logs})
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
			out[in.Name] = append(out[in.Name], *ev)
		}
		s.Close()
	}
	return out
}

// TestLiveMatchesAnalyze simulates following the capture's files as they
// are written (each poll reads what each file holds up to a moment, in file
// order) and asserts the chains are those of the saved files.
func TestLiveMatchesAnalyze(t *testing.T) {
	want, _ := mergedChains(t, shipped)
	files := fileOrder(t, shipped)
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

// mergedChains are the chains analyze builds from a capture's logs.
func mergedChains(t *testing.T, logs string) ([]string, correlate.Summary) {
	var keys []string
	c := correlate.New(correlate.DefaultConfig(), func(ch correlate.Chain) { keys = append(keys, chainKey(ch)) })
	evs, places := captureEvents(t, logs)
	for i, ev := range evs {
		c.AddAt(&ev, places[i])
	}
	c.Close()
	return keys, c.Summary()
}

// TestLiveMatchesMergeOutOfOrder follows a capture whose Django error log
// is written up to 20 s out of order (records dated when their request
// began, written when it ended, under pool pressure): each poll reads a
// random number of each file's events and ticks at a random moment. The
// chains, evidence included, and the wait must be those of the saved files
// whatever the interleaving.
func TestLiveMatchesMergeOutOfOrder(t *testing.T) {
	const logs = "../testdata/captures/gunicorn-nginx-pool/logs"
	want, sum := mergedChains(t, logs)
	require.NotEmpty(t, want)
	require.Positive(t, sum.Wait, "the capture holds lines written late")
	files := fileOrder(t, logs)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(uint64(seed), 0))
			var got []string
			corr := correlate.New(correlate.DefaultConfig(), func(ch correlate.Chain) { got = append(got, chainKey(ch)) })
			live := correlate.NewLive(corr, correlate.DefaultSlack, time.Hour)
			wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			srcs := map[string]*correlate.LiveSource{}
			pos := map[string]int{}
			for left := true; left; {
				left = false
				for _, name := range names {
					evs := files[name]
					for n := rnd.IntN(200); n > 0 && pos[name] < len(evs); n-- {
						if srcs[name] == nil {
							srcs[name] = live.Source(name, 1, wall)
						}
						srcs[name].Push(evs[pos[name]])
						pos[name]++
					}
					if pos[name] < len(evs) {
						left = true
					} else if srcs[name] != nil {
						srcs[name].Done()
					}
					if rnd.IntN(3) == 0 {
						wall = wall.Add(10 * time.Millisecond)
						live.Tick(wall)
					}
				}
			}
			live.Close()
			assert.Equal(t, want, got)
			assert.Equal(t, sum, corr.Summary())
		})
	}
}
