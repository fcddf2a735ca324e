package correlate

import (
	"strings"

	"github.com/logcorr/logcorr/parser"
)

// needleSet tells which causes' needles a text holds, for every cause of a
// catalogue in one pass over the text: by skipping (blockSkip) when every
// needle is long enough, else an Aho-Corasick automaton over bytes, its
// transitions complete (a state's row names the state after each byte).
// Every event is looked at for cause text, and every request's reports
// again; one pass instead of one search per needle is the difference that
// matters there.
type needleSet struct {
	next [][256]uint32
	// out is, per state, the causes (bits, words per state) whose needle
	// ends there, through the longest suffix links too; hit says a state has
	// any.
	out   []uint64
	hit   []bool
	words int
	// always are the causes with an empty needle, which every text holds.
	always []uint64
	// skip, when every needle is long enough, stands in for the automaton.
	skip *blockSkip
}

// causeMask is a set of a catalogue's causes by index.
type causeMask []uint64

func (m causeMask) has(i int) bool { return m[i/64]&(1<<(i%64)) != 0 }

func newNeedleSet(cat Catalogue) *needleSet {
	n := &needleSet{words: (len(cat) + 63) / 64}
	n.always = make([]uint64, n.words)
	for i := range cat {
		for _, needle := range cat[i].Needles {
			if needle == "" {
				n.always[i/64] |= 1 << (i % 64)
			}
		}
	}
	if n.skip = newBlockSkip(cat); n.skip != nil {
		return n
	}
	n.addState()
	// The trie: goto edges only, 0 meaning none (the root is never a
	// target of one).
	for i := range cat {
		for _, needle := range cat[i].Needles {
			if needle == "" {
				continue
			}
			st := uint32(0)
			for k := 0; k < len(needle); k++ {
				b := needle[k]
				if n.next[st][b] == 0 {
					n.next[st][b] = n.addState()
				}
				st = n.next[st][b]
			}
			n.mark(st, i)
		}
	}
	// Breadth first: a state's missing edges are its suffix link's, and it
	// ends what its suffix link ends.
	fail := make([]uint32, len(n.next))
	var queue []uint32
	for b := 0; b < 256; b++ {
		if s := n.next[0][b]; s != 0 {
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		f := fail[st]
		for w := 0; w < n.words; w++ {
			n.out[int(st)*n.words+w] |= n.out[int(f)*n.words+w]
		}
		n.hit[st] = n.hit[st] || n.hit[f]
		for b := 0; b < 256; b++ {
			if s := n.next[st][b]; s != 0 {
				fail[s] = n.next[f][b]
				queue = append(queue, s)
			} else {
				n.next[st][b] = n.next[f][b]
			}
		}
	}
	return n
}

func (n *needleSet) addState() uint32 {
	n.next = append(n.next, [256]uint32{})
	n.out = append(n.out, make([]uint64, n.words)...)
	n.hit = append(n.hit, false)
	return uint32(len(n.next) - 1)
}

func (n *needleSet) mark(st uint32, cause int) {
	n.out[int(st)*n.words+cause/64] |= 1 << (cause % 64)
	n.hit[st] = true
}

// scan adds to m the causes whose needles s holds.
func (n *needleSet) scan(s string, m causeMask) {
	if n.skip != nil {
		n.skip.scan(s, m)
		return
	}
	st := uint32(0)
	for i := 0; i < len(s); i++ {
		st = n.next[st][s[i]]
		if n.hit[st] {
			out := n.out[int(st)*n.words : int(st+1)*n.words]
			for w := range m {
				m[w] |= out[w]
			}
		}
	}
}

// mask is an empty set of the catalogue's causes.
func (n *needleSet) mask() causeMask { return make(causeMask, n.words) }

// named sets m to the causes whose needles an event's message or
// exceptions hold (Cause.namedIn of every cause), and returns it.
func (n *needleSet) named(ev *parser.Event, m causeMask) causeMask {
	copy(m, n.always)
	n.scan(ev.Message, m)
	if ev.Exc != nil {
		n.scan(ev.Exc.Message, m)
	}
	if ev.Root != nil {
		n.scan(ev.Root.Message, m)
	}
	return m
}

// blockSkip finds needles by skipping (Wu and Manber's method): it looks at
// the two bytes that end a window as long as the shortest needle, and moves
// the window on as far as no needle's start can hold them; only where they
// end some needle's start is that needle compared. The automaton reads
// every byte of every text, one dependent table load each; most texts
// name no cause, and skipping reads a fraction of their bytes: twice as
// fast on the shipped incident's lines with the built-in catalogue, whose
// shortest needles are 8 bytes. Short needles leave little to skip, and
// below skipFrom bytes the automaton is kept.
type blockSkip struct {
	// m is the window: the shortest needle's length, at most 256 so that
	// every shift fits a byte.
	m int
	// shift is, per two bytes that end a window, how far the window can
	// move without passing over the start of a needle: 0 where they end
	// the first m bytes of some needle.
	shift []uint8
	// ends are, per two bytes shift gives 0, the needles whose first m
	// bytes they end: ends[endsAt[b]-1]. A table, not a map: most texts
	// hold such pairs, and hashing them cost a third of the scan.
	endsAt []uint16
	ends   [][]skipNeedle
}

type skipNeedle struct {
	text  string
	cause int
}

// skipFrom is the shortest needle blockSkip is used for.
const skipFrom = 4

func newBlockSkip(cat Catalogue) *blockSkip {
	m := 0
	for i := range cat {
		for _, needle := range cat[i].Needles {
			if needle != "" && (m == 0 || len(needle) < m) {
				m = len(needle)
			}
		}
	}
	if m < skipFrom {
		return nil
	}
	m = min(m, 256)
	s := &blockSkip{m: m, shift: make([]uint8, 1<<16), endsAt: make([]uint16, 1<<16)}
	for i := range s.shift {
		s.shift[i] = uint8(m - 1)
	}
	for i := range cat {
		for _, needle := range cat[i].Needles {
			if needle == "" {
				continue
			}
			for j := 1; j < m; j++ {
				b := pair(needle[j-1], needle[j])
				s.shift[b] = min(s.shift[b], uint8(m-1-j))
			}
			b := pair(needle[m-2], needle[m-1])
			if s.endsAt[b] == 0 {
				if len(s.ends) == 1<<16-1 {
					return nil // beyond endsAt's count: the automaton's work
				}
				s.ends = append(s.ends, nil)
				s.endsAt[b] = uint16(len(s.ends))
			}
			s.ends[s.endsAt[b]-1] = append(s.ends[s.endsAt[b]-1], skipNeedle{needle, i})
		}
	}
	return s
}

func pair(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

func (s *blockSkip) scan(text string, m causeMask) {
	for end := s.m - 1; end < len(text); {
		b := pair(text[end-1], text[end])
		if sh := s.shift[b]; sh != 0 {
			end += int(sh)
			continue
		}
		from := text[end-s.m+1:]
		for _, e := range s.ends[s.endsAt[b]-1] {
			if strings.HasPrefix(from, e.text) {
				m[e.cause/64] |= 1 << (e.cause % 64)
			}
		}
		end++
	}
}
