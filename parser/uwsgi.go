package parser

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FamilyUWSGI is uWSGI's log: its request lines, and its own lines that
// say a worker was killed (HARAKIRI).
const FamilyUWSGI Family = "uwsgi"

func init() {
	register(&Format{
		Name:   "uwsgi",
		Family: FamilyUWSGI,
		Rank:   35,
		Summary: "uWSGI's log: its request lines (the time a request began, how long it took, its status), its own lines " +
			"(HARAKIRI, a worker that died), and, mixed in, the app's own records",
		Examples: []string{
			`[pid: 21518|app: 0|req: 107/493] 127.0.0.1 () {36 vars in 568 bytes} [Tue Dec  1 04:28:11 2026] POST /accounts/login/ => generated 145 bytes in 14037 msecs (HTTP/1.1 500) 6 headers in 184 bytes (1 switches on core 1)`,
			`[pid: 88185|app: 0|req: 3/3] 127.0.0.1 () {34 vars in 617 bytes} [Sun Mar 13 22:49:15 2016] POST /endpoint2 => generated 215 bytes in 68 micros (HTTP/1.1 200) 9 headers in 373 bytes (1 switches on core 8)`,
			`Mon Jan 15 01:14:45 2018 - *** HARAKIRI ON WORKER 1 (pid: 53, try: 1) ***`,
			`Wed Dec  2 15:14:02 2026 - HARAKIRI [core 0] 127.0.0.1 - GET /proyek/audit-trail/ since 1796199113`,
			`webmail.example.com [pid: 8376|app: 1|req: 3/6] 69.207.180.150 () {62 vars in 1313 bytes} [Thu Apr  2 10:07:54 2020] POST /webmail/?action=compose => generated 37 bytes in 368 msecs (HTTP/1.1 500) 5 headers in 172 bytes (1 switches on core 0)`,
		},
		starts: func(_ Spec, line string) bool { return uwsgiStarts(line) },
		own:    isUWSGIBanner,
		build:  func(_ Spec, c *Clock, emit Emit) Parser { return &UWSGI{clock: c, emit: emit} },
	})
}

// uwsgiStarts reports whether a line is uWSGI's, by itself: a request
// line, a line of its own after its time, or chatter no other program
// writes.
func uwsgiStarts(line string) bool {
	if _, ok := parseUWSGIRequest(line, nil); ok {
		return true
	}
	if _, n, ok := scanCtime(line); ok && strings.HasPrefix(line[n:], " - ") {
		return true
	}
	return isUWSGIChatter(line)
}

// uwsgiChatter are uWSGI's own lines that carry no time, by how they start.
var uwsgiChatter = []string{
	"*** Starting uWSGI ", "*** uWSGI is running", "*** Operational MODE", "*** HARAKIRI ", "spawned uWSGI ",
	"Respawned uWSGI worker", "DAMN ! worker", "uwsgi_response_", "SIGPIPE: writing to a closed pipe",
	"goodbye to uWSGI", "WSGI app ", "--- no python application found", "uwsgi socket ", "gracefully (RE)spawned",
	"announcing my loyalty", "*** uWSGI ", "!!! uWSGI process", "OSError: write error", "IOError: write error",
	"python tracebacker for worker ",
	// --harakiri-verbose's lines where no time is written.
	"HARAKIRI: ", "HARAKIRI !!! ",
	"uWSGI running as root", "*** Stats server enabled ", "gateway \"uWSGI ", "...brutally killing workers...",
	"SIGINT/SIG", "Gracefully killing worker ",
}

