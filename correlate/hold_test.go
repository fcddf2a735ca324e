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
		c.AddAt(parser.Event{Time: base, Source: "a.log"}, base.Add(tc.late))
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
		open.Seen(at)
		wall = wall.Add(time.Second)
	}
	wm, ok := live.Watermark(wall)
	require.True(t, ok)
	assert.Equal(t, base.Add(29*time.Second-DefaultSlack), wm)
}

// TestSilentLogHoldsByHowLateItsLinesCome: a log read to its end holds the
// watermark back by how late its lines have come (its stamps against the
// wall clock, offset and all), not for --idle: PostgreSQL's log, silent
// between checkpoints, lets chains out at the pace of the busy logs; one
// whose lines come 4 s after their stamps holds them that much longer.
func TestSilentLogHoldsByHowLateItsLinesCome(t *testing.T) {
	event := time.Date(2026, 11, 27, 0, 15, 0, 0, time.UTC)
	offset := 96 * time.Hour // the logs' clock against the host's
	for _, tc := range []struct {
		name string
		late time.Duration // how late the silent log's lines come
		want time.Duration // how far the watermark is behind event time now
	}{
		{"timely", 0, DefaultSlack},
		{"4 s late", 4 * time.Second, 4*time.Second + DefaultSlack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := NewLive(New(DefaultConfig(), func(Chain) {}), DefaultSlack, time.Hour)
			wall := event.Add(offset)
			busy := live.Source("busy.log", 1, wall)
			silent := live.Source("silent.log", 1, wall)
			for _, s := range []*LiveSource{busy, silent} {
				s.SetBehind(false)
			}
			// Its lines, a timely one first: the quickest tells the offset.
			for _, late := range []time.Duration{0, tc.late} {
				silent.Touch(wall)
				silent.Push(parser.Event{Time: wall.Add(-offset - late), Source: "silent.log"})
				wall = wall.Add(100 * time.Millisecond)
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
