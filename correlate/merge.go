package correlate

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// Source yields one log's events in file order and io.EOF at its end. An
// event is the source's until the next call: the merge copies it.
type Source interface {
	Next() (*parser.Event, error)
}

// Noticer is a Source that holds back its side effects (warnings, logical
// sources found) while another goroutine reads it; Merge runs them, in the
// order they happened, on its caller's goroutine just before the events
// read after them, so stderr keeps a stable order whatever the scheduling.
type Noticer interface {
	Source
	// HoldNotices makes the source queue its notices from now on.
	HoldNotices()
	// TakeNotices returns the notices queued since the last call.
	TakeNotices() []func()
}

// Merge yields the events of several sources in time order. Lines of one file
// are not strictly in time order (threads write them), so each source is read
// ahead until its newest event is its hold past the one handed out: at first
// DefaultSlack, more for a file that shows it needs more (holder); events
// later than that still come out, just out of order, and the correlator
// takes them.
//
// Each source is read, parsed and put in order by a goroutine of its own, a
// few batches ahead of the merge, so that parsing uses every core while the
// merge and what takes its events run on one. A source's order depends on
// its own events alone, so the result is the same as reading them in turn.
type Merge struct {
	// OnError is told of a source's read error; the source then counts as
	// ended, and what it yielded before stays.
	OnError func(src int, err error)

	srcs  []*feed
	ready []int // a heap of the sources with an event to hand out
	init  bool
	stop  chan struct{}
	wg    sync.WaitGroup
	// key is where the event last handed out was placed.
	key time.Time
	// spent is the batch the event last handed out was read from, once
	// its source has moved on: given back at the next call.
	spent *batch
}

// Events pass between a source's goroutine and the merge in batches, so
// that the hand-over costs little per event; a few batches in flight per
// source bound the memory the read-ahead takes. The batches of all sources
// together hold at most mergeEvents events (each holding the block of
// input its text is in), so that many files read at once take no more
// memory than a few: a batch is smaller the more sources there are.
const (
	mergeEvents   = 2048
	mergeInFlight = 3
	maxBatch      = 128
	minBatch      = 8
)

// batchSize is how many events a batch of n sources' merge holds.
func batchSize(n int) int {
	return min(maxBatch, max(minBatch, mergeEvents/((mergeInFlight+1)*max(n, 1))))
}

// NewMerge merges sources.
func NewMerge(sources ...Source) *Merge {
	m := &Merge{stop: make(chan struct{})}
	size := batchSize(len(sources))
	for i, s := range sources {
		m.srcs = append(m.srcs, &feed{
			index: i, r: &reorder{src: s}, size: size,
			full: make(chan *batch, mergeInFlight), free: make(chan *batch, mergeInFlight+1),
		})
	}
	return m
}

// Next returns the earliest event left, and io.EOF when all sources ended.
// The event is the merge's until the next call: a caller copies what it
// keeps. Handing it out in place spares copying every event out of its
// batch and on through the caller's calls.
func (m *Merge) Next() (*parser.Event, error) {
	if !m.init {
		m.init = true
		for _, f := range m.srcs {
			if n, ok := f.r.src.(Noticer); ok {
				n.HoldNotices()
			}
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				f.read(m.stop)
			}()
		}
		for i := range m.srcs {
			if m.refill(i) {
				m.ready = append(m.ready, i)
				m.up(len(m.ready) - 1)
			}
		}
	}
	m.giveBack()
	if len(m.ready) == 0 {
		return nil, io.EOF
	}
	i := m.ready[0]
	f := m.srcs[i]
	head := &f.cur.evs[f.pos]
	f.pos++
	m.key = head.at.key
	if !m.refill(i) {
		last := len(m.ready) - 1
		m.ready[0] = m.ready[last]
		m.ready = m.ready[:last]
	}
	m.down(0)
	return &head.ev, nil
}