// uwsgiBanner are the lines of uWSGI's banner as it starts, and of its
// shutdown, that another program could write too ("os: posix", "***
// WARNING: …"): they are uWSGI's in a stream where uWSGI writes
// (Format.own), but start no uWSGI source of their own.
var uwsgiBanner = []string{
	"compiled with version: ", "os: ", "nodename: ", "machine: ", "clock source: ", "pcre jit ", "detected number of CPU cores: ",
	"current working directory: ", "detected binary path: ", "*** WARNING: ", "your processes number limit ",
	"your memory page size ", "detected max file descriptor number: ", "lock engine: ", "thunder lock: ", "Python version: ",
	"Python main interpreter initialized ", "python threads support enabled", "your server socket listen backlog ",
	"your mercy for graceful operations ", "your request buffer size ", "mapped ", "chdir() to ", "setgid() to ",
	"setuid() to ",
}

// uwsgiChatterFirst marks the bytes uWSGI's own lines begin with: most
// lines asked about (a traceback's exception lines) are no chatter, and
// are told so by their first byte.
var uwsgiChatterFirst = firstBytes(append(uwsgiChatter, "worker "))

var uwsgiBannerFirst = firstBytes(uwsgiBanner)

// firstBytes marks the bytes some prefix begins with.
func firstBytes(prefixes []string) (first [256]bool) {
	for _, c := range prefixes {
		first[c[0]] = true
	}
	return first
}

// isUWSGIBanner reports whether a line is one of uwsgiBanner's.
func isUWSGIBanner(line string) bool {
	if line == "" {
		return false
	}
	if line[0] == ' ' {
		// One banner warning is indented; a traceback's frames are too,
		// and are told apart at once.
		return strings.HasPrefix(line, " *** WARNING: ")
	}
	if !uwsgiBannerFirst[line[0]] {
		return false
	}
	for _, c := range uwsgiBanner {
		if strings.HasPrefix(line, c) {
			return c != "mapped " || strings.Contains(line, " bytes (")
		}
	}
	return false
}

func isUWSGIChatter(line string) bool {
	if line == "" || !uwsgiChatterFirst[line[0]] {
		return false
	}
	for _, c := range uwsgiChatter {
		if strings.HasPrefix(line, c) {
			return true
		}
	}
	return strings.HasPrefix(line, "worker ") && (strings.Contains(line, " buried after ") || strings.Contains(line, " killed successfully") ||
		strings.Contains(line, " lifetime reached"))
}

var weekdays = map[string]bool{"Mon": true, "Tue": true, "Wed": true, "Thu": true, "Fri": true, "Sat": true, "Sun": true}

// scanCtime reads C's ctime(): "Tue Dec  1 04:28:11 2026".
func scanCtime(s string) (stamp, int, bool) {
	var st stamp
	if len(s) < 24 || !weekdays[s[:3]] || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' {
		return st, 0, false
	}
	st.month = monthAbbr[s[4:7]]
	d := s[8:10]
	if d[0] == ' ' {
		d = "0" + d[1:]
	}
	var ok1, ok2 bool
	st.day, ok1 = digits(d, 0, 2)
	st.year, ok2 = digits(s, 20, 4)
	if st.month == 0 || !ok1 || !ok2 || !clock(s, 11, &st) || st.day < 1 || st.day > 31 || st.year < 1970 {
		return st, 0, false
	}
	st.precision, st.clockEnd = time.Second, 24
	return st, 24, true
}

// uwsgiRequest is what a request line says.
type uwsgiRequest struct {
	start       stamp
	method, uri string
	status      int
	took        time.Duration
	pid, addr   string
	host        string
}

