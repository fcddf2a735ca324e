// Package slab hands out values from shared blocks, so that code making one
// small value per log line pays one allocation per block of them.
//
// A block stays alive while any value taken from it is referenced; for the
// events of a time window that is a few blocks more than the window holds.
// A Slab is not safe for concurrent use: each parser or correlator owns its
// own.
package slab

// block is how many values a block holds: a few hundred lines' worth.
const block = 128

// Slab is a source of T values.
type Slab[T any] struct{ free []T }

// New returns a zero T of its own.
func (s *Slab[T]) New() *T {
	if len(s.free) == 0 {
		s.free = make([]T, block)
	}
	v := &s.free[0]
	s.free = s.free[1:]
	return v
}

// Make returns an empty slice with room for n (nil for none). Its capacity
// is exactly n, so an append beyond it moves the slice out of the block
// rather than over the values taken after it.
func (s *Slab[T]) Make(n int) []T {
	if n <= 0 {
		return nil
	}
	if len(s.free) < n {
		s.free = make([]T, max(n, block))
	}
	v := s.free[:0:n]
	s.free = s.free[n:]
	return v
}
