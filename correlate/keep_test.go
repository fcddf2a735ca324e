package correlate

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

// inBlock rewrites an event's texts as pieces of one string, as
// source.LineReader hands out lines: pieces of a 64 KB read.
type inBlock struct{ b strings.Builder }

func (k *inBlock) add(s *string) func(block string) {
	if *s == "" {
		return func(string) {}
	}
	at := k.b.Len()
	k.b.WriteString(*s)
	n := len(*s)
	return func(block string) { *s = block[at : at+n] }
}

func (k *inBlock) holds(block, s string) bool {
	if s == "" {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.StringData(block)))
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	return p >= start && p < start+uintptr(len(block))
}

// TestKeepsNoPieceOfTheInput: the summary's keys and the requests kept for
// late reports (LateHorizon) are copies, not pieces of the lines they came
// from, which would hold whole blocks of the input for the run.
func TestKeepsNoPieceOfTheInput(t *testing.T) {
	var k inBlock
	var set []func(string)
	var evs []parser.Event
	for i := 0; i < 3; i++ {
		exc := &parser.Exception{Class: lostConn.Class, Message: lostConn.Message}
		rec := errRecord("django_errors.log", 10+100*i, 10+float64(i), exc)
		acc := access(20+100*i, 10.5+float64(i), 500)
		evs = append(evs, rec, acc)
	}
	for i := range evs {
		ev := &evs[i]
		set = append(set, k.add(&ev.Method), k.add(&ev.Path))
		if ev.Exc != nil {
			set = append(set, k.add(&ev.Exc.Class), k.add(&ev.Exc.Message))
		}
	}
	block := k.b.String()
	for _, f := range set {
		f(block)
	}
	require.True(t, k.holds(block, evs[0].Path), "the events' texts are pieces of the block")

	var chains []Chain
	c := New(DefaultConfig(), func(ch Chain) { chains = append(chains, ch) })
	for _, ev := range evs {
		c.AddAt(&ev, ev.Time)
	}
	c.Advance(at(60))
	require.Len(t, chains, 3)
	require.NotEmpty(t, c.past, "requests are kept for late reports")
	for _, g := range c.past {
		assert.False(t, k.holds(block, g.path) || k.holds(block, g.method), "request %s %s", g.method, g.path)
		if g.exc != nil {
			assert.False(t, k.holds(block, g.exc.Class) || k.holds(block, g.exc.Message), "request's exception")
		}
	}
	for cause := range c.sum.ByCause {
		assert.False(t, k.holds(block, cause), "cause %q", cause)
	}
	for h := range c.sum.ByHypothesis {
		assert.False(t, k.holds(block, h), "hypothesis %q", h)
	}
}
