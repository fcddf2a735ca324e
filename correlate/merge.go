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
// ahead until its newest event is Slack past the one handed out; events later
// than that still come out, just out of order, and the correlator takes them.
type Merge struct {
	Slack time.Duration
	// OnError is told of a source's read error; the source then counts as
	// ended, and what it yielded before stays.
	OnError func(src int, err error)

	srcs  []*reorder
	ready mergeHeap
	init  bool
}

// NewMerge merges sources with the given slack.
func NewMerge(slack time.Duration, sources ...Source) *Merge {
	m := &Merge{Slack: slack}
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
	m.refill(top.src)
	return ev, nil
}

// refill puts a source's next event, if any, among the candidates.
func (m *Merge) refill(i int) {
	r := m.srcs[i]
	if err := r.fill(m.Slack); err != nil && m.OnError != nil {
		m.OnError(i, err)
	}
	if len(r.buf) > 0 {
		// A source is one file: its log and age are worked out once.
		if name := r.buf[0].ev.Source; !r.named || name != r.name {
			r.name, r.named = name, true
			r.log, r.age = parser.RotatedFrom(name)
		}
		heap.Push(&m.ready, mergeItem{src: i, log: r.log, rank: -r.age, t: r.buf[0].ev.Time, seq: r.buf[0].seq})
	}
}

type mergeItem struct {
	src  int
	log  string
	rank int // newer files of a log rank higher
	t    time.Time
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

// reorder holds one source's read-ahead, ordered by time then file order.
type reorder struct {
	src    Source
	buf    eventHeap
	newest time.Time
	seq    uint64
	done   bool
	// name is the file the source's events come from, log and age what
	// parser.RotatedFrom says of it.
	name, log string
	age       int
	named     bool
}

func (r *reorder) fill(slack time.Duration) error {
	for !r.done && (len(r.buf) == 0 || !r.buf[0].ev.Time.Add(slack).Before(r.newest)) {
		ev, err := r.src.Next()
		if err != nil {
			r.done = true
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if ev.Time.After(r.newest) {
			r.newest = ev.Time
		}
		r.seq++
		heap.Push(&r.buf, seqEvent{ev: ev, seq: r.seq})
	}
	return nil
}

func (r *reorder) pop() parser.Event {
	return heap.Pop(&r.buf).(seqEvent).ev
}

type seqEvent struct {
	ev  parser.Event
	seq uint64
}

type eventHeap []seqEvent

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].ev.Time.Equal(h[j].ev.Time) {
		return h[i].ev.Time.Before(h[j].ev.Time)
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
