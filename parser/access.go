package parser

import (
	"strings"
	"time"
)

// Access parses access logs in the Common or Combined Log Format that
// gunicorn, nginx and Apache write:
//
//	127.0.0.1 - - [26/Nov/2026:10:26:40 -0600] "GET /boom/ HTTP/1.1" 500 145 "-" "locust/2.12.1"
type Access struct {
	clock    *Clock
	emit     Emit
	unparsed int
}

// NewAccess returns a parser for one access log.
func NewAccess(clock *Clock, emit Emit) *Access { return &Access{clock: clock, emit: emit} }

func init() {
	register(&Format{
		Name:    "access",
		Family:  FamilyAccess,
		Rank:    40,
		Summary: "access logs in the Common or Combined Log Format: gunicorn --access-logfile, nginx, Apache",
		Examples: []string{
			`127.0.0.1 - - [27/Nov/2026:00:15:05 +0700] "POST /accounts/login/ HTTP/1.1" 500 145 "-" "python-requests/2.31.0"`,
		},
		starts: func(_ Spec, line string) bool {
			_, at, ok := accessHead(line)
			return ok && parseRequestLine(line[at:], nil)
		},
		build: func(_ Spec, c *Clock, emit Emit) Parser { return NewAccess(c, emit) },
	})
}

// accessHead finds the bracketed time after "host ident user " and returns
// it with where the request line starts.
func accessHead(line string) (stamp, int, bool) {
	open := strings.IndexByte(line, '[')
	if open < 5 || open > 200 || strings.Count(line[:open], " ") < 3 {
		return stamp{}, 0, false
	}
	st, n, ok := scanStamp(line[open+1:], false)
	end := open + 1 + n
	if !ok || end+2 >= len(line) || line[end] != ']' || line[end+1] != ' ' {
		return stamp{}, 0, false
	}
	return st, end + 2, true
}

// Feed implements Parser.
func (p *Access) Feed(l Line) {
	num, line := l.Num, Clean(l.Text)
	st, at, ok := accessHead(line)
	if !ok {
		if line != "" {
			p.unparsed++
		}
		return
	}
	ev := Event{Source: p.clock.Source, Line: num, EndLine: num, Time: p.clock.instant(st, num), Precision: st.precision,
		Kind: KindAccess, Text: line, Message: line[at:]}
	if !parseRequestLine(line[at:], &ev) {
		p.unparsed++
		return
	}
	ev.Level = accessLevel(ev.Status)
	ev.setField("client", line[:strings.IndexByte(line, ' ')])
	p.emit(ev)
}

// Flush implements Parser.
func (p *Access) Flush() {}

// Continues implements Continuer: an access line is a record of its own.
func (p *Access) Continues(string) bool { return false }

// Unparsed implements Parser.
func (p *Access) Unparsed() int { return p.unparsed }

// Open implements Parser: every line is an event of its own.
func (p *Access) Open() (time.Time, bool) { return time.Time{}, false }
