package parser

import (
	"fmt"
	"strings"
	"time"

	"github.com/logcorr/logcorr/internal/slab"
)

// maxPending bounds the records that wait for a time reference, so a file
// of tracebacks with no timestamped line cannot grow memory without end.
const maxPending = 4096

// Runserver parses the stderr of Django's `manage.py runserver`: access lines
// with their own bracketed time, and django.request records whose traceback
// follows them and which carry no time at all.
//
// An untimed record takes the time of the next timestamped line of the same
// stream. Records are written whole and before the access line of their
// request, so that line is at most a few seconds later, and usually another
// request's line a few milliseconds later; the previous timestamped line can
// be minutes old on a quiet server.
type Runserver struct {
	clock *Clock
	emit  Emit

	// rec is &held while a record is open: held in the parser, a record
	// costs no allocation of its own until it is handed on.
	rec     *Event
	held    Event
	tb      traceback
	pending []Event
	// stamp is the collector's time for the line being fed (zero when
	// none); a record takes its first line's.
	stamp     time.Time
	stampPrec time.Duration
	// lastAccess is the last access line (when haveAccess), for records
	// written after it; recordsBefore and recordsAfter count the records
	// that look written before their access line and after it.
	lastAccess                  accessRef
	haveAccess                  bool
	recordsBefore, recordsAfter int
	last                        time.Time
	lastNum                     int
	// lastOther: the last time came from another program's line in the
	// stream (TimeSeen), not from the server's own.
	lastOther bool

	// Access lines' response sizes come from blocks, not an allocation
	// each.
	fields slab.Slab[Field]

	unparsed int
	// Untimed counts records dropped because no line of the stream near
	// them gave them a time (releaseBefore); Crowded those left out as
	// more than maxPending came in a row with no timed line among them.
	Untimed, Crowded int

	// noStart is the last line headStarts found starts no record
	// (runserverStarts, a function of the text alone, said no): a
	// traceback's line is then asked again by Continues and Feed, which
	// skip the tests runserverStarts is made of.
	noStart     string
	haveNoStart bool
}

// headStarts implements headStarter.
func (p *Runserver) headStarts(line string) bool {
	ok := runserverStarts(line)
	p.noStart, p.haveNoStart = line, !ok
	return ok
}

// knownNoStart reports whether runserverStarts is known to refuse line:
// not a banner, a django.request message, nor a line that is all a date.
func (p *Runserver) knownNoStart(line string) bool {
	return p.haveNoStart && p.noStart == line
}

// NewRunserver returns a parser that emits the events of one runserver stream.
func NewRunserver(clock *Clock, emit Emit) *Runserver {
	return &Runserver{clock: clock, emit: emit}
}

// runserverFormat is the runserver format, which Demux tells by identity.
var runserverFormat *Format

func init() {
	runserverFormat = &Format{
		Name:   "runserver",
		Family: FamilyDjango,
		Rank:   10,
		Summary: "stderr of Django's manage.py runserver: access lines, and django.request records with their tracebacks " +
			"(dated by the line after them); also those records on any server's stderr",
		Examples: []string{
			`[27/Nov/2026 00:15:05] "POST /accounts/login/ HTTP/1.1" 500 145`,
			`[27/Nov/2026 00:08:34,981] - Broken pipe from ('127.0.0.1', 53706)`,
			`Internal Server Error: /accounts/login/`,
			`Watching for file changes with StatReloader`,
		},
		starts: func(_ Spec, line string) bool { return runserverStarts(line) },
		// Python prints an uncaught exception on stderr as a bare
		// traceback: a record of its own wherever it comes.
		loose: func(line string) bool {
			return strings.TrimSpace(line) == tbHeader || strings.HasPrefix(line, "Exception in thread ")
		},
		build: func(_ Spec, c *Clock, emit Emit) Parser { return NewRunserver(c, emit) },
	}
	register(runserverFormat)
}

// runserverStarts: an access line, a Broken pipe line, a banner, or a
// django.request record (read strictly: the message is the whole line).
func runserverStarts(line string) bool {
	if line == "" {
		return false
	}
	if line[0] == '[' {
		if _, k, ok := bracketStamp(line); ok {
			return parseRequestLine(strings.TrimLeft(line[k:], " "), nil) || strings.Contains(line, "Broken pipe")
		}
	}
	if len(line) >= 20 && isUpper(line[0]) {
		if st, n, ok := scanLongDate(line); ok && n == len(line) && st.year > 0 {
			return true
		}
	}
	return isRunserverBanner(line) || parseRequestLog(line, nil, false)
}

