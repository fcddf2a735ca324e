package parser

// fieldSlab hands out the field slices of one parser's events from shared
// blocks: a parser that gives every line's event a pid or a few key=value
// fields pays one allocation per block, not one per line. A block stays
// alive while any event that took from it does, which the window bounds.
type fieldSlab struct{ free []Field }

// fieldBlock is how many fields a block holds: a few hundred lines' worth.
const fieldBlock = 256

// take returns an empty Fields with room for n. Its capacity is exactly n,
// so a field set beyond it moves the event's fields out of the block
// rather than over a neighbour's.
func (s *fieldSlab) take(n int) Fields {
	if n <= 0 {
		return nil
	}
	if len(s.free) < n {
		s.free = make([]Field, max(n, fieldBlock))
	}
	f := s.free[:0:n]
	s.free = s.free[n:]
	return f
}

// connSlab does for PgBouncer's connections what fieldSlab does for fields.
type connSlab struct{ free []Conn }

const connBlock = 128

func (s *connSlab) take() *Conn {
	if len(s.free) == 0 {
		s.free = make([]Conn, connBlock)
	}
	c := &s.free[0]
	s.free = s.free[1:]
	return c
}