// parseUWSGIRequest reads uWSGI's default request line:
// [pid: 12|app: 0|req: 3/9] ADDR (USER) {N vars in N bytes} [CTIME] METHOD URI => generated N bytes in N msecs (PROTO STATUS) …
// In virtual-hosting mode (--vhost) the request's host comes first:
// "webmail.example.com [pid: 8376|app: 1|req: 3/6] …".
// The bracketed time is when the request began. r may be nil.
func parseUWSGIRequest(line string, r *uwsgiRequest) (*uwsgiRequest, bool) {
	// --memory-report puts the worker's memory first:
	// "{address space usage: 277147648 bytes/264MB} {rss usage: 34459648 bytes/32MB} [pid: …".
	for strings.HasPrefix(line, "{address space usage: ") || strings.HasPrefix(line, "{rss usage: ") {
		end := strings.Index(line, "} ")
		if end < 0 {
			return nil, false
		}
		line = line[end+2:]
	}
	host := ""
	if !strings.HasPrefix(line, "[pid: ") {
		sp := strings.Index(line, " [pid: ")
		if sp <= 0 || !isHostName(line[:sp]) {
			return nil, false
		}
		host, line = line[:sp], line[sp+1:]
	}
	end := strings.Index(line, "] ")
	open := strings.Index(line, "} [")
	if end < 0 || open < end {
		return nil, false
	}
	st, n, ok := scanCtime(line[open+3:])
	rest := line[open+3+n:]
	if !ok || !strings.HasPrefix(rest, "] ") {
		return nil, false
	}
	rest = rest[2:]
	arrow := strings.Index(rest, " => generated ")
	if arrow < 0 {
		return nil, false
	}
	req, tail := rest[:arrow], rest[arrow+len(" => generated "):]
	in := strings.Index(tail, " bytes in ")
	if in < 0 {
		return nil, false
	}
	tail = tail[in+len(" bytes in "):]
	sp := strings.IndexByte(tail, ' ')
	if sp < 0 {
		return nil, false
	}
	amount, err := strconv.ParseInt(tail[:sp], 10, 64)
	if err != nil {
		return nil, false
	}
	tail = tail[sp+1:]
	var unit time.Duration
	switch {
	case strings.HasPrefix(tail, "msecs "):
		unit = time.Millisecond
	case strings.HasPrefix(tail, "micros "):
		unit = time.Microsecond
	default:
		return nil, false
	}
	po := strings.IndexByte(tail, '(')
	pc := strings.IndexByte(tail, ')')
	if po < 0 || pc < po {
		return nil, false
	}
	proto := tail[po+1 : pc]
	ssp := strings.LastIndexByte(proto, ' ')
	status, ok := atoi(proto[ssp+1:])
	if ssp < 0 || !ok || status < 100 || status > 999 {
		return nil, false
	}
	if r == nil {
		return nil, true
	}
	*r = uwsgiRequest{start: st, status: status, took: time.Duration(amount) * unit, host: host}
	if m, u, ok := strings.Cut(req, " "); ok {
		r.method, r.uri = m, u
	}
	header := line[1:end] // "pid: 12|app: 0|req: 3/9"
	if p, ok := strings.CutPrefix(header, "pid: "); ok {
		r.pid, _, _ = strings.Cut(p, "|")
	}
	if sp := strings.IndexByte(line[end+2:], ' '); sp > 0 {
		r.addr = line[end+2 : end+2+sp]
	}
	return r, true
}

// killed is a request uWSGI listed as its worker was killed (HARAKIRI).
type killed struct {
	core, addr, method, uri, path string
	since                         int64
}

// parseKilled reads the line uWSGI writes for each request a worker was
// running when harakiri killed it, after the kill's time:
// "HARAKIRI [core 0] 127.0.0.1 - GET /slow/ since 1734573672" (the Unix
// time the request began). A request named otherwise ("POST <REDACTED>")
// is no request of a path: the line stays a record.
func parseKilled(msg string) (killed, bool) {
	var k killed
	rest, ok := strings.CutPrefix(msg, "HARAKIRI [core ")
	if !ok {
		return k, false
	}
	k.core, rest, ok = strings.Cut(rest, "] ")
	if !ok {
		return k, false
	}
	k.addr, rest, ok = strings.Cut(rest, " - ")
	if !ok {
		return k, false
	}
	at := strings.LastIndex(rest, " since ")
	if at < 0 {
		return k, false
	}
	since, err := strconv.ParseInt(rest[at+len(" since "):], 10, 64)
	method, uri, ok := strings.Cut(rest[:at], " ")
	if err != nil || !ok || !isToken(method) || !strings.HasPrefix(uri, "/") {
		return k, false
	}
	k.method, k.uri, k.path, k.since = method, uri, urlPath(uri), since
	return k, true
}

