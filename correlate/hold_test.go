package correlate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

// TestHolderKeys: an event within DefaultSlack of its file's newest keeps
// its time as its place; one further behind goes where the file wrote it,
// at the earliest place still open, and is counted with how far behind it
// was.
func TestHolderKeys(t *testing.T) {
	at := func(s float64) time.Time {
		return time.Date(2026, 12, 1, 4, 26, 0, 0, time.UTC).Add(time.Duration(s * float64(time.Second)))
	}
	for _, tc := range []struct {
		name  string
		times []float64
		keys  []float64
		want  Disorder
	}{
		{"in order", []float64{0, 1, 2, 3}, []float64{0, 1, 2, 3}, Disorder{}},
		{"within the slack", []float64{0, 5, 3.5, 3, 6}, []float64{0, 5, 3.5, 3, 6}, Disorder{}},
		{"exactly the slack behind", []float64{0, 5, 3}, []float64{0, 5, 3}, Disorder{}},
		{"written when its request ended", []float64{10, 12, 30, 11.5, 31}, []float64{10, 12, 30, 28, 31}, Disorder{Late: 1, Worst: 18500 * time.Millisecond}},
		{"several late, the worst kept", []float64{0, 10, 7, 20, 2}, []float64{0, 10, 8, 20, 18}, Disorder{Late: 2, Worst: 18 * time.Second}},
		{"a late event does not move the floor back", []float64{0, 10, 1, 8.5}, []float64{0, 10, 8, 8.5}, Disorder{Late: 1, Worst: 9 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h holder
			var keys []time.Time
			for _, s := range tc.times {
				keys = append(keys, h.key(at(s)))
			}
			var want []time.Time
			for _, s := range tc.keys {
				want = append(want, at(s))
			}
			assert.Equal(t, want, keys)
			assert.Equal(t, tc.want, h.d)
			for i := 1; i < len(keys); i++ {
				assert.False(t, keys[i].Before(keys[i-1].Add(-DefaultSlack)), "places never fall more than the slack back")
			}
		})
	}
}

// TestWaitGrowsWithLateness: a correlator handed an event placed later than
// its time waits that much longer (in steps, up to MaxWait) before it
// closes windows, so that the next event as late still finds its chain
// open.
func TestWaitGrowsWithLateness(t *testing.T) {
	base := time.Date(2026, 12, 1, 4, 26, 0, 0, time.UTC)
	for _, tc := range []struct {
		late time.Duration
		want time.Duration
	}{
		{0, 0},
		{100 * time.Millisecond, 250 * time.Millisecond},
		{3350 * time.Millisecond, 3500 * time.Millisecond},
		{time.Minute, MaxWait},
	} {
		c := New(DefaultConfig(), func(Chain) {})
		c.AddAt(&parser.Event{Time: base, Source: "a.log"}, base.Add(tc.late))
		assert.Equal(t, tc.want, c.Summary().Wait, "an event %s late", tc.late)
		c.Settle(base.Add(2 * time.Minute))
		assert.Equal(t, base.Add(2*time.Minute-tc.want-time.Nanosecond), c.wm, "settled less the wait")
	}
}

// TestOpenRecordsOnlyHoldLittle: a source whose only lines so far are
// records held open (nothing placed yet) holds the watermark at about their
// time, not at nothing: a followed file that begins with a long record must
// not stop every chain until it ends.
func TestOpenRecordsOnlyHoldLittle(t *testing.T) {
	base := time.Date(2026, 11, 27, 0, 15, 0, 0, time.UTC)
	live := NewLive(New(DefaultConfig(), func(Chain) {}), DefaultSlack, time.Hour)
	wall := base
	busy := live.Source("busy.log", 1, wall)
	open := live.Source("open.log", 1, wall)
	for i := 0; i < 30; i++ {
		at := base.Add(time.Duration(i) * time.Second)
		busy.Touch(wall)
		busy.Push(parser.Event{Time: at, Source: "busy.log"})
		open.Touch(wall)
		open.SetOpen(at, true)
		wall = wall.Add(time.Second)
	}
	wm, ok := live.Watermark(wall)
	require.True(t, ok)
	assert.Equal(t, base.Add(29*time.Second-DefaultSlack), wm)
}

