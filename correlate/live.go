package correlate

import (
	"time"

	"github.com/logcorr/logcorr/parser"
)

// Live orders the events of sources being followed and drives a correlator
// by event time, never by arrival time, so that it hands out the chains
// analyze hands out for the same lines.
//
// Each source places its events as Merge does (holder): by their time, a
// line more than the slack behind its file's newest where the file wrote
// it. The watermark is the minimum, over the sources that have produced
// events and have not ended, of the earliest place each source's next
// event can have: its newest less the slack, or, for a source read to its
// end, now less the clocks' offset less the slack or how late its lines
// have come, if later (lagWindow); never past a record its parser holds
// open.
// Events placed before the watermark are handed to the correlator in
// order, then the correlator is settled there. A source whose event time
// has not moved on for Idle is taken to be quiet, not behind: it stops
// holding the watermark back. Reading lines
// is not moving on: Locust's console writes untimed stats tables all
// through a test, and would otherwise pin the watermark to the test's
// first second. When all are quiet, the watermark is "now", the freshest
// source's newest event plus the wall-clock time since it last moved on,
// less the slack, so chains still come out.
type Live struct {
	// Tap, when set, sees every event once the correlator has it, with
	// its place (holder) and the cause it shows (Correlator.AddAt).
	Tap func(ev *parser.Event, key time.Time, cause *Cause)
	// Overtaken, when set, is told of an event that came after the
	// watermark had passed its place (by how much): a line later than
	// its log had ever been, or than the slack, after a silence. Chains
	// near it may already be out without it, where analyze has it.
	Overtaken func(name string, ev *parser.Event, by time.Duration)

	corr  *Correlator
	slack time.Duration
	idle  time.Duration
	srcs  []*LiveSource
	ready liveHeap
	// taken is the event last taken from ready, being handed on.
	taken liveItem
	wm    time.Time
}

// LiveSource is one followed file (one generation of it).
type LiveSource struct {
	live      *Live
	name      string
	gen       int
	newest    time.Time
	hasEvents bool
	lastLine  time.Time // wall clock
	// moved is the wall-clock time of the line that last moved newest on.
	moved time.Time
	done  bool
	seq   uint64
	hold  holder
	// behind: its file holds lines not read yet; holding: its parser
	// holds events back (a record waiting for the line that dates it).
	// Either way, however long since its time moved, it is not quiet.
	behind, holding bool
	holdAt          time.Time
	// caughtUp: a read has found nothing left unread, so lines read now
	// are read as they are written.
	caughtUp bool
	// registered is when the source was registered (wall clock).
	registered time.Time
	// open is the time of the record its parser holds open, if hasOpen,
	// and opened when its first line was read.
	open, opened time.Time
	hasOpen      bool
	// lag keeps how long after their place the lines read as they were
	// written were read (wall clock less event time, the clocks' offset
	// included), over the last minute or two.
	lag lagWindow
}

// lagWindow keeps how long after their places a source's lines were read
// (wall clock less event time): the least ever, which is the clocks' offset
// (and the quickest a line came), and the most over the current minute and
// the one before, so that how late lines come now counts, not a burst long
// past.
type lagWindow struct {
	since     time.Time // start of the current minute
	cur, prev time.Duration
	least     time.Duration
	seen      bool
}

const lagSpan = time.Minute

func (w *lagWindow) note(wall time.Time, lag time.Duration) {
	switch {
	case !w.seen:
		w.since, w.cur, w.prev, w.least, w.seen = wall, lag, lag, lag, true
	case wall.Sub(w.since) >= 2*lagSpan:
		w.since, w.cur, w.prev = wall, lag, lag
	case wall.Sub(w.since) >= lagSpan:
		w.since, w.prev, w.cur = wall, w.cur, lag
	}
	w.cur = max(w.cur, lag)
	w.least = min(w.least, lag)
}

// offset is the clocks' offset, as the quickest line tells it.
func (w *lagWindow) offset() time.Duration { return w.least }

// late is how much later than the quickest the latest line came lately.
func (w *lagWindow) late() time.Duration { return max(w.cur, w.prev) - w.least }

// SetHolding says whether the source's parser holds events back, and the
// earliest time they can take (parser.Holder): the watermark stays at or
// before it until they come, so that they are not late (analyze has them
// at the end of input), and the source is never quiet meanwhile.
func (s *LiveSource) SetHolding(at time.Time, ok bool) { s.holdAt, s.holding = at, ok }

// SetBehind says whether the source's file holds lines not read yet: a
// source behind holds the watermark at its newest event, so that being
// behind delays chains and never changes them.
func (s *LiveSource) SetBehind(b bool) {
	s.behind = b
	s.caughtUp = s.caughtUp || !b
}