// listedKey is what tells one killed request from another: its worker,
// core, request and start.
type listedKey struct {
	pid, core, request string
	since              int64
}

// firstListing reports whether a killed request is listed for the first
// time, and notes it.
func (p *UWSGI) firstListing(k killed) bool {
	key := listedKey{pid: p.killing, core: k.core, request: k.method + " " + k.uri, since: k.since}
	if p.listed[key] {
		return false
	}
	if p.listed == nil || len(p.listed) >= 1024 {
		p.listed = map[listedKey]bool{}
	}
	key.core = strings.Clone(key.core)
	p.listed[key] = true
	return true
}

// harakiriPid reads the worker's pid from "*** HARAKIRI ON WORKER 2 (pid:
// 289, try: 1) ***".
func harakiriPid(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "*** HARAKIRI ON WORKER ")
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, "(pid: ")
	if !ok {
		return "", false
	}
	end := strings.IndexAny(rest, ",)")
	if end <= 0 {
		return "", false
	}
	return rest[:end], true
}

// killedAfter is how long a killed request ran: from its start, a Unix
// time, to the kill, which uWSGI dates in local time like its other
// lines. Read in the wrong zone (a guess, or no --tz), that difference is
// off by the zone's offset, hours; every zone is a whole number of
// quarter hours from UTC, so what is left over a whole number of quarter
// hours is then the time the request ran (a harakiri under 15 minutes).
func killedAfter(kill time.Time, written stamp, since int64) time.Duration {
	if d := kill.Sub(time.Unix(since, 0)); d >= 0 && d < time.Hour {
		return d
	}
	naive := time.Date(written.year, time.Month(written.month), written.day, written.hour, written.minute, written.second, 0, time.UTC)
	d := naive.Sub(time.Unix(since, 0)) % (15 * time.Minute)
	if d < 0 {
		d += 15 * time.Minute
	}
	return d
}

// isHostName reports whether s can be a request's Host: a name or an
// address, with a port perhaps.
func isHostName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '_' || c == '[' || c == ']') {
			return false
		}
	}
	return s != ""
}

// UWSGI parses uWSGI's log.
type UWSGI struct {
	clock    *Clock
	emit     Emit
	unparsed int
	// last is the last time a line gave, to date its own lines that carry
	// none (a worker that died, a respawn); pending are those before any.
	last    time.Time
	lastNum int
	pending []Event
	// written is the latest a line of the stream was known written: a
	// request line is written when its request ended, after every line
	// before it, so its end is no earlier (a closer date than its start's
	// second plus its duration, which can put two failures of one second
	// in the wrong order).
	written time.Time
	// listed are the requests HARAKIRI lines named, by worker, core,
	// request and start: uWSGI lists a worker's requests at each try of a
	// kill (a graceful one, then the kill), and a request listed again is
	// the same one. The keys are copies: the lines share their memory with
	// blocks of the input.
	listed map[listedKey]bool
	// killing is the pid of the worker the last "HARAKIRI ON WORKER" line
	// named, whose requests the lines after it list.
	killing string
}

// TimeSeen implements TimeTaker: another program's timed line in the same
// stream was written before the lines after it.
func (p *UWSGI) TimeSeen(t time.Time, _ int) {
	if t.After(p.written) {
		p.written = t
	}
}

