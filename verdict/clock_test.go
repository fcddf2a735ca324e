package verdict

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

// estimateBySearch is EstimateOffset as first written: a map lookup for each
// active second and a binary search for each failure, at every offset. The
// walk along sorted lists must score every offset exactly as it did (what
// is scored, sureTimes, and the choice among the scores, pickOffset, are
// the same code).
func estimateBySearch(src *Activity, refs []*Activity) (Estimate, bool) {
	est := Estimate{Source: src.Name, Seconds: src.Seconds.Len(), Failures: src.Failed}
	sure, fails := est.sureTimes(refs)
	active := map[int64]bool{}
	for _, s := range sure {
		active[s] = true
	}
	if len(active) == 0 || src.Seconds.Len() == 0 {
		return est, false
	}
	useFails := len(fails) > 0 && src.Failed > 0
	if !useFails {
		est.Failures = 0
	}
	score := func(off time.Duration) (float64, float64, int) {
		shift := int64(off / time.Second)
		overlap := 0
		for s := range src.Seconds.All() {
			if active[s-shift] {
				overlap++
			}
		}
		sc := float64(overlap) / float64(src.Seconds.Len())
		if !useFails {
			return sc, sc, 0
		}
		matched := 0
		for s, n := range src.Failures.All() {
			utc := s - shift
			i := sort.Search(len(fails), func(i int) bool { return fails[i] >= utc-20 })
			if i < len(fails) && fails[i] <= utc+5 {
				matched += n
			}
		}
		return (sc + float64(matched)/float64(src.Failed)) / 2, sc, matched
	}
	est.pickOffset(score)
	return est, true
}

// randomActivity is a source active in bursts around start, failing in some
// of its seconds, its failures in the order a file might hold them (mostly
// rising, some late, some repeated).
func randomActivity(rng *rand.Rand, name string, start int64, span int) *Activity {
	a := NewActivity(name)
	for range rng.IntN(span) {
		sec := start + int64(rng.IntN(span))
		a.Seconds.Add(sec, 1+rng.IntN(3))
		a.Events++
		if rng.IntN(8) == 0 {
			a.Failures.Add(sec, 1)
			a.Failed++
		}
	}
	return a
}

// TestActivityCounts: events are counted by their second in or out of
// order, a run of one second at once; failures by their second.
func TestActivityCounts(t *testing.T) {
	a := NewActivity("x.log")
	base := time.Date(2026, 11, 26, 17, 15, 0, 0, time.UTC)
	for _, e := range []struct {
		sec    int
		status int
	}{{0, 200}, {0, 500}, {0, 200}, {1, 200}, {0, 500}, {2, 500}, {2, 200}, {1, 200}} {
		ev := parser.Event{Kind: parser.KindAccess, Time: base.Add(time.Duration(e.sec) * time.Second), Method: "GET", Path: "/", Status: e.status}
		a.Event(&ev)
	}
	b := a.Shifted(time.Hour)
	at := base.Unix()
	assert.Equal(t, map[int64]int{at: 4, at + 1: 2, at + 2: 2}, countsOf(&a.Seconds))
	assert.Equal(t, map[int64]int{at: 2, at + 2: 1}, countsOf(&a.Failures))
	assert.Equal(t, [2]int{8, 3}, [2]int{a.Events, a.Failed})
	assert.Equal(t, map[int64]int{at - 3600: 4, at - 3599: 2, at - 3598: 2}, countsOf(&b.Seconds))
	assert.Equal(t, map[int64]int{at - 3600: 2, at - 3598: 1}, countsOf(&b.Failures))
	assert.Equal(t, [2]int{8, 3}, [2]int{b.Events, b.Failed})
}

func TestEstimateOffsetAsBySearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 1))
	sure := 0
	for trial := range 300 {
		const base = 1_764_500_000
		span := 1 + rng.IntN(4000)
		// The source's naive clock runs some whole quarter-hours ahead.
		ahead := int64(rng.IntN(113)-56) * 900
		src := randomActivity(rng, "naive", base+ahead, span)
		var refs []*Activity
		for i := range rng.IntN(4) {
			ref := randomActivity(rng, []string{"pgbouncer", "locust", "pgbouncer"}[i%3], base, span)
			// Some of the source's seconds and failures show in the
			// sure logs too, as they would when the clocks agree.
			for s := range src.Seconds.All() {
				if rng.IntN(2) == 0 {
					ref.Seconds.Add(s-ahead, 1)
				}
			}
			for _, f := range src.Failures.Sorted() {
				if rng.IntN(3) > 0 {
					ref.Failures.Add(f-ahead+int64(rng.IntN(30)-22), 1)
					ref.Failed++
				}
			}
			refs = append(refs, ref)
		}
		if trial%10 == 0 {
			refs = append(refs, nil)
		}
		want, wantOK := estimateBySearch(src, refs)
		got, gotOK := EstimateOffset(src, refs)
		require.Equal(t, wantOK, gotOK, "trial %d", trial)
		assert.Equal(t, want, got, "trial %d", trial)
		if got.Sure {
			sure++
		}
	}
	// The trials must reach both answers, or the comparison proves little.
	assert.Greater(t, sure, 50)
	assert.Less(t, sure, 300)
}