// Newest is the time of the newest event the source has produced; false
// before its first.
func (s *LiveSource) Newest() (time.Time, bool) { return s.newest, s.hasEvents }

// NewLive drives corr; slack and idle as described on Live.
func NewLive(corr *Correlator, slack, idle time.Duration) *Live {
	return &Live{corr: corr, slack: slack, idle: idle}
}

// Source registers a source; gen tells generations of one path apart. A
// later generation starts with what the one before it showed of how late
// the log's lines come: the same writer writes it, and a file new after a
// rotation would otherwise hold the watermark at its newest less the slack
// until its lines had shown it again.
func (l *Live) Source(name string, gen int, now time.Time) *LiveSource {
	s := &LiveSource{live: l, name: name, gen: gen, lastLine: now, moved: now, registered: now}
	for _, o := range l.srcs {
		if o.name == name && o.gen < gen && o.lag.seen {
			s.lag = o.lag
		}
	}
	l.srcs = append(l.srcs, s)
	return s
}

// Touch records that the source read a line, before the line is parsed:
// the events and held records it yields are dated by it.
func (s *LiveSource) Touch(now time.Time) { s.lastLine = now }

// SetOpen says whether the source's parser holds a record open (it ends
// when the next begins, or at a pause), and its time. The source's time has
// moved on to it, but the record is placed only once it ends: until then
// the watermark stays at or before the place it will take, however long
// the record stays open, since analyze places it there.
func (s *LiveSource) SetOpen(t time.Time, ok bool) {
	if ok && (!s.hasOpen || !t.Equal(s.open)) {
		s.opened = s.lastLine
	}
	s.open, s.hasOpen = t, ok
	if ok {
		s.advance(t)
	}
}

func (s *LiveSource) advance(t time.Time) {
	if !s.hasEvents || t.After(s.newest) {
		s.newest, s.moved = t, s.lastLine
	}
	s.hasEvents = true
}

// Push queues one event of the source.
func (s *LiveSource) Push(ev parser.Event) {
	s.advance(ev.Time)
	key := s.hold.key(ev.Time)
	if s.caughtUp && !s.behind {
		// Measured from the event's place, not its stamp: the
		// watermark bounds places, and a line far behind its file
		// (Django's record of a request, dated when it began) is
		// placed where the file wrote it. From the stamp otherwise,
		// as the holder measures disorder: a second's stamp comes up
		// to a second after it, which the slack covers. A record held
		// open came when its first line did, not when the next record
		// ended it.
		read := s.lastLine
		if s.hasOpen && ev.Time.Equal(s.open) {
			read = s.opened
		}
		s.lag.note(read, read.Sub(key))
	}
	s.seq++
	if key.Before(s.live.wm) && s.live.Overtaken != nil {
		s.live.Overtaken(s.name, &ev, s.live.wm.Sub(key))
	}
	s.live.ready.push(liveItem{ev: ev, at: placing{key: key, log: s.name, older: s.gen, tie: s.seq}})
}

// Disorder says how far out of order the source's events came.
func (s *LiveSource) Disorder() Disorder { return s.hold.d }

// Done says the source will push nothing more.
func (s *LiveSource) Done() { s.done = true }

