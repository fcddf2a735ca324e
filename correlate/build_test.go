package correlate

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

// pickByScan is pick as a walk over the whole window: the last usable sign
// at or before ref, else the first after it.
func pickByScan(c *Correlator, lo, hi, ref time.Time, ok func(*Cause) bool) *sign {
	var before, after *sign
	for _, s := range c.signs[c.firstAtOrAfter(lo):] {
		if s.at > nanos(hi) {
			break
		}
		if s.claimed || !ok(s.cause) {
			continue
		}
		if s.at <= nanos(ref) {
			before = s
		} else if after == nil {
			after = s
		}
	}
	if before != nil {
		return before
	}
	return after
}

// TestPickAsAScan: pick searches outward from ref and stops at the nearest
// usable sign; it must choose as the walk over the whole window does, with
// signs claimed, causes turned down, times shared, and ref before the
// window, inside it and past its end.
func TestPickAsAScan(t *testing.T) {
	cfg := DefaultConfig()
	require.GreaterOrEqual(t, len(cfg.Causes), 3)
	base := time.Date(2026, 11, 27, 0, 15, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	asked, found := 0, 0
	for round := range 200 {
		c := New(cfg, func(Chain) {})
		for range rng.IntN(300) {
			// Whole tenths of a second, so that signs share their times.
			at := base.Add(time.Duration(rng.IntN(600)) * 100 * time.Millisecond)
			which := rng.IntN(3)
			s := &sign{ev: parser.Event{Time: at}, cause: &c.cfg.Causes[which], at: nanos(at), which: which,
				claimed: rng.IntN(3) == 0}
			c.addSign(s)
		}
		for range 50 {
			sec := func() time.Time { return base.Add(time.Duration(rng.IntN(700)-50) * 100 * time.Millisecond) }
			lo, ref, hi := sec(), sec(), sec()
			if lo.After(hi) {
				lo, hi = hi, lo
			}
			turnedDown := &c.cfg.Causes[rng.IntN(3)]
			ok := func(cause *Cause) bool { return cause != turnedDown }
			want := pickByScan(c, lo, hi, ref, ok)
			got := c.pick(lo, hi, ref, ok)
			asked++
			if want != nil {
				found++
			}
			if !assert.Same(t, want, got, "round %d: lo %v ref %v hi %v", round, lo.Sub(base), ref.Sub(base), hi.Sub(base)) {
				return
			}
		}
	}
	// The cases must hold both answers, found and not.
	assert.Greater(t, found, asked/4)
	assert.Less(t, found, asked)
}

// TestSortLinksAsSortSlice: links in any order, few or many, come out in
// sort.Slice's order by offset, file and line.
func TestSortLinksAsSortSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 5, 12, 13, 40} {
		for range 50 {
			links := make([]Link, n)
			for i := range links {
				links[i] = Link{Offset: time.Duration(rng.IntN(4)) * time.Second,
					Event: parser.Event{Source: []string{"a.log", "b.log"}[rng.IntN(2)], Line: i + 1}}
			}
			rng.Shuffle(n, func(i, j int) { links[i], links[j] = links[j], links[i] })
			want := slices.Clone(links)
			sort.Slice(want, func(i, j int) bool {
				a, b := want[i], want[j]
				if a.Offset != b.Offset {
					return a.Offset < b.Offset
				}
				if a.Event.Source != b.Event.Source {
					return a.Event.Source < b.Event.Source
				}
				return a.Event.Line < b.Event.Line
			})
			sortLinks(links)
			require.Equal(t, want, links, "%d links", n)
		}
	}
}

// TestLiveHeapHandsOutInOrder: the live queue's heap, pushed to and popped
// from in turn as Push and Tick do, always hands out the first of what it
// holds in placing's order (ties in time, log and generation included), as
// a sorted list checked against it does.
func TestLiveHeapHandsOutInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	base := time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)
	for _, n := range []int{1, 2, 3, 7, 100, 1000} {
		var h liveHeap
		var held []placing // what h holds, in order
		take := func() {
			it := h.pop()
			require.Equal(t, held[0], it.at, "%d items", n)
			require.Equal(t, int(held[0].tie), it.ev.Line, "the event goes with its place")
			held = held[1:]
		}
		for i := range n {
			at := placing{key: base.Add(time.Duration(rng.IntN(5)) * time.Second),
				log: []string{"a.log", "b.log"}[rng.IntN(2)], older: rng.IntN(2), tie: uint64(i)}
			h.push(liveItem{ev: parser.Event{Line: i}, at: at})
			k := sort.Search(len(held), func(j int) bool { return at.before(&held[j]) })
			held = slices.Insert(held, k, at)
			if rng.IntN(3) == 0 {
				take()
			}
		}
		for len(held) > 0 {
			take()
		}
		assert.Empty(t, h)
	}
}
