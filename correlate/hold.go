package correlate

import "time"

// Disorder is how far out of order a file's events came.
type Disorder struct {
	// Late counts events that came more than DefaultSlack behind the
	// newest event of their file before them: they were handed on where
	// the file wrote them, after events later than they are.
	Late int
	// Worst is the most any of them was behind.
	Worst time.Duration
}

// holder decides, from one file's events in file order and nothing else,
// where each goes in the merged order: its key. An event is keyed by its
// time, except one more than DefaultSlack behind the file's newest: that
// one is keyed by the earliest time still to be handed on (floor), so it
// goes where the file wrote it rather than into the past. That is where it
// belongs: a record dated by when its request began and written when the
// request ended (Django's "Internal Server Error" under DEBUG=False, once
// the pool makes requests slow) pairs first come, first served with the
// access lines written then. Because keys depend only on the file's own
// events, analyze (Merge) and tail (Live) order them alike however their
// reading interleaves with other files, and hand the correlator the same
// sequence; the correlator waits for late events (Correlator.AddAt).
type holder struct {
	newest  time.Time
	floor   time.Time
	started bool
	d       Disorder
}

// key places the next event of the file.
func (h *holder) key(t time.Time) time.Time {
	if !h.started {
		h.started = true
		h.newest, h.floor = t, t.Add(-DefaultSlack)
		return t
	}
	key := t
	if t.Before(h.floor) {
		key = h.floor
		h.d.Late++
		h.d.Worst = max(h.d.Worst, h.newest.Sub(t))
	}
	if t.After(h.newest) {
		h.newest = t
		h.floor = t.Add(-DefaultSlack)
	}
	return key
}

// settled is the earliest key the file's next event can have: every event
// keyed before it has been read.
func (h *holder) settled() time.Time { return h.floor }
