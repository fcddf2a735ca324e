package parser

import (
	"strings"
	"time"

	"github.com/logcorr/logcorr/internal/slab"
)

// Postgres parses a PostgreSQL server log whose log_line_prefix starts with
// %m or %t: the default '%m [%p] ', Debian's '%m [%p] %q%u@%d ' and most
// others, since the severity is found by its own shape ("ERROR:  ") after the
// prefix. DETAIL, HINT, CONTEXT and STATEMENT lines are folded into the
// record of the same process before them.
type Postgres struct {
	clock  *Clock
	emit   Emit
	prefix *PGPrefix // the log_line_prefix, when the user gave it
	// cur is the record open, while open: by value, as a pointer moved
	// every line's event to the heap.
	cur    Event
	open   bool
	fields slab.Slab[Field]
	m      pyMatch

	unparsed int
}

// NewPostgres returns a parser for one PostgreSQL log; prefix may be nil.
func NewPostgres(clock *Clock, emit Emit, prefix *PGPrefix) *Postgres {
	return &Postgres{clock: clock, emit: emit, prefix: prefix}
}

func init() {
	register(&Format{
		Name:   "postgresql",
		Family: FamilyPostgres,
		Rank:   30,
		Option: "PREFIX",
		Summary: "PostgreSQL's stderr log with a log_line_prefix starting with %m or %t ('%m [%p] ', Debian's '%m [%p] %q%u@%d ', AWS RDS's '%t:%r:%u@%d:[%p]:'); " +
			"with postgresql:PREFIX, the log_line_prefix you give, e.g. --parser 'postgresql.log=postgresql:%t [%p]: [%l-1] user=%u,db=%d '",
		Examples: []string{
			`2026-11-26 17:15:00.123 UTC [28400] ahsp@ahsp FATAL:  sorry, too many clients already`,
			`2026-11-26 17:15:00.441 UTC [28399] [unknown]@[unknown] LOG:  connection received: host=127.0.0.1 port=53850`,
			// AWS RDS, as in PrairieLearn/PrairieLearn#1623.
			`2019-08-05 08:10:00 UTC:10.0.0.229(47044):pdb@pldev:[28030]:FATAL:  terminating connection due to idle-in-transaction timeout`,
		},
		starts: func(s Spec, line string) bool {
			if rest, part, ok := syslogSequence(line); ok {
				if part > 1 {
					return false
				}
				line = rest
			}
			if s.PG != nil {
				var m pyMatch
				return s.PG.match(line, &m)
			}
			if _, k, ok := scanStamp(line, true); ok {
				sev, _, _ := findSeverity(line, k)
				return sev != ""
			}
			return false
		},
		build: func(s Spec, c *Clock, emit Emit) Parser { return NewPostgres(c, emit, s.PG) },
		withOption: func(f *Format, opt string) (Spec, error) {
			pg, err := CompilePGPrefix(opt)
			if err != nil {
				return Spec{}, err
			}
			return Spec{Format: f, PG: pg}, nil
		},
	})
}

var pgSeverities = []string{"LOG", "ERROR", "FATAL", "PANIC", "WARNING", "NOTICE", "INFO", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "DEBUG"}
var pgFollowUps = []string{"DETAIL", "HINT", "CONTEXT", "STATEMENT", "QUERY", "LOCATION"}

// findSeverity finds "SEVERITY:  " in the prefix part of a line, after a
// space or a colon (AWS RDS's prefix ends in one), and returns the severity
// and where its text starts.
func findSeverity(line string, from int) (sev string, at int, followUp bool) {
	limit := min(len(line), from+160)
	for i := from; i < limit; i++ {
		if i > from && line[i-1] != ' ' && line[i-1] != ':' {
			continue
		}
		if !isUpper(line[i]) {
			continue
		}
		j := strings.Index(line[i:min(len(line), i+12)], ":  ")
		if j <= 0 {
			continue
		}
		word := line[i : i+j]
		for _, s := range pgSeverities {
			if word == s {
				return s, i + j + 3, false
			}
		}
		for _, s := range pgFollowUps {
			if word == s {
				return s, i + j + 3, true
			}
		}
	}
	return "", 0, false
}

