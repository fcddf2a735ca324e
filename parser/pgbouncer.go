package parser

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/logcorr/logcorr/internal/slab"
)

// PgBouncer parses PgBouncer's log file: "TIME ZONE [PID] LEVEL message",
// where a message about a connection starts with "C-0x…: db/user@addr:port "
// and a multi-line message goes on in tab-indented lines.
type PgBouncer struct {
	clock *Clock
	emit  Emit
	// cur is the record being read, while open.
	cur  Event
	open bool
	// asked is the line headStarts read the head of, while its Feed has
	// not come.
	asked     string
	head      pgBouncerHead
	haveAsked bool

	unparsed int
	// A field (the pid) on nearly every line: from blocks, not an
	// allocation each.
	fields slab.Slab[Field]
}

// pgBouncerHead is what parsePgBouncerHead reads of a line.
type pgBouncerHead struct {
	st         stamp
	pid, level string
	msgAt      int
	ok         bool
}

func readPgBouncerHead(line string) (h pgBouncerHead) {
	h.st, h.pid, h.level, h.msgAt, h.ok = parsePgBouncerHead(line)
	return h
}

// pgBouncerStarts tells a record's first line by its head: timed, or, a
// collector having taken the time off, plainly PgBouncer's.
func pgBouncerStarts(line string, h pgBouncerHead) bool {
	if h.ok {
		return true
	}
	_, _, strong, _ := untimedPgBouncer(line)
	return strong
}

// headStarts implements headStarter.
func (p *PgBouncer) headStarts(line string) bool {
	p.asked, p.head, p.haveAsked = line, readPgBouncerHead(line), true
	return pgBouncerStarts(line, p.head)
}

// NewPgBouncer returns a parser for one PgBouncer log.
func NewPgBouncer(clock *Clock, emit Emit) *PgBouncer {
	return &PgBouncer{clock: clock, emit: emit}
}

func init() {
	register(&Format{
		Name:    "pgbouncer",
		Family:  FamilyPgBouncer,
		Rank:    20,
		Summary: "PgBouncer's log file, or its lines as syslog and journald write them",
		Examples: []string{
			`2026-11-26 17:15:12.718 UTC [28431] LOG C-0x55723b8f6730: ahsp/ahsp@127.0.0.1:44978 closing because: query_wait_timeout (age=4s)`,
			`2026-11-26 17:15:12.718 UTC [28431] WARNING C-0x55723b8f6730: ahsp/ahsp@127.0.0.1:44978 pooler error: query_wait_timeout`,
			`2026-11-26 17:15:02.783 UTC [28431] LOG stats: 12 xacts/s, 40 queries/s, in 7023 B/s, out 28370 B/s, xact 110043 us, query 14338 us, wait 2014556 us`,
		},
		starts: func(_ Spec, line string) bool { return pgBouncerStarts(line, readPgBouncerHead(line)) },
		build:  func(_ Spec, c *Clock, emit Emit) Parser { return NewPgBouncer(c, emit) },
	})
}

var pgbLevels = []string{"LOG", "WARNING", "ERROR", "FATAL", "DEBUG", "NOISE"}

// parsePgBouncerHead reads "2026-11-26 17:15:02.783 UTC [28431] LOG " (also
// the pre-1.11 form with neither zone nor brackets) and returns the level and
// where the message starts.
func parsePgBouncerHead(line string) (st stamp, pid, level string, msgAt int, ok bool) {
	// Syslog's time starts with a month's name: a line that starts with a
	// digit, as every line of PgBouncer's own file does, is not tried.
	if line != "" && !isDigit(line[0]) {
		if st, pid, level, at, ok := parseSyslogHead(line); ok {
			return st, pid, level, at, true
		}
	}
	st, n, ok := scanStamp(line, true)
	if !ok || n >= len(line) || line[n] != ' ' {
		return st, "", "", 0, false
	}
	i := n + 1
	br := i < len(line) && line[i] == '['
	if br {
		i++
	}
	j := i
	for j < len(line) && isDigit(line[j]) {
		j++
	}
	if j == i || (br && (j >= len(line) || line[j] != ']')) {
		return st, "", "", 0, false
	}
	pid = line[i:j]
	if br {
		j++
	}
	if j >= len(line) || line[j] != ' ' {
		return st, "", "", 0, false
	}
	j++
	for _, l := range pgbLevels {
		if strings.HasPrefix(line[j:], l) && (j+len(l) == len(line) || line[j+len(l)] == ' ') {
			return st, pid, l, min(j+len(l)+1, len(line)), true
		}
	}
	return st, "", "", 0, false
}