// TestSilentLogHoldsByHowLateItsLinesCome: a log read to its end holds the
// watermark back by the slack, or by how late its lines have come if later
// (its stamps against the wall clock, offset and all), not for --idle:
// PostgreSQL's log, silent between checkpoints, lets chains out at the pace
// of the busy logs; one whose lines come 4 s after their stamps holds them
// 4 s.
func TestSilentLogHoldsByHowLateItsLinesCome(t *testing.T) {
	event := time.Date(2026, 11, 27, 0, 15, 0, 0, time.UTC)
	offset := 96 * time.Hour // the logs' clock against the host's
	for _, tc := range []struct {
		name string
		late time.Duration // how late the silent log's lines come
		want time.Duration // how far the watermark is behind event time now
	}{
		{"timely", 0, DefaultSlack},
		{"1 s late, within the slack", time.Second, DefaultSlack},
		{"4 s late", 4 * time.Second, 4 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := NewLive(New(DefaultConfig(), func(Chain) {}), DefaultSlack, time.Hour)
			wall := event.Add(offset)
			busy := live.Source("busy.log", 1, wall)
			silent := live.Source("silent.log", 1, wall)
			for _, s := range []*LiveSource{busy, silent} {
				s.SetBehind(false)
			}
			// Its lines, a timely one first: the quickest tells the
			// offset. The next comes late against the wall clock, not
			// against the line before it, so it is placed at its time.
			for _, late := range []time.Duration{0, tc.late} {
				silent.Touch(wall)
				silent.Push(parser.Event{Time: wall.Add(-offset - late), Source: "silent.log"})
				wall = wall.Add(5 * time.Second)
			}
			for i := 0; i < 100; i++ { // 10 s of a busy log, the other silent
				busy.Touch(wall)
				busy.Push(parser.Event{Time: wall.Add(-offset), Source: "busy.log"})
				wall = wall.Add(100 * time.Millisecond)
			}
			wm, ok := live.Watermark(wall)
			require.True(t, ok)
			assert.Equal(t, wall.Add(-offset-tc.want), wm)
		})
	}
}

// TestOpenRecordHoldsItsPlace: a record its parser holds open (a traceback
// that ends only when the next record begins) keeps the watermark at its
// place however long it stays open, even where its log is read to its end
// and its lines have come on time: Django's last record of a burst, 1.5 s
// behind the one before it, would otherwise be placed after the chains it
// belongs to were out.
func TestOpenRecordHoldsItsPlace(t *testing.T) {
	event := time.Date(2026, 11, 27, 0, 15, 0, 0, time.UTC)
	live := NewLive(New(DefaultConfig(), func(Chain) {}), DefaultSlack, time.Hour)
	var overtaken []time.Time
	live.Overtaken = func(_ string, ev *parser.Event, _ time.Duration) { overtaken = append(overtaken, ev.Time) }
	wall := event
	busy := live.Source("busy.log", 1, wall)
	django := live.Source("django_errors.log", 1, wall)
	for _, s := range []*LiveSource{busy, django} {
		s.SetBehind(false)
	}
	django.Touch(wall)
	django.Push(parser.Event{Time: wall, Source: "django_errors.log"})
	held := wall.Add(500 * time.Millisecond)
	django.SetOpen(held, true)
	for i := 0; i < 100; i++ { // 10 s of the busy log
		wall = wall.Add(100 * time.Millisecond)
		speak(live, busy, wall)
		wm, ok := live.Watermark(wall)
		require.True(t, ok)
		require.False(t, wm.After(held), "at %s the watermark passed the open record", wall.Sub(event))
	}
	// Ended by a pause: its event comes, then the parser holds nothing.
	django.Push(parser.Event{Time: held, Source: "django_errors.log"})
	django.SetOpen(time.Time{}, false)
	live.Tick(wall)
	assert.Empty(t, overtaken)
	wm, _ := live.Watermark(wall)
	assert.Equal(t, wall.Add(-DefaultSlack), wm, "once it ends, the slack again")
}