var runserverBanners = []string{
	"Watching for file changes with ",
	"Performing system checks...",
	"System check identified ",
	"Django version ",
	"Starting development server at ",
	"Starting ASGI/Daphne",
	"Quit the server with ",
	"You have ",
	"Run 'python manage.py migrate'",
	"WARNING: This is a development server.",
	"For more information on production servers see:",
	"Error: That port is already in use.",
	"You're accessing the development server over HTTPS",
}

// runserverBannerFirst marks the bytes a banner starts with.
var runserverBannerFirst = func() (first [256]bool) {
	for _, b := range runserverBanners {
		first[b[0]] = true
	}
	return first
}()

func isRunserverBanner(line string) bool {
	if line == "" || !isUpper(line[0]) {
		return false // every banner starts with a capital
	}
	// Asked of every line of a traceback that opens with a capital
	// ("Traceback", "Internal Server Error", "AttributeError: …"): most
	// such letters open no banner.
	if !runserverBannerFirst[line[0]] {
		return strings.HasSuffix(line, " changed, reloading.")
	}
	for _, b := range runserverBanners {
		if strings.HasPrefix(line, b) {
			return true
		}
	}
	return strings.HasSuffix(line, " changed, reloading.")
}

// bracketStamp reads "[27/Nov/2026 00:15:05]" or "[27/Nov/2026 00:15:05,206]".
func bracketStamp(line string) (stamp, int, bool) {
	if len(line) < 22 || line[0] != '[' {
		return stamp{}, 0, false
	}
	st, n, ok := scanStamp(line[1:], false)
	if !ok || 1+n >= len(line) || line[1+n] != ']' {
		return stamp{}, 0, false
	}
	return st, n + 2, true
}

// Feed implements Parser. A record with no time of its own takes the
// collector's stamp when its line has one, rather than waiting for the next
// timestamped line.
func (p *Runserver) Feed(l Line) {
	num, line := l.Num, Clean(l.Text)
	p.stamp, p.stampPrec = l.Stamp, l.StampPrecision
	// The first byte rules out most lines (a traceback's) before a stamp
	// is scanned: returning one costs more than the test.
	if line != "" && line[0] == '[' {
		if st, n, ok := bracketStamp(line); ok {
			p.access(st, n, num, line)
			return
		}
	}
	if line != "" && line[0] >= 'A' && line[0] <= 'Z' && !p.knownNoStart(line) {
		if st, n, ok := scanLongDate(line); ok && n == len(line) {
			p.endRecord()
			t := p.clock.instant(st, num)
			p.timeKnown(t, num)
			p.emitEvent(Event{Line: num, EndLine: num, Time: t, Precision: st.precision, Kind: KindBanner, Text: line, Message: line, Level: "INFO"})
			return
		}
	}
	p.record(num, line)
}

// access reads a line that begins with a bracketed stamp: a request's
// access line, or another timed line of the server's.
func (p *Runserver) access(st stamp, n, num int, line string) {
	p.endRecord()
	t := p.clock.instant(st, num)
	ev := Event{Line: num, EndLine: num, Time: t, Precision: st.precision, Text: line, Level: "INFO"}
	msg := strings.TrimLeft(line[n:], " ")
	ev.Message = msg
	ev.Fields = p.fields.Make(1) // the response's size
	ok := parseRequestLine(msg, &ev)
	if len(ev.Fields) == 0 {
		ev.Fields = nil
	}
	if ok {
		ev.Kind = KindAccess
		ev.Level = accessLevel(ev.Status)
		p.accessSeen(t, num, &ev)
	} else {
		p.timeKnown(t, num)
	}
	p.emitEvent(ev)
}

// record reads a line with no stamp of its own: the start or the rest of
// an error record, or the server's chatter.
func (p *Runserver) record(num int, line string) {
	if p.rec != nil && !p.startsRecord(line) {
		if p.tb.add(line) {
			p.rec.EndLine = num
			return
		}
	}
	p.endRecord()
	refused := p.knownNoStart(line)
	switch {
	case line == "":
		return
	case !refused && isRunserverBanner(line):
		ev := Event{Line: num, EndLine: num, Kind: KindBanner, Text: line, Message: line, Level: "INFO"}
		p.stampUntimed(&ev)
		if !ev.Stamped && len(p.pending) == 0 && p.lastNum != 0 {
			// Chatter needs no request's time: the time before it
			// dates it, rather than a timed line that may never come
			// (runserver's stdout ends with "Quit the server with
			// CONTROL-C."), which would hold a followed log open.
			ev.Time, ev.TimeFrom, ev.Precision = p.last, p.lastNum, time.Second
			p.emitEvent(ev)
			return
		}
		p.queue(ev)
		return
	}
	ev := Event{Line: num, EndLine: num, Kind: KindRecord, Text: line, Message: line}
	p.stampUntimed(&ev)
	switch {
	case !refused && parseRequestLog(line, &ev, false):
		ev.Kind = KindRequestLog
		ev.Level = accessLevel(ev.Status)
	case strings.HasPrefix(line, "Exception in thread "), strings.TrimSpace(line) == tbHeader:
		ev.Level = "ERROR"
	default:
		p.unparsed++
		return
	}
	p.held = ev
	p.rec = &p.held
	p.tb.reset()
	p.tb.add(line)
}

