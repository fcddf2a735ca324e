package slab

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewGivesDistinctZeroValues(t *testing.T) {
	var s Slab[[2]int]
	seen := map[*[2]int]bool{}
	for i := range 3 * block {
		v := s.New()
		require.Equal(t, [2]int{}, *v, "value %d", i)
		require.False(t, seen[v], "value %d handed out twice", i)
		seen[v] = true
		v[0], v[1] = i, -i
	}
	// Writing each value left every other as it was.
	for v := range seen {
		assert.Equal(t, -v[0], v[1])
	}
}

func TestMakeNeverOverlaps(t *testing.T) {
	var s Slab[int]
	var slices [][]int
	for i, n := range []int{0, 1, 5, block - 3, 4, block + 7, 2, 1} {
		v := s.Make(n)
		if n == 0 {
			assert.Nil(t, v)
			continue
		}
		require.Len(t, v, 0)
		require.Equal(t, n, cap(v))
		for range n {
			v = append(v, i)
		}
		// One more moves the slice out of the block: the next one's
		// values must not change.
		v = append(v, i)
		slices = append(slices, v)
	}
	for _, v := range slices {
		for _, x := range v {
			assert.Equal(t, v[0], x)
		}
	}
}
