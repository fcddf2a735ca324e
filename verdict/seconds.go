package verdict

import (
	"iter"
	"slices"
)

// Seconds counts something per second of a run (events, failures,
// responses, anchors): in pages of a minute's seconds, made when one of
// them is first counted. A map entry per second cost about 70 bytes, and
// what the verdict counts per second grew with the hours the logs span: a
// day of logs held 45 MB of such maps, near the heap's budget, so the
// collector ran without end (six times slower) and the budget was
// overrun. A page costs its 64 counts of two bytes and one map entry: a
// busy day of logs takes about 200 KB a counter, a quiet line an hour 4 KB
// a day. A second counted 65535 times or more keeps the rest apart.
type Seconds struct {
	pages map[int64]*secondsPage
	over  map[int64]int
	// set counts the seconds with a count.
	set int
}

// pageSeconds is how many seconds a page counts: a power of two, so that a
// second's page and place are a shift and a mask, before 1970 too.
const (
	pageShift   = 6
	pageSeconds = 1 << pageShift
)

type secondsPage [pageSeconds]uint16

// full is a page's count of a second counted that many times or more: the
// rest is in over.
const full = 1<<16 - 1

// Add counts n more in second sec; n must be positive.
func (s *Seconds) Add(sec int64, n int) {
	if s.pages == nil {
		s.pages = map[int64]*secondsPage{}
	}
	p := s.pages[sec>>pageShift]
	if p == nil {
		p = &secondsPage{}
		s.pages[sec>>pageShift] = p
	}
	c := &p[sec&(pageSeconds-1)]
	if *c == 0 {
		s.set++
	}
	switch v := int(*c) + n; {
	case *c == full:
		s.over[sec] += n
	case v < full:
		*c = uint16(v)
	default:
		if s.over == nil {
			s.over = map[int64]int{}
		}
		*c, s.over[sec] = full, v-full
	}
}

// At is second sec's count.
func (s *Seconds) At(sec int64) int {
	if p := s.pages[sec>>pageShift]; p != nil {
		return s.count(sec, p[sec&(pageSeconds-1)])
	}
	return 0
}

// count is a second's count from its page's.
func (s *Seconds) count(sec int64, c uint16) int {
	if c == full {
		return full + s.over[sec]
	}
	return int(c)
}

// Len is how many seconds have a count.
func (s *Seconds) Len() int { return s.set }

// All yields the seconds that have a count, in order, with their counts.
func (s *Seconds) All() iter.Seq2[int64, int] {
	return func(yield func(int64, int) bool) {
		keys := make([]int64, 0, len(s.pages))
		for k := range s.pages {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := s.pages[k]
			for i, c := range p {
				sec := k<<pageShift + int64(i)
				if c != 0 && !yield(sec, s.count(sec, c)) {
					return
				}
			}
		}
	}
}

// Sorted is the seconds that have a count, in order.
func (s *Seconds) Sorted() []int64 {
	out := make([]int64, 0, s.set)
	for sec := range s.All() {
		out = append(out, sec)
	}
	return out
}

// Shifted is the counts with every second moved back by shift.
func (s *Seconds) Shifted(shift int64) *Seconds {
	out := &Seconds{}
	for sec, n := range s.All() {
		out.Add(sec-shift, n)
	}
	return out
}