// startsRecord reports whether a line opens a record of its own even inside
// another record's traceback. An exception message can span lines, so only
// shapes no message continuation has are taken: a bare "Traceback" header
// after a finished traceback, a banner, a django.request message.
func (p *Runserver) startsRecord(line string) bool {
	if line == "" || line[0] == ' ' || line[0] == '\t' {
		return false
	}
	if strings.TrimSpace(line) == tbHeader {
		return p.tb.complete()
	}
	if strings.HasPrefix(line, "Exception in thread ") {
		return true
	}
	return !p.knownNoStart(line) && (isRunserverBanner(line) || parseRequestLog(line, nil, false))
}

func accessLevel(status int) string {
	switch {
	case status >= 500:
		return "ERROR"
	case status >= 400:
		return "WARNING"
	}
	return "INFO"
}

func (p *Runserver) endRecord() {
	if p.rec == nil {
		return
	}
	p.tb.finish(p.rec)
	p.queue(*p.rec)
	p.rec = nil
}

// stampUntimed dates an event that has no time of its own by its line's
// collector stamp, if it has one.
func (p *Runserver) stampUntimed(ev *Event) {
	if !p.stamp.IsZero() {
		ev.Time, ev.Precision, ev.Stamped = p.stamp, p.stampPrec, true
	}
}

// queue holds an untimed event until a timestamped line gives it a time; a
// stamped one goes out at once, after those still waiting.
func (p *Runserver) queue(ev Event) {
	if ev.Stamped {
		if len(p.pending) == 0 {
			p.emitEvent(ev)
			return
		}
	}
	p.pending = append(p.pending, ev)
	if len(p.pending) > maxPending {
		// Too many to hold for the line that would date them: those no
		// line of the server's own dates are counted apart, as no line
		// was seen near them yet.
		p.releaseBefore(&p.Crowded)
	}
}

func (p *Runserver) timeKnown(t time.Time, num int) {
	p.release(t, num, nil)
	p.last, p.lastNum, p.lastOther = t, num, false
}

// accessRef is an access line, remembered to date a record written after
// it: Django before 1.10 logged a request's error after its access line.
type accessRef struct {
	t       time.Time
	num     int
	path    string
	status  int
	claimed bool // a record was dated by it
}

// accessSeen dates the waiting records by an access line, and remembers it.
func (p *Runserver) accessSeen(t time.Time, num int, ev *Event) {
	ref := accessRef{t: t, num: num, path: ev.Path, status: ev.Status}
	p.release(t, num, &ref)
	p.last, p.lastNum, p.lastOther = t, num, false
	p.lastAccess, p.haveAccess = ref, true
}

// release dates the records waiting for a time by the line that gave one.
// A record is its request's, written before its access line (Django 1.10
// on), so the next timed line, usually that access line or another
// request's a moment later, dates it. Django 1.8 wrote a request's error
// after its access line: there the access line before a record is of its
// path and status and dated by no record yet, where the line after is not.
// The stream shows which it is, record by record; while more of its
// records look written after their access line than before, such a record
// is dated by the access line before it.
func (p *Runserver) release(t time.Time, num int, access *accessRef) {
	for _, ev := range p.pending {
		if ev.Stamped {
			p.emitEvent(ev)
			continue
		}
		if num == 0 {
			p.Untimed++
			continue
		}
		matches := func(a *accessRef) bool {
			return a != nil && ev.Kind == KindRequestLog && a.path == ev.Path && a.status == ev.Status
		}
		var prev *accessRef
		if p.haveAccess {
			prev = &p.lastAccess
		}
		after := matches(prev) && !prev.claimed && prev.num < ev.Line
		switch {
		case matches(access):
			p.recordsBefore++
			access.claimed = true
			ev.Time, ev.TimeFrom = t, num
		case after && p.recordsAfter >= p.recordsBefore:
			p.recordsAfter++
			prev.claimed = true
			ev.Time, ev.TimeFrom = prev.t, prev.num
		default:
			if after {
				p.recordsAfter++
			}
			ev.Time, ev.TimeFrom = t, num
		}
		ev.Precision = time.Second
		p.emitEvent(ev)
	}
	p.pending = p.pending[:0]
}