// Watermark is how far event time has got: no event still to come is
// placed before it. False while no source has produced an event.
func (l *Live) Watermark(now time.Time) (time.Time, bool) {
	var active, estNow time.Time
	anyActive, anyQuiet, unheard := false, false, false
	keep := l.srcs[:0]
	for _, s := range l.srcs {
		if s.done {
			continue
		}
		keep = append(keep, s)
		if !s.hasEvents {
			// A log new to the follower may still say anything: the
			// first file of its path (not one a rotation made, whose
			// lines follow its log's) holds event time for --idle, as
			// a silent one does, unless it speaks first.
			unheard = unheard || s.gen == 1 && now.Sub(s.registered) <= l.idle
			continue
		}
		quiet := now.Sub(s.moved)
		if est := s.newest.Add(max(quiet, 0)); est.After(estNow) {
			estNow = est
		}
		if quiet > l.idle && !s.behind && !s.holding {
			anyQuiet = true
			continue
		}
		settled := s.hold.settled()
		if !s.hold.started {
			// Only open records so far: the first event will be
			// placed at its time, which is about the record's.
			settled = s.newest.Add(-DefaultSlack)
		}
		if !s.behind && s.lag.seen {
			// All it holds is read (lines written since were written
			// after now), and beyond the clocks' offset its lines
			// have been read at most late() after their places: what
			// it writes next is placed no earlier than now less the
			// offset, less that or the slack, whichever is more, as
			// within a file a line up to the slack behind is in time.
			// A log silent for a while (PostgreSQL's, between
			// checkpoints) then holds chains back no longer than its
			// lines take to come, rather than for Idle. A line later
			// than that after a silence is overtaken (Overtaken): said,
			// never silently placed elsewhere.
			margin := max(s.lag.late(), l.slack)
			if est := now.Add(-s.lag.offset() - margin); est.After(settled) {
				settled = est
			}
		}
		if s.holding {
			// Held events are placed no earlier than they can be
			// dated, however long they are held.
			settled = minTime(settled, maxTime(s.holdAt, s.hold.settled()))
		}
		if s.hasOpen {
			// The open record is placed at its time, or at the file's
			// floor then, which is no earlier than now.
			at := s.open
			if s.hold.started && s.hold.settled().After(at) {
				at = s.hold.settled()
			}
			settled = minTime(settled, at)
		}
		if !anyActive || settled.Before(active) {
			active, anyActive = settled, true
		}
	}
	l.srcs = keep
	switch {
	case unheard:
		return l.wm, !l.wm.IsZero()
	case anyActive:
		return active, true
	case anyQuiet:
		return estNow.Add(-l.slack), true
	}
	return time.Time{}, false
}

// Mark is the watermark the correlator was last settled at; false before
// the first.
func (l *Live) Mark() (time.Time, bool) { return l.wm, !l.wm.IsZero() }

// Queued counts the events read and not yet handed to the correlator.
func (l *Live) Queued() int { return len(l.ready) }

// Tick hands the correlator every event up to the watermark and advances it.
func (l *Live) Tick(now time.Time) {
	wm, ok := l.Watermark(now)
	if !ok && len(l.srcs) > 0 {
		return // sources that have not spoken yet may still say anything
	}
	for len(l.ready) > 0 && (!ok || l.ready[0].at.key.Before(wm)) {
		l.taken = l.ready.pop()
		l.add(&l.taken)
		if !ok && l.taken.at.key.After(wm) {
			wm = l.taken.at.key // every source ended: all that is queued goes
		}
	}
	if wm.After(l.wm) {
		l.wm = wm
		// Events still to come are placed at wm or later: AddAt settles
		// the correlator at their place, and so does this, its wait for
		// late lines and all.
		l.corr.Settle(wm)
	}
}

// Close hands over everything queued and closes the correlator, as at the
// end of saved files.
func (l *Live) Close() {
	l.drain()
	l.corr.Close()
}

// End ends what the input holds open, as the end of saved files does,
// without stopping: every event queued goes to the correlator, every
// request still waiting for reports is complete, and every chain comes out
// (Correlator.EndRequests). For when every log has been quiet for longer
// than --after: a load test over, a server stopped mid-request.
func (l *Live) End() {
	l.drain()
	l.corr.EndRequests()
}

func (l *Live) drain() {
	for len(l.ready) > 0 {
		l.taken = l.ready.pop()
		l.add(&l.taken)
	}
}

// add hands the correlator an event taken from the queue. The event is
// l.taken, not a local: a local's address handed to Tap, a func value,
// would move every event to the heap.
func (l *Live) add(it *liveItem) {
	cause := l.corr.AddAt(&it.ev, it.at.key)
	if l.Tap != nil {
		l.Tap(&it.ev, it.at.key, cause)
	}
}

type liveItem struct {
	ev parser.Event
	at placing // the log's generation counts up: older first
}

// liveHeap orders like Merge (placing): a binary heap of the items
// themselves, typed, since container/heap's Push and Pop box each one (two
// allocations of an event's size per event). placing is a total order, so
// any heap hands the items out in the same order.
type liveHeap []liveItem

func (h *liveHeap) push(it liveItem) {
	*h = append(*h, it)
	q := *h
	i := len(q) - 1
	for i > 0 {
		up := (i - 1) / 2
		if !q[i].at.before(&q[up].at) {
			break
		}
		q[i], q[up] = q[up], q[i]
		i = up
	}
}

// pop takes the first item out; the queue must not be empty.
func (h *liveHeap) pop() liveItem {
	q := *h
	first := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = liveItem{}
	q = q[:last]
	for i := 0; ; {
		least := i
		for _, c := range [2]int{2*i + 1, 2*i + 2} {
			if c < len(q) && q[c].at.before(&q[least].at) {
				least = c
			}
		}
		if least == i {
			break
		}
		q[i], q[least] = q[least], q[i]
		i = least
	}
	*h = q
	return first
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
