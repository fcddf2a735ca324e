package verdict

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countsOf is a Seconds as the map it stands for.
func countsOf(s *Seconds) map[int64]int {
	out := map[int64]int{}
	for sec, n := range s.All() {
		out[sec] = n
	}
	return out
}

// TestSecondsAsAMap: counted in any order, at both ends of a page, before
// 1970 and across pages, a Seconds holds what a map of counts would, yields
// its seconds in order, and moves them whole.
func TestSecondsAsAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		var s Seconds
		want := map[int64]int{}
		base := []int64{0, -1, 1_764_500_000, -pageSeconds * 3}[trial%4]
		for range rng.IntN(300) {
			sec := base + int64(rng.IntN(4*pageSeconds)-2*pageSeconds)
			n := 1 + rng.IntN(5)
			if rng.IntN(20) == 0 {
				// Past what a page counts, at once or over time.
				n = 1 + rng.IntN(3*full)
			}
			s.Add(sec, n)
			want[sec] += n
		}
		require.Equal(t, want, countsOf(&s), "trial %d", trial)
		assert.Equal(t, len(want), s.Len())
		for sec, n := range want {
			assert.Equal(t, n, s.At(sec))
		}
		assert.Zero(t, s.At(base+10*pageSeconds))
		sorted := s.Sorted()
		assert.True(t, slices.IsSorted(sorted))
		assert.Len(t, sorted, len(want))
		shift := int64(rng.IntN(1000) - 500)
		moved := map[int64]int{}
		for sec, n := range want {
			moved[sec-shift] = n
		}
		assert.Equal(t, moved, countsOf(s.Shifted(shift)))
	}
}

// TestSecondsStopsWhenTold: All ends when its caller stops.
func TestSecondsStopsWhenTold(t *testing.T) {
	var s Seconds
	for sec := range int64(200) {
		s.Add(sec, 1)
	}
	n := 0
	for range s.All() {
		n++
		if n == 70 {
			break
		}
	}
	assert.Equal(t, 70, n)
}