// Feed implements Parser.
func (p *UWSGI) Feed(l Line) {
	line := Clean(l.Text)
	var r uwsgiRequest
	if _, ok := parseUWSGIRequest(line, &r); ok {
		start := p.clock.instant(r.start, l.Num)
		// The line is written when the request ended: it is dated so,
		// and no earlier than the lines written before it, as long as
		// that stays within the second its start gives.
		end := start.Add(r.took)
		if p.written.After(end) && p.written.Before(end.Add(time.Second)) {
			end = p.written
		}
		p.TimeSeen(end, l.Num)
		ev := Event{Source: p.clock.Source, Line: l.Num, EndLine: l.Num, Time: end, Precision: time.Second,
			Kind: KindAccess, Level: accessLevel(r.status), Text: line, Message: line, Status: r.status, Duration: r.took}
		if isToken(r.method) {
			ev.Method, ev.Path = r.method, urlPath(r.uri)
		}
		ev.setField("pid", r.pid)
		ev.setField("client", r.addr)
		if r.host != "" {
			ev.setField("host", r.host)
		}
		ev.setField("duration_ms", strconv.FormatInt(r.took.Milliseconds(), 10))
		p.timeKnown(start, l.Num)
		p.emit(ev)
		return
	}
	if st, n, ok := scanCtime(line); ok && strings.HasPrefix(line[n:], " - ") {
		t := p.clock.instant(st, l.Num)
		p.timeKnown(t, l.Num)
		ev := Event{Source: p.clock.Source, Line: l.Num, EndLine: l.Num, Time: t, Precision: time.Second,
			Kind: KindRecord, Level: "INFO", Text: line, Message: line[n+3:]}
		if pid, ok := harakiriPid(ev.Message); ok {
			p.killing = strings.Clone(pid)
		}
		if k, ok := parseKilled(ev.Message); ok && p.firstListing(k) {
			ev.Kind, ev.Level, ev.Tag = KindAccess, "ERROR", TagKilled
			ev.Method, ev.Path = k.method, k.path
			ev.Duration = killedAfter(t, st, k.since)
			ev.setField("client", k.addr)
			ev.setField("core", k.core)
			ev.setField("duration_ms", strconv.FormatInt(ev.Duration.Milliseconds(), 10))
		}
		p.emit(ev)
		return
	}
	if !isUWSGIChatter(line) && !isUWSGIBanner(line) {
		if strings.TrimSpace(line) != "" {
			p.unparsed++
		}
		return
	}
	ev := Event{Source: p.clock.Source, Line: l.Num, EndLine: l.Num, Kind: KindBanner, Level: "INFO", Text: line, Message: line}
	switch {
	case !l.Stamp.IsZero():
		ev.Time, ev.Precision, ev.Stamped = l.Stamp, l.StampPrecision, true
	case p.lastNum != 0:
		ev.Time, ev.Precision, ev.TimeFrom = p.last, time.Second, p.lastNum
	default:
		p.pending = append(p.pending, ev)
		return
	}
	p.emit(ev)
}

// timeKnown dates the lines that waited for a time: uWSGI's start-up
// lines, before its first request.
func (p *UWSGI) timeKnown(t time.Time, num int) {
	for _, ev := range p.pending {
		ev.Time, ev.Precision, ev.TimeFrom = t, time.Second, num
		p.emit(ev)
	}
	p.pending = p.pending[:0]
	p.last, p.lastNum = t, num
}

// Flush implements Parser: lines no line ever dated are left out, as
// LeftOut says.
func (p *UWSGI) Flush() {}

// LeftOut implements LeftOuter.
func (p *UWSGI) LeftOut() string {
	if len(p.pending) > 0 {
		return fmt.Sprintf("%d of uWSGI's own lines had no time to take and were left out", len(p.pending))
	}
	return ""
}

// Unparsed implements Parser.
func (p *UWSGI) Unparsed() int { return p.unparsed }

// Open implements Parser: every line is an event of its own.
func (p *UWSGI) Open() (time.Time, bool) { return time.Time{}, false }

// Continues implements Continuer: every line is an event of its own.
func (p *UWSGI) Continues(string) bool { return false }
