package parser

import (
	"strings"

	"github.com/logcorr/logcorr/internal/slab"
)

// PyLogging parses a file written by Python's logging with a known format:
// a record is a line that matches the format, and every line after it that
// does not (a traceback, a multi-line message) belongs to it.
type PyLogging struct {
	format *PyFormat
	clock  *Clock
	openRecord
	m pyMatch
	// asked is the line headStarts matched into m, and whether it
	// matched, while its Feed has not come.
	asked     string
	askedOK   bool
	haveAsked bool

	unparsed int
	fields   slab.Slab[Field]
	// paused: the record was handed on by Pause; lines continuing it are
	// still its own.
	paused bool
}

// NewPyLogging returns a parser for one file written with format.
func NewPyLogging(format *PyFormat, clock *Clock, emit Emit) *PyLogging {
	return &PyLogging{format: format, clock: clock, openRecord: openRecord{emit: emit}}
}

func init() {
	register(&Format{
		Name:        "python",
		Family:      FamilyDjango,
		Rank:        50,
		Option:      "FORMAT",
		NeedsOption: true,
		Summary: "a Python logging file written with this format string, %-style or {-style; most are recognised without it, " +
			"asctime first or after the level, [LEVEL] or LEVEL, logger name, pid and thread; key=value pairs in messages become fields",
		Examples: []string{
			`2026-11-27 00:15:05,501 WARNING auth_debug: method=POST path=/accounts/login/ user=lt_139 status=500 dur_ms=140`,
			`ERROR 2026-11-27 00:15:17,087 log 28488 140509980616384 Internal Server Error: /accounts/login/`,
			`[2026-11-27 00:14:59,312] vm/INFO/locust.main: Starting Locust`,
		},
		starts: func(s Spec, line string) bool {
			var m pyMatch
			return s.Py.match(line, &m)
		},
		build: func(s Spec, c *Clock, emit Emit) Parser { return NewPyLogging(s.Py, c, emit) },
		variants: func(f *Format, sample []string) []Spec {
			if len(sample) == 1 && !timeNearStart(sample[0]) {
				return nil // one line, as a stream's lines are tried: no record without a time
			}
			out := make([]Spec, 0, len(PyPresets)+1)
			for _, pf := range compiledPresets() {
				out = append(out, Spec{Format: f, Py: pf})
			}
			if pf := inferSpec(sample); pf != nil {
				out = append(out, Spec{Format: f, Py: pf})
			}
			return out
		},
		withOption: func(f *Format, opt string) (Spec, error) {
			pf, err := CompilePyFormat(opt)
			if err != nil {
				return Spec{}, err
			}
			return Spec{Format: f, Py: pf}, nil
		},
	})
}

// headStarts implements headStarter.
func (p *PyLogging) headStarts(line string) bool {
	p.asked, p.askedOK, p.haveAsked = line, p.format.match(line, &p.m), true
	return p.askedOK
}

// match matches a line against the format into p.m, unless headStarts
// just did: a match depends on the line's text alone.
func (p *PyLogging) match(line string) bool {
	if p.haveAsked && p.asked == line {
		p.haveAsked = false
		return p.askedOK
	}
	p.haveAsked = false
	return p.format.match(line, &p.m)
}

// Feed implements Parser.
func (p *PyLogging) Feed(l Line) {
	num, line := l.Num, Clean(l.Text)
	if !p.match(line) {
		if p.rec == nil {
			if !p.paused {
				p.unparsed++
			}
			return
		}
		p.tb.add(line)
		p.rec.EndLine = num
		return
	}
	p.endRecord()
	p.paused = false
	t, prec := p.m.instant(p.clock, num)
	ev := Event{Source: p.clock.Source, Line: num, EndLine: num, Time: t, Precision: prec,
		Kind: KindRecord, Level: p.m.level, Text: line, Message: p.m.msg}
	// Room for the format's fields and the message's key=value pairs at
	// once: growing the slice pair by pair cost more than reading them.
	ev.Fields = p.fields.Make(p.m.nfields + strings.Count(p.m.msg, "="))
	for i := 0; i < p.m.nfields; i++ {
		ev.setField(p.m.fields[i].k, p.m.fields[i].v)
	}
	classifyMessage(&ev)
	p.hold(ev)
}

// classifyMessage recognises what a record's message reports: an access
// line (a django.server file handler), a django.request record, or
// key=value pairs that name a response.
func classifyMessage(ev *Event) {
	switch {
	case parseRequestLine(ev.Message, ev):
		ev.Kind = KindAccess
	case parseRequestLog(ev.Message, ev, true):
		ev.Kind = KindRequestLog
	default:
		parseKV(ev.Message, ev)
	}
}

// Pause implements Pauser.
func (p *PyLogging) Pause() {
	if p.rec != nil {
		p.endRecord()
		p.paused = true
	}
}

// Unparsed implements Parser.
func (p *PyLogging) Unparsed() int { return p.unparsed }

// timeNearStart reports whether a line has what a time is made of near its
// start (a year, or hours and minutes), as every logging record's time
// (asctime or created) puts there.
func timeNearStart(line string) bool {
	run := 0
	for i := 0; i < len(line) && i < 48; i++ {
		switch c := line[i]; {
		case isDigit(c):
			run++
			if run == 4 {
				return true
			}
		case c == ':' && run == 2 && i+2 < len(line) && isDigit(line[i+1]) && isDigit(line[i+2]):
			return true
		default:
			run = 0
		}
	}
	return false
}
