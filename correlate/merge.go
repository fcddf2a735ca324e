package correlate

import (
	"container/heap"
	"errors"
	"io"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// Source yields one log's events in file order and io.EOF at its end.
type Source interface {
	Next() (parser.Event, error)
}

// Merge yields the events of several sources in time order. Lines of one file
// are not strictly in time order (threads write them), so each source is read
// ahead until its newest event is its hold past the one handed out: at first
// DefaultSlack, more for a file that shows it needs more (holder); events
// later than that still come out, just out of order, and the correlator
// takes them.
type Merge struct {
	// OnError is told of a source's read error; the source then counts as
	// ended, and what it yielded before stays.
	OnError func(src int, err error)

	srcs  []*reorder
	ready mergeHeap
	init  bool
	// key is where the event last handed out was placed.
	key time.Time
}

// NewMerge merges sources.
func NewMerge(sources ...Source) *Merge {
	m := &Merge{}
	for _, s := range sources {
		m.srcs = append(m.srcs, &reorder{src: s})
	}
	return m
}

// Next returns the earliest event left, and io.EOF when all sources ended.
func (m *Merge) Next() (parser.Event, error) {
	if !m.init {
		m.init = true
		for i := range m.srcs {
			m.refill(i)
		}
	}
	if len(m.ready) == 0 {
		return parser.Event{}, io.EOF
	}
	top := m.ready[0]
	ev := m.srcs[top.src].pop()
	heap.Pop(&m.ready)
	m.key = top.t
	m.refill(top.src)
	return ev, nil
}

// Key is where the event Next last returned was placed in time order: its
// time, or later when it came late (holder). Correlator.AddAt takes it.
func (m *Merge) Key() time.Time { return m.key }

// Disorder says how far out of order source i's events came.
func (m *Merge) Disorder(i int) Disorder { return m.srcs[i].hold.d }

// refill puts a source's next event, if any, among the candidates.
func (m *Merge) refill(i int) {
	r := m.srcs[i]
	if err := r.fill(); err != nil && m.OnError != nil {
		m.OnError(i, err)
	}
	if len(r.buf) > 0 {
		// A source is one file: its log and age are worked out once.
		if name := r.buf[0].ev.Source; !r.named || name != r.name {
			r.name, r.named = name, true
			r.log, r.age = parser.RotatedFrom(name)
		}
		heap.Push(&m.ready, mergeItem{src: i, log: r.log, rank: -r.age, t: r.buf[0].key, seq: r.buf[0].seq})
	}
}

type mergeItem struct {
	src  int
	log  string
	rank int       // newer files of a log rank higher
	t    time.Time // the key
	seq  uint64
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int { return len(h) }

// Less orders by time, then by log (not by position on the command line),
// older rotated files first, so that live following, which meets the same
// lines in other files and another order, hands the correlator the same
// sequence.
func (h mergeHeap) Less(i, j int) bool {
	if !h[i].t.Equal(h[j].t) {
		return h[i].t.Before(h[j].t)
	}
	if h[i].log != h[j].log {
		return h[i].log < h[j].log
	}
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	if h[i].src != h[j].src {
		return h[i].src < h[j].src
	}
	return h[i].seq < h[j].seq
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// reorder holds one source's read-ahead, ordered by key then file order.
type reorder struct {
	src  Source
	buf  eventHeap
	hold holder
	seq  uint64
	done bool
	// name is the file the source's events come from, log and age what
	// parser.RotatedFrom says of it.
	name, log string
	age       int
	named     bool
}

// fill reads until the earliest event held is settled: no event still to
// come can go before it.
func (r *reorder) fill() error {
	for !r.done && (len(r.buf) == 0 || !r.buf[0].key.Before(r.hold.settled())) {
		ev, err := r.src.Next()
		if err != nil {
			r.done = true
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		r.seq++
		heap.Push(&r.buf, seqEvent{ev: ev, key: r.hold.key(ev.Time), seq: r.seq})
	}
	return nil
}

func (r *reorder) pop() parser.Event {
	return heap.Pop(&r.buf).(seqEvent).ev
}

type seqEvent struct {
	ev  parser.Event
	key time.Time
	seq uint64
}

type eventHeap []seqEvent

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].key.Equal(h[j].key) {
		return h[i].key.Before(h[j].key)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(seqEvent)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = seqEvent{}
	*h = old[:len(old)-1]
	return x
}