// parseSyslogHead reads PgBouncer's lines as syslog or journald write them:
// "Nov 26 16:20:54 host pgbouncer[6251]: LOG message", the level optional.
func parseSyslogHead(line string) (st stamp, pid, level string, msgAt int, ok bool) {
	st, n, ok := scanSyslog(line)
	if !ok || n >= len(line) || line[n] != ' ' {
		return st, "", "", 0, false
	}
	rest := line[n+1:]
	sp := strings.IndexByte(rest, ' ')
	if sp < 0 {
		return st, "", "", 0, false
	}
	prog := rest[sp+1:]
	colon := strings.Index(prog, ": ")
	open := strings.IndexByte(prog, '[')
	if colon < 0 || !strings.HasPrefix(prog, "pgbouncer") || open < 0 || open > colon || prog[colon-1] != ']' {
		return st, "", "", 0, false
	}
	pid = prog[open+1 : colon-1]
	at := n + 1 + sp + 1 + colon + 2
	level = "LOG"
	for _, l := range pgbLevels {
		if wordPrefix(line[at:], l) {
			return st, pid, l, at + len(l) + 1, true
		}
	}
	return st, pid, level, at, true
}

// wordPrefix reports whether s starts with word and a space. It is asked
// of every line of a stream PgBouncer shares with other programs, for each
// level: building word+" " cost an allocation each time.
func wordPrefix(s, word string) bool {
	return len(s) > len(word) && s[len(word)] == ' ' && s[:len(word)] == word
}

// untimedPgBouncer reads a PgBouncer line whose time and pid a collector
// took off (syslog, journald: "LOG C-0x…: db/user@addr:port …", the level
// optional): its level and where its message starts. strong says the line
// is plainly PgBouncer's (a connection prefix, a stats line), enough to
// recognise the format by; known that it has at least PgBouncer's level.
func untimedPgBouncer(line string) (level string, msgAt int, strong, known bool) {
	level, at := "LOG", 0
	for _, l := range pgbLevels {
		if wordPrefix(line, l) {
			level, at = l, len(l)+1
			break
		}
	}
	msg := line[at:]
	if _, _, _, ok := cutConnPrefix(msg); ok {
		return level, at, true, true
	}
	for _, phrase := range []string{"stats: ", "Stats: "} {
		if strings.HasPrefix(msg, phrase) {
			return level, at, true, true
		}
	}
	return level, at, false, at > 0
}

// Feed implements Parser. A line a collector took the time off is read
// at the collector's stamp.
func (p *PgBouncer) Feed(l Line) {
	num, line := l.Num, Clean(l.Text)
	if len(line) > 0 && line[0] == '\t' && p.open {
		p.cur.Message += "\n" + line[1:]
		p.cur.EndLine = num
		return
	}
	h := p.head
	if !p.haveAsked || p.asked != line {
		h = readPgBouncerHead(line)
	}
	p.haveAsked = false
	st, pid, level, at, ok := h.st, h.pid, h.level, h.msgAt, h.ok
	var t time.Time
	prec := st.precision
	stamped := false
	switch {
	case ok:
		t = p.clock.instant(st, num)
	case !l.Stamp.IsZero() && line != "":
		// A collector took the time and pid off: whatever the stream
		// holds is PgBouncer's message, its level there or not.
		level, at, _, _ = untimedPgBouncer(line)
		t, prec, stamped = l.Stamp, l.StampPrecision, true
	default:
		if line != "" {
			p.unparsed++
		}
		return
	}
	p.flushCur()
	ev := Event{Source: p.clock.Source, Line: num, EndLine: num, Time: t, Precision: prec, Stamped: stamped,
		Kind: KindPgBouncer, Level: level, Text: line}
	if pid != "" {
		// Room for the age a "closing because" line adds: appending it
		// to a full slice cost an allocation on a third of the lines.
		ev.Fields = p.fields.Make(2)
		ev.setField("pid", pid)
	}
	msg := line[at:]
	if _, _, rest, ok := cutConnPrefix(msg); ok {
		msg = rest
	}
	ev.Message = msg
	tagPgBouncer(&ev)
	// Held by value: a pointer would move every line's event to the heap.
	p.cur, p.open = ev, true
}

// parseConnPrefix reads "C-0x55723b8e5660: ahsp/ahsp@127.0.0.1:43642 ".
// The connection comes by value (Event.Connection reads it when asked);
// Feed only cuts the prefix off (cutConnPrefix).
func parseConnPrefix(msg string) (Conn, string, bool) {
	colon, who, rest, ok := cutConnPrefix(msg)
	if !ok {
		return Conn{}, msg, false
	}
	at := strings.LastIndexByte(who, '@')
	c := Conn{Side: msg[0], Ptr: msg[2:colon]}
	dbUser, addr := who[:at], who[at+1:]
	c.DB, c.User, _ = strings.Cut(dbUser, "/")
	if pc := strings.LastIndexByte(addr, ':'); pc >= 0 {
		c.Port, _ = strconv.Atoi(addr[pc+1:])
		addr = addr[:pc]
	}
	c.Addr = trimBrackets(addr)
	return c, rest, true
}

