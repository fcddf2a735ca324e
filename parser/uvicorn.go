package parser

import (
	"fmt"
	"strings"
)

func init() {
	register(&Format{
		Name:   "uvicorn",
		Family: FamilyAccess,
		Rank:   36,
		Summary: "uvicorn's default log (Django under ASGI): access lines and errors with their tracebacks, after a padded level; " +
			"it writes no time, so its lines are dated by a collector's (docker -t, CRI, journald)",
		Examples: []string{
			`INFO:     10.42.0.46:40034 - "POST /accounts/login/ HTTP/1.1" 500 Internal Server Error`,
			`ERROR:    Exception in ASGI application`,
		},
		starts: func(_ Spec, line string) bool {
			_, _, ok := uvicornHead(line)
			return ok
		},
		build: func(_ Spec, c *Clock, emit Emit) Parser {
			return &Uvicorn{clock: c, openRecord: openRecord{emit: emit}}
		},
	})
}

// uvicornHead reads the level uvicorn pads to nine columns: "INFO:     ".
func uvicornHead(line string) (level string, msgAt int, ok bool) {
	colon := strings.IndexByte(line, ':')
	if colon < 4 || colon > 8 || len(line) < 10 {
		return "", 0, false
	}
	level = line[:colon]
	switch level {
	case "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "TRACE":
	default:
		return "", 0, false
	}
	i := colon + 1
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i < 10 && i < len(line) { // the message starts at column ten
		return "", 0, false
	}
	return level, i, true
}

// Uvicorn parses uvicorn's log.
type Uvicorn struct {
	clock *Clock
	openRecord
	unparsed int
	// Untimed counts records no collector dated.
	Untimed int
}

// Feed implements Parser.
func (p *Uvicorn) Feed(l Line) {
	line := Clean(l.Text)
	level, at, ok := uvicornHead(line)
	if !ok {
		switch {
		case p.rec != nil:
			p.tb.add(line)
			p.rec.EndLine = l.Num
		case strings.TrimSpace(line) != "":
			p.unparsed++
		}
		return
	}
	p.endRecord()
	ev := Event{Source: p.clock.Source, Line: l.Num, EndLine: l.Num, Kind: KindRecord, Level: level, Text: line, Message: line[at:]}
	if l.Stamp.IsZero() {
		p.Untimed++
		return
	}
	ev.Time, ev.Precision, ev.Stamped = l.Stamp, l.StampPrecision, true
	// "10.42.0.46:40034 - "POST /x HTTP/1.1" 500 Internal Server Error"
	if dash := strings.Index(ev.Message, ` - "`); dash > 0 && !strings.Contains(ev.Message[:dash], " ") {
		var probe Event
		if parseRequestLine(ev.Message[dash+3:], &probe) {
			ev.Kind, ev.Method, ev.Path, ev.Status = KindAccess, probe.Method, probe.Path, probe.Status
			ev.setField("client", ev.Message[:dash])
		}
	}
	p.hold(ev)
}

// Unparsed implements Parser.
func (p *Uvicorn) Unparsed() int { return p.unparsed }

// LeftOut implements LeftOuter.
func (p *Uvicorn) LeftOut() string {
	if p.Untimed > 0 {
		return untimedNote(p.Untimed, "uvicorn writes no time and no collector dated them")
	}
	return ""
}

func untimedNote(n int, why string) string {
	return fmt.Sprintf("%d records had no time (%s) and were left out", n, why)
}
