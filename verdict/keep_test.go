package verdict

import (
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
)

// block stands for what source.LineReader hands out: the lines of a 64 KB
// read as pieces of one string. A piece kept for the whole run holds the
// whole block.
type block string

// piece returns the text as a piece of the block.
func (b block) piece(text string) string {
	i := strings.Index(string(b), text)
	if i < 0 {
		panic("not in the block: " + text)
	}
	return string(b)[i : i+len(text)]
}

// holds reports whether s shares the block's memory.
func (b block) holds(s string) bool {
	if s == "" {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.StringData(string(b))))
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	return p >= start && p < start+uintptr(len(b))
}

// TestKeepsNoPieceOfTheInput: what Tally and Traffic keep for the whole
// run (routes, causes, exceptions, the timeline's marks) are copies, not
// pieces of the lines they came from; a gigabyte run once held 267 MB
// of its input through them.
func TestKeepsNoPieceOfTheInput(t *testing.T) {
	b := block(strings.Repeat("x", 1000) + ` POST /accounts/login/ 500 redis.exceptions.ConnectionError: Error 111 connecting ` +
		`psycopg2.OperationalError: server closed the connection unexpectedly django_errors.log`)
	at := time.Date(2026, 11, 27, 0, 15, 5, 0, time.UTC)
	exc := &parser.Exception{Class: b.piece("psycopg2.OperationalError"), Message: b.piece("server closed the connection unexpectedly")}
	ch := &correlate.Chain{Time: at, Method: b.piece("POST"), Path: b.piece("/accounts/login/"), Status: 500,
		Cause: b.piece("redis.exceptions.ConnectionError"), Exc: exc}
	unexplained := *ch
	unexplained.Hypothesis, unexplained.Cause = "", b.piece("psycopg2.OperationalError")
	explained := *ch
	explained.Hypothesis = b.piece("redis.exceptions.ConnectionError")

	tally := NewTally()
	tally.Chain(&unexplained)
	tally.Chain(&explained)
	for r := range tally.anchors {
		assert.False(t, b.holds(r.Method) || b.holds(r.Path), "anchor route %v", r)
	}
	assert.NotEmpty(t, tally.marks)
	for c := range tally.marks {
		assert.False(t, b.holds(c), "mark %q", c)
	}
	for c := range tally.uncatalogued {
		assert.False(t, b.holds(c), "uncatalogued %q", c)
	}
	for e := range tally.open {
		assert.False(t, b.holds(e.Class) || b.holds(e.Message), "open exception %v", e)
	}
	for h := range tally.byCause {
		assert.False(t, b.holds(h), "hypothesis %q", h)
	}

	traffic := NewTraffic([]string{"/accounts/login/"})
	access := parser.Event{Kind: parser.KindAccess, Time: at, Method: b.piece("POST"), Path: b.piece("/accounts/login/"), Status: 500}
	record := parser.Event{Kind: parser.KindRequestLog, Time: at, Source: b.piece("django_errors.log"), Path: b.piece("/accounts/login/"), Status: 500, Exc: exc}
	traffic.Event(&access, nil)
	traffic.Event(&record, nil)
	require := assert.New(t)
	require.NotEmpty(traffic.access)
	require.NotEmpty(traffic.records)
	for r := range traffic.access {
		assert.False(t, b.holds(r.Method) || b.holds(r.Path), "access route %v", r)
	}
	for k := range traffic.records {
		assert.False(t, b.holds(k.File) || b.holds(k.Path) || b.holds(k.Exc), "record %v", k)
	}
	require.NotEmpty(traffic.perSecAcc)
	for m := range traffic.perSecAcc {
		assert.False(t, b.holds(m), "method %q counted per second", m)
	}
}