// giveBack returns to its source the batch the event handed out last was
// in, once that event is done with, cleared as a whole so that a batch
// waiting to be filled again holds no input.
func (m *Merge) giveBack() {
	if m.spent != nil {
		clear(m.spent.evs)
		m.spent.owner.free <- m.spent
		m.spent = nil
	}
}

// Close stops the sources' goroutines of a merge left before its end.
func (m *Merge) Close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	m.wg.Wait()
}

// Key is where the event Next last returned was placed in time order: its
// time, or later when it came late (holder). Correlator.AddAt takes it.
func (m *Merge) Key() time.Time { return m.key }

// Disorder says how far out of order source i's events came; it is known
// once the source has been read to its end.
func (m *Merge) Disorder(i int) Disorder { return m.srcs[i].disorder }

// refill makes sure source i's next event, if any, is at hand, running the
// notices and the read error that came before it; it says whether there is
// one. The batch it leaves holds the event Next is handing out: it is
// given back at the next call (giveBack), so that the next batch, and what
// came before it, is taken as soon as the last one is read.
func (m *Merge) refill(i int) bool {
	f := m.srcs[i]
	for f.cur == nil || f.pos == len(f.cur.evs) {
		if f.cur != nil {
			last := f.cur.last
			if m.spent == nil && f.pos > 0 {
				m.spent = f.cur
			} else {
				clear(f.cur.evs)
				f.free <- f.cur
			}
			f.cur, f.pos = nil, 0
			if last {
				return false
			}
		}
		b := <-f.full
		for _, n := range b.notices {
			n()
		}
		b.notices = nil
		if b.err != nil && m.OnError != nil {
			m.OnError(i, b.err)
		}
		if b.last {
			f.disorder = b.disorder
		}
		f.cur = b
	}
	return true
}

// The candidates' heap, of source indices ordered by each source's next
// event, kept by hand: container/heap's calls through its interface were
// about a twentieth of the merge goroutine's time.

// less orders ready[a] before ready[b] by their next events' placing.
func (m *Merge) less(a, b int) bool {
	fa, fb := m.srcs[m.ready[a]], m.srcs[m.ready[b]]
	return fa.cur.evs[fa.pos].at.before(&fb.cur.evs[fb.pos].at)
}

// up moves ready[i] towards the root while it goes before its parent.
func (m *Merge) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !m.less(i, parent) {
			return
		}
		m.ready[i], m.ready[parent] = m.ready[parent], m.ready[i]
		i = parent
	}
}

// down moves ready[i] away from the root while a child goes before it.
func (m *Merge) down(i int) {
	n := len(m.ready)
	for {
		first := 2*i + 1
		if first >= n {
			return
		}
		if second := first + 1; second < n && m.less(second, first) {
			first = second
		}
		if !m.less(first, i) {
			return
		}
		m.ready[i], m.ready[first] = m.ready[first], m.ready[i]
		i = first
	}
}

// feed is one source as the merge sees it: batches of its events in order,
// filled by its goroutine.
type feed struct {
	index int
	size  int      // events a batch holds
	r     *reorder // the goroutine's alone
	full  chan *batch
	free  chan *batch
	cur   *batch
	pos   int
	// disorder is the source's, from its last batch.
	disorder Disorder
}

type batch struct {
	owner *feed // the source it goes back to
	evs   []seqEvent
	// notices ran on the source's side before evs[0] was read.
	notices []func()
	err     error
	// last: the source has no more; disorder is its final measure.
	last     bool
	disorder Disorder
}