// TestOvertakenIsSaid: after a silence, a line later than its log's lines
// have come and than the slack finds the watermark past its place; the
// follower is told, so that it can say which line (tail does, on stderr).
// One within the slack is in time.
func TestOvertakenIsSaid(t *testing.T) {
	for _, tc := range []struct {
		name string
		late time.Duration
		said bool
	}{
		{"within the slack", 1500 * time.Millisecond, false},
		{"past the slack", 3 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			event := time.Date(2026, 11, 27, 0, 15, 0, 0, time.UTC)
			live := NewLive(New(DefaultConfig(), func(Chain) {}), DefaultSlack, time.Hour)
			var said []time.Duration
			live.Overtaken = func(_ string, _ *parser.Event, by time.Duration) { said = append(said, by) }
			wall := event
			busy := live.Source("busy.log", 1, wall)
			silent := live.Source("silent.log", 1, wall)
			for _, s := range []*LiveSource{busy, silent} {
				s.SetBehind(false)
			}
			silent.Touch(wall)
			silent.Push(parser.Event{Time: wall, Source: "silent.log"})
			for i := 0; i < 100; i++ {
				wall = wall.Add(100 * time.Millisecond)
				speak(live, busy, wall)
			}
			silent.Touch(wall)
			silent.Push(parser.Event{Time: wall.Add(-tc.late), Source: "silent.log"})
			if !tc.said {
				assert.Empty(t, said)
				return
			}
			require.Len(t, said, 1)
			assert.Equal(t, tc.late-DefaultSlack, said[0], "by how much: the watermark is the slack behind")
		})
	}
}

// TestNewGenerationKeepsLag: the file a rotation leaves new starts with
// what the one before it showed of how late the log's lines come, so that
// once the old one is done, the new one, read to its end, holds the
// watermark by the slack rather than at its newest less the slack.
func TestNewGenerationKeepsLag(t *testing.T) {
	event := time.Date(2026, 11, 27, 0, 15, 0, 0, time.UTC)
	live := NewLive(New(DefaultConfig(), func(Chain) {}), DefaultSlack, time.Hour)
	wall := event
	first := live.Source("x.log", 1, wall)
	first.SetBehind(false)
	for i := 0; i < 10; i++ {
		first.Touch(wall)
		first.Push(parser.Event{Time: wall, Source: "x.log"})
		wall = wall.Add(100 * time.Millisecond)
	}
	first.Done()
	// Its first lines come in its first read, before it is known to be
	// read to its end: they show nothing of how late lines come.
	second := live.Source("x.log", 2, wall)
	second.Touch(wall)
	second.Push(parser.Event{Time: wall, Source: "x.log"})
	second.SetBehind(false)
	wall = wall.Add(time.Second)
	wm, ok := live.Watermark(wall)
	require.True(t, ok)
	assert.Equal(t, wall.Add(-DefaultSlack), wm, "now less the slack, not its newest (a second ago) less the slack")
}

// TestNewLogHoldsUntilItSpeaks: a log the follower has just found (its
// path's first file) may still say anything: until it has an event, or for
// --idle at most, event time stays where it is, so that its first lines,
// found a look after the others', are not placed behind chains already
// out. A file a rotation made does not: its lines follow its log's.
func TestNewLogHoldsUntilItSpeaks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gen   int
		holds bool
	}{
		{"a new log", 1, true},
		{"a rotated log's new file", 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			event := time.Date(2026, 11, 27, 0, 15, 0, 0, time.UTC)
			idle := 5 * time.Second
			live := NewLive(New(DefaultConfig(), func(Chain) {}), DefaultSlack, idle)
			wall := event
			busy := live.Source("busy.log", 1, wall)
			speak(live, busy, wall)
			before, _ := live.Mark()
			live.Source("new.log", tc.gen, wall)
			for i := 0; i < 30; i++ {
				wall = wall.Add(100 * time.Millisecond)
				speak(live, busy, wall)
			}
			held, _ := live.Mark()
			if tc.holds {
				assert.Equal(t, before, held, "held where it was")
			} else {
				assert.Equal(t, wall.Add(-DefaultSlack), held)
			}
			wall = wall.Add(idle)
			speak(live, busy, wall)
			after, _ := live.Mark()
			assert.Equal(t, wall.Add(-DefaultSlack), after, "not past --idle")
		})
	}
}

// speak has a source read one line, stamped as it is read, and ticks live.
func speak(live *Live, s *LiveSource, wall time.Time) {
	s.Touch(wall)
	s.Push(parser.Event{Time: wall, Source: s.name})
	live.Tick(wall)
}