// cutConnPrefix finds the connection prefix parseConnPrefix reads: where
// its pointer ends (colon), its db/user@addr:port (who), and the message
// after it.
func cutConnPrefix(msg string) (colon int, who, rest string, ok bool) {
	if len(msg) < 6 || (msg[0] != 'C' && msg[0] != 'S') || msg[1] != '-' || msg[2] != '0' || msg[3] != 'x' {
		return 0, "", "", false
	}
	colon = strings.Index(msg, ": ")
	if colon < 0 {
		return 0, "", "", false
	}
	rest = msg[colon+2:]
	who = rest
	if sp := strings.IndexByte(rest, ' '); sp >= 0 {
		who, rest = rest[:sp], rest[sp+1:]
	} else {
		rest = ""
	}
	if strings.LastIndexByte(who, '@') < 0 {
		return 0, "", "", false
	}
	return colon, who, rest, true
}

// Connection is the client or server connection a PgBouncer line is about,
// read from its text when asked, as Feed reads the line: only the cause
// lines a chain cites are asked, and a connection made for every line
// cost 80 bytes each (120 MB for the two readings of a gigabyte).
func (e *Event) Connection() (Conn, bool) {
	if e.Kind != KindPgBouncer {
		return Conn{}, false
	}
	at := 0
	if h := readPgBouncerHead(e.Text); h.ok {
		at = h.msgAt
	} else {
		_, at, _, _ = untimedPgBouncer(e.Text)
	}
	c, _, ok := parseConnPrefix(e.Text[at:])
	return c, ok
}

// trimBrackets is strings.Trim(addr, "[]") (an IPv6 address) without
// building the cut set on every line.
func trimBrackets(addr string) string {
	for addr != "" && (addr[0] == '[' || addr[0] == ']') {
		addr = addr[1:]
	}
	for addr != "" && (addr[len(addr)-1] == '[' || addr[len(addr)-1] == ']') {
		addr = addr[:len(addr)-1]
	}
	return addr
}

// tagPgBouncer names what a line says. Older versions capitalised
// "Pooler Error:" and "Stats:".
func tagPgBouncer(ev *Event) {
	msg := ev.Message
	for _, t := range pgbouncerTags {
		// Every line is asked: a prefix whose first letter is not the
		// message's, in either case, is passed over without a fold (a
		// message that opens with a non-ASCII byte is tried against all).
		if msg == "" || msg[0] < utf8.RuneSelf && msg[0]|0x20 != t.prefix[0]|0x20 {
			continue
		}
		if len(msg) < len(t.prefix) || !strings.EqualFold(msg[:len(t.prefix)], t.prefix) {
			continue
		}
		r := msg[len(t.prefix):]
		ev.Tag = t.tag
		switch t.tag {
		case TagClosing:
			if i := strings.LastIndex(r, " (age="); i >= 0 {
				ev.setField("age", strings.TrimSuffix(r[i+6:], ")"))
				r = r[:i]
			}
		case TagStats:
			parseStats(r, ev)
			return
		}
		ev.Reason = r
		return
	}
}

// pgbouncerTags are the prefixes tagPgBouncer knows, in the order it tries
// them.
var pgbouncerTags = []struct {
	prefix string
	tag    Tag
}{
	{"closing because: ", TagClosing},
	{"pooler error: ", TagPoolerError},
	{"stats: ", TagStats},
	{"login attempt: ", TagLoginAttempt},
	{"server login failed: ", TagServerLoginFailed},
	{"login failed: ", TagLoginFailed},
	{"new connection to server", TagServerConnect},
	{"process up: ", TagStart},
	{"got SIGINT", TagShutdown},
	{"got SIGTERM", TagShutdown},
}

// parseStats keeps the numbers of a "stats:" line ("… xact 12 us, query 4 us,
// wait 2005 us") as fields named after their unit's label.
func parseStats(s string, ev *Event) {
	parts := strings.Split(s, ", ")
	ev.reserveFields(len(parts) + len(ev.Fields))
	for _, part := range parts {
		f := strings.Fields(part)
		switch {
		case len(f) == 2: // "12 xacts/s"
			ev.setField(f[1], f[0])
		case len(f) == 3 && f[2] == "us": // "wait 2005 us"
			ev.setField(f[0]+"_us", f[1])
		case len(f) == 4 && f[3] == "us": // "wait time 2005 us" (≤1.9)
			ev.setField(f[0]+"_us", f[2])
		case len(f) == 3 && f[2] == "B/s": // "in 7 B/s"
			ev.setField(f[0]+"_B/s", f[1])
		}
	}
}

func (p *PgBouncer) flushCur() {
	if p.open {
		p.emit(p.cur)
		// Not zeroed: the next line's record overwrites it whole, and
		// zeroing an event's pointers cost write barriers on every line
		// while the collector marked.
		p.open = false
	}
}

// Flush implements Parser.
func (p *PgBouncer) Flush() { p.flushCur() }

// Continues implements Continuer: a multi-line message goes on in
// tab-indented lines.
func (p *PgBouncer) Continues(line string) bool {
	return p.open && line != "" && line[0] == '\t'
}

// Unparsed implements Parser.
func (p *PgBouncer) Unparsed() int { return p.unparsed }

// Open implements Parser.
func (p *PgBouncer) Open() (time.Time, bool) {
	if !p.open {
		return time.Time{}, false
	}
	return p.cur.Time, true
}

// EndRecord implements Ender.
func (p *PgBouncer) EndRecord() { p.flushCur() }