// read runs on the source's goroutine until the source ends or stop.
func (f *feed) read(stop <-chan struct{}) {
	noticer, _ := f.r.src.(Noticer)
	made := 0
	for {
		var b *batch
		select {
		case b = <-f.free:
			b.evs = b.evs[:0]
		default:
			if made < mergeInFlight+1 {
				made++
				b = &batch{owner: f, evs: make([]seqEvent, 0, f.size)}
			} else {
				select {
				case b = <-f.free:
					b.evs = b.evs[:0]
				case <-stop:
					return
				}
			}
		}
		b.err = nil
		for len(b.evs) < f.size {
			if err := f.r.fill(); err != nil {
				b.err = err
			}
			if f.r.held() == 0 {
				b.last = true
				b.disorder = f.r.hold.d
				break
			}
			b.evs = append(b.evs, seqEvent{})
			e := &b.evs[len(b.evs)-1]
			f.r.popTo(e)
			e.at.tie = uint64(f.index)
			if b.err != nil {
				break
			}
		}
		if noticer != nil {
			b.notices = noticer.TakeNotices()
		}
		select {
		case f.full <- b:
		case <-stop:
			return
		}
		if b.last {
			return
		}
	}
}

// reorder holds one source's read-ahead, ordered by key then file order.
// Lines come nearly in order, so each is put in place from the back: a
// line in order costs one comparison, a late one as many as it overtakes.
type reorder struct {
	src  Source
	buf  []seqEvent
	head int // buf[head:] is held
	hold holder
	done bool
	// name is the file the last event came from, log and rank what
	// parser.RotatedFrom says of it.
	name, log string
	rank      int
	named     bool
}

func (r *reorder) held() int { return len(r.buf) - r.head }

// fill reads until the earliest event held is settled: no event still to
// come can go before it.
func (r *reorder) fill() error {
	for !r.done && (r.held() == 0 || !r.buf[r.head].at.key.Before(r.hold.settled())) {
		ev, err := r.src.Next()
		if err != nil {
			r.done = true
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if !r.named || ev.Source != r.name {
			// A source is one file, sometimes of several programs: its
			// log and age are worked out when the name changes.
			var age int
			r.name, r.named = ev.Source, true
			r.log, age = parser.RotatedFrom(ev.Source)
			r.rank = -age // newer files of a log rank higher
		}
		r.insert(ev, placing{key: r.hold.key(ev.Time), log: r.log, older: r.rank})
	}
	return nil
}

// insert puts ev after every held event with a key not after its own
// (they were read before it). Most events come in order: copied once, to
// the end.
func (r *reorder) insert(ev *parser.Event, at placing) {
	i := len(r.buf)
	for i > r.head && at.key.Before(r.buf[i-1].at.key) {
		i--
	}
	r.buf = append(r.buf, seqEvent{})
	if i < len(r.buf)-1 {
		copy(r.buf[i+1:], r.buf[i:len(r.buf)-1])
	}
	r.buf[i].ev, r.buf[i].at = *ev, at
}

// popTo moves the earliest event held to dst. What was taken is cleared
// when the buffer is emptied or compacted, not event by event.
func (r *reorder) popTo(dst *seqEvent) {
	*dst = r.buf[r.head]
	r.head++
	switch {
	case r.head == len(r.buf):
		clear(r.buf)
		r.buf, r.head = r.buf[:0], 0
	case r.head >= 64 && 2*r.head >= len(r.buf):
		n := copy(r.buf, r.buf[r.head:])
		clear(r.buf[n:])
		r.buf, r.head = r.buf[:n], 0
	}
}

// seqEvent is an event with where it goes in the merged order.
type seqEvent struct {
	ev parser.Event
	at placing
}

// placing is where an event goes in the order analyze (Merge) and tail
// (Live) hand events to the correlator: by place (its time, or later when
// it came late in its file: holder), then by log, not by the position of
// its file on the command line, older files of a log first, then by tie
// (which source, or the order tail read them). Live following meets the
// same lines in other files and another order; with this one rule the
// correlator sees the same sequence.
type placing struct {
	key   time.Time
	log   string
	older int // smaller for an older file of the log
	tie   uint64
}

func (a *placing) before(b *placing) bool {
	if !a.key.Equal(b.key) {
		return a.key.Before(b.key)
	}
	if a.log != b.log {
		return a.log < b.log
	}
	if a.older != b.older {
		return a.older < b.older
	}
	return a.tie < b.tie
}