// head reads a line's prefix: with the user's log_line_prefix when given,
// else by finding the severity after a leading timestamp.
func (p *Postgres) head(line string, num int) (t time.Time, prec time.Duration, pid, sev string, at int, followUp, ok bool) {
	if p.prefix != nil {
		if !p.prefix.match(line, &p.m) {
			return t, 0, "", "", 0, false, false
		}
		t, prec = p.m.instant(p.clock, num)
		for i := 0; i < p.m.nfields; i++ {
			if p.m.fields[i].k == "process" {
				pid = p.m.fields[i].v
			}
		}
		at = len(line) - len(p.m.msg)
		sev, sevEnd, followUp := findSeverity(line, at)
		return t, prec, pid, sev, sevEnd, followUp, true
	}
	st, n, ok := scanStamp(line, true)
	if !ok {
		return t, 0, "", "", 0, false, false
	}
	sev, at, followUp = findSeverity(line, n)
	if sev == "" {
		return t, 0, "", "", 0, false, false
	}
	if i := strings.IndexByte(line[n:at], '['); i >= 0 {
		rest := line[n+i+1 : at]
		if j := strings.IndexByte(rest, ']'); j > 0 {
			if _, isNum := atoi(rest[:j]); isNum {
				pid = rest[:j]
			}
		}
	}
	return p.clock.instant(st, num), st.precision, pid, sev, at, followUp, true
}

// syslogSequence reads the "[43992-9] " that PostgreSQL puts before each
// line it sends to syslog (syslog_sequence_numbers): the part number says
// whether the line goes on a message split at syslog's line length.
func syslogSequence(line string) (rest string, part int, ok bool) {
	if len(line) < 6 || line[0] != '[' {
		return line, 0, false
	}
	end := strings.Index(line, "] ")
	dash := strings.IndexByte(line, '-')
	if end < 0 || dash < 2 || dash > end {
		return line, 0, false
	}
	if _, ok := atoi(line[1:dash]); !ok {
		return line, 0, false
	}
	part, ok = atoi(line[dash+1 : end])
	if !ok {
		return line, 0, false
	}
	return line[end+2:], part, true
}

// Feed implements Parser.
func (p *Postgres) Feed(l Line) {
	num, line := l.Num, Clean(l.Text)
	if rest, part, ok := syslogSequence(line); ok {
		if part > 1 && p.open {
			p.cur.Message += "\n" + rest
			p.cur.EndLine = num
			return
		}
		line = rest
	}
	if len(line) > 0 && line[0] == '\t' && p.open {
		p.cur.Message += "\n" + line[1:]
		p.cur.EndLine = num
		return
	}
	t, prec, pid, sev, at, followUp, ok := p.head(line, num)
	if !ok {
		if line != "" {
			p.unparsed++
		}
		return
	}
	if followUp && p.open && p.cur.Field("pid") == pid {
		p.cur.Message += "\n" + sev + ":  " + line[at:]
		p.cur.EndLine = num
		return
	}
	p.flushCur()
	ev := Event{Source: p.clock.Source, Line: num, EndLine: num, Time: t, Precision: prec,
		Kind: KindPostgres, Level: sev, Text: line, Message: line[at:]}
	if pid != "" {
		ev.Fields = p.fields.Make(1)
		ev.setField("pid", pid)
	}
	p.cur, p.open = ev, true
}

func (p *Postgres) flushCur() {
	if p.open {
		tagTiming(&p.cur)
		p.emit(p.cur)
		p.open = false
	}
}

// Flush implements Parser.
func (p *Postgres) Flush() { p.flushCur() }

// Continues implements Continuer: a message's own line breaks go on in
// tab-indented lines (DETAIL and the like have a prefix of their own).
func (p *Postgres) Continues(line string) bool {
	if _, part, ok := syslogSequence(line); ok {
		return part > 1 && p.open
	}
	return p.open && line != "" && line[0] == '\t'
}

// Unparsed implements Parser.
func (p *Postgres) Unparsed() int { return p.unparsed }

// Open implements Parser.
func (p *Postgres) Open() (time.Time, bool) {
	if !p.open {
		return time.Time{}, false
	}
	return p.cur.Time, true
}

// EndRecord implements Ender.
func (p *Postgres) EndRecord() { p.flushCur() }