// releaseBefore dates the events waiting for a time by the stream's time
// before them, when no line after them can: none came, or it came more
// than tickSpan after that time. The server's own line before a record
// (runserver writes one per request) is its near bound. Another program's
// is not: gunicorn's stderr, with an untimed console handler, holds the
// app's records between gunicorn's boot and shutdown lines, a minute or
// more apart, and a record dated by either joins another request's chain
// or makes an anchor of its own. Those records are left out and counted
// in leftOut (LeftOut says so); chatter takes the time before it, as it
// always does.
func (p *Runserver) releaseBefore(leftOut *int) {
	if !p.lastOther {
		p.release(p.last, p.lastNum, nil)
		return
	}
	for _, ev := range p.pending {
		switch {
		case ev.Stamped:
			p.emitEvent(ev)
		case ev.Kind == KindBanner:
			ev.Time, ev.TimeFrom, ev.Precision = p.last, p.lastNum, time.Second
			p.emitEvent(ev)
		default:
			*leftOut++
		}
	}
	p.pending = p.pending[:0]
}

func (p *Runserver) emitEvent(ev Event) {
	ev.Source = p.clock.Source
	p.emit(ev)
}

// Flush implements Parser. Records still waiting for a time take the last
// time the stream gave, the best bound left, when it is the server's own
// (releaseBefore).
func (p *Runserver) Flush() {
	p.endRecord()
	p.releaseBefore(&p.Untimed)
}

// Continues implements Continuer.
func (p *Runserver) Continues(line string) bool {
	return p.rec != nil && !p.startsRecord(line) && p.tb.takes(line)
}

// TimeSeen implements TimeTaker: another program's timed line in the same
// stream dates the records waiting for a time, as the stream's next timed
// line. Another program can be silent for long: when its line comes more
// than tickSpan after the last time the stream gave, the records are dated
// by that last time instead, the nearer bound of the two, if it is the
// server's own line (releaseBefore).
func (p *Runserver) TimeSeen(t time.Time, line int) {
	// A record still open is over: a program writes a record, traceback
	// and all, in one write, so another's line comes after it.
	p.endRecord()
	if p.lastNum != 0 && t.Sub(p.last) > tickSpan {
		p.releaseBefore(&p.Untimed)
	}
	p.timeKnown(t, line)
	p.lastOther = true
}

// tickSpan is how far apart two timed lines of a stream may be for the
// later to date the untimed records between them: a record's own access
// line can come seconds after it (DEBUG's technical page takes that long
// under load); a line much later than that is no neighbour of it.
const tickSpan = 10 * time.Second

// Pause implements Pauser, by doing nothing: a record is dated by the
// timestamped line after it (its request's access line, which can come
// seconds later), and handing it on at a pause would date it by the line
// before, or drop it.
func (p *Runserver) Pause() {}

// Unparsed implements Parser.
func (p *Runserver) Unparsed() int { return p.unparsed }

// LeftOuter is a parser that can have to leave records out: those no line
// of the stream could date.
type LeftOuter interface {
	LeftOut() string
}

// LeftOut says what a flushed parser had to leave out, for a notice, or ""
// when nothing.
func LeftOut(p Parser) string {
	if lo, ok := p.(LeftOuter); ok {
		return lo.LeftOut()
	}
	return ""
}

// LeftOut implements LeftOuter.
func (p *Runserver) LeftOut() string {
	var parts []string
	if p.Untimed > 0 {
		parts = append(parts, fmt.Sprintf("%d records had no time of their own and no timed line near them to take one from", p.Untimed))
	}
	if p.Crowded > 0 {
		parts = append(parts, fmt.Sprintf("%d records with no time of their own came more than %d in a row, more than are held for a timed line", p.Crowded, maxPending))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + ", and were left out (a formatter with %(asctime)s on the handler that writes them dates them)"
}

// Open implements Parser. A runserver record is dated by the next
// timestamped line, so none it holds has a time yet.
func (p *Runserver) Open() (time.Time, bool) { return time.Time{}, false }

// Holding implements Holder: records waiting for a time take the next
// timed line's, or at the end the last one's.
func (p *Runserver) Holding() (time.Time, bool) {
	if (p.rec == nil && len(p.pending) == 0) || p.lastNum == 0 {
		return time.Time{}, false
	}
	return p.last, true
}

// EndRecord implements Ender.
func (p *Runserver) EndRecord() { p.endRecord() }
