// Package correlate links failed responses (anchors) to the evidence near
// them in event time and says what caused each. It does no I/O: events come
// in roughly in time order (Merge provides that), a watermark says how far
// event time has got, and a chain is handed out once its window has closed,
// so saved files and live following give the same chains.
package correlate

import (
	"container/heap"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logcorr/logcorr/internal/slab"
	"github.com/logcorr/logcorr/parser"
)

// Role says why an event is in a chain.
type Role string

const (
	// RoleRequest marks another log's report of the anchor's own request.
	RoleRequest Role = "request"
	// RoleCause marks an event that shows the cause.
	RoleCause Role = "cause"
)

// Basis says how a chain's cause was established.
type Basis string

const (
	// BasisNamed: the request's own traceback names the cause.
	BasisNamed Basis = "named"
	// BasisNearby: a line in the window shows the cause, and the request's
	// own exception is what that cause produces (or no log kept it).
	BasisNearby Basis = "nearby"
	// BasisException: no catalogued cause; the request's own exception.
	BasisException Basis = "exception"
	// BasisNone: nothing explains the anchor.
	BasisNone Basis = "none"
)

// Unknown is the cause of an anchor nothing explains.
const Unknown = "unknown"

// Link is one piece of evidence.
type Link struct {
	Event  parser.Event
	Offset time.Duration // from the anchor's time
	Role   Role
	Why    string
}

// Chain is an anchor with its evidence and cause.
type Chain struct {
	Anchor parser.Event // the report that dates the anchor
	Time   time.Time
	Method string
	Path   string
	Status int
	// Cause is the catalogued cause's id when one explains the anchor (a
	// line names or shows it, or the request's own exception is its), else
	// the request's own final exception class, else Unknown.
	Cause string
	// Hypothesis is the catalogued cause that explains the chain, if any
	// (for a cause known by its exception, Cause is the class).
	Hypothesis string
	Basis      Basis
	// Exc and Root are the request's own final and first exception.
	Exc, Root *parser.Exception
	Evidence  []Link
	// Notes warn about the chain (a log that was silent over its window);
	// the correlator leaves them to its caller.
	Notes []string
	// Began is when the request began and Duration how long it took, when
	// one of its reports states it (zero otherwise).
	Began    time.Time
	Duration time.Duration
	// Split is where a slow anchor's time went (Config.Slow), nil for an
	// anchor of its status.
	Split *Split
	// proxy is how much longer a proxy saw the request take (Split.Proxy).
	proxy time.Duration
}

// Summary counts what the correlator saw.
type Summary struct {
	Anchors int
	// Late counts reports that came after their request's chain (a
	// response logged when a request longer than SameRequest ended) and
	// joined it rather than counting as requests of their own.
	Late        int
	ByCause     map[string]int
	Unexplained int
	First, Last time.Time
	// ByHypothesis counts chains by the catalogued cause that explains them.
	ByHypothesis map[string]int
	// Signs counts cause events seen, by cause, whether or not claimed.
	Signs map[string]int
	// Wait is how long, at the end, chains waited past their window for
	// events their files wrote late (AddAt); 0 when none came late.
	Wait time.Duration
}

type sign struct {
	ev    parser.Event
	cause *Cause
	// at is ev.Time as nanos gives it, which is the cause's place in the
	// catalogue: pick compares both for every cause line in a window.
	at      int64
	which   int
	claimed bool
	// conn is the connection the line names, read from it once the line
	// is claimed or set against a claimed one (connection): a claim sets
	// its line against the few dozen around it.
	conn     connOf
	connRead bool
}

// connOf is what claim compares of a cause line's connection.
type connOf struct {
	ok   bool
	ptr  string
	port int
}

// connection is the connection s's line names, read once.
func (s *sign) connection() connOf {
	if !s.connRead {
		c, ok := s.ev.Connection()
		s.conn, s.connRead = connOf{ok: ok, ptr: c.Ptr, port: c.Port}, true
	}
	return s.conn
}

type group struct {
	seq     int
	path    string
	status  int
	method  string
	reports []parser.Event
	exc     *parser.Exception
	root    *parser.Exception
	chains  int
	first   time.Time
	anchor  int // index in reports
	// killed: the app server killed the request before it answered
	// (parser.Event.Killed); status is then 0, or the 5xx its proxy
	// answered.
	killed bool
	// past: its chain is out and its reports slimmed (keepPast).
	past bool
	// late are reports that came after the deadline (assembleTimed).
	late []parser.Event
	// Asked of every open request for every report that comes, and
	// changed only by a report joining it (add) or by its reports being
	// slimmed (keepPast): the deadline and the earliest exact time, once
	// known (dueKnown, exactKnown), and the processes its reports name.
	due, exact           time.Time
	dueKnown, exactKnown bool
	pids                 []string
	// clashes marks, for compatible, each kind of report each log gave
	// the request, and the access tiers it has an access line of
	// (clashBit), over its first maskedReports reports and maskedLate
	// late ones; unmasked: one of them is outside the mask, and every
	// report is compared.
	clashes                   uint64
	maskedReports, maskedLate int
	unmasked                  bool
}

// Correlator assembles anchors and builds their chains.
type Correlator struct {
	cfg   Config
	out   func(Chain)
	open  []*group
	done  groupHeap
	signs []*sign
	// Signs and requests come from blocks: one of each per cause line and
	// per request cost an allocation each.
	signSlab  slab.Slab[sign]
	groupSlab slab.Slab[group]
	// past are requests whose chains are out, kept while a late report
	// (assembleTimed) may still come for them.
	past     []*group
	wm       time.Time
	seq      int
	sum      Summary
	logs     []fileLog // by file, for sameLog: the first 16 files
	manyLogs map[string]fileLog
	// logNames are the logs of those files, in the order met: a log's
	// place is its part of the clash mask (clashBit).
	logNames []string
	lastFile fileLog
	// needles finds the causes an event's text names; scratch is its
	// result, reused event to event.
	needles *needleSet
	scratch causeMask
	// names are the summary's keys (bump).
	names map[string]string
	// nextFinal is the earliest time an open request can become final, so
	// that Advance scans the open requests only when one can.
	nextFinal time.Time
	// timed are the lines that say how long something took, for slow
	// anchors (Config.Slow): kept in order of their end while a request's
	// interval can reach them. lastStats is each PgBouncer log's last
	// stats line, statsPeriod the longest period between two.
	timed       []*timed
	lastStats   map[string]time.Time
	statsPeriod time.Duration
	// spans are the anchored paths' requests that state their duration,
	// in order of their end, and votes what they say of which path each
	// statement fingerprint runs in (vote); sawStatements: a statement
	// line came.
	spans         []span
	votes         map[string]map[string]int
	sawStatements bool
}

// New returns a correlator that hands each finished chain to out.
func New(cfg Config, out func(Chain)) *Correlator {
	if cfg.SameRequest <= 0 {
		cfg.SameRequest = DefaultSameRequest
	}
	if cfg.Causes == nil {
		cfg.Causes = Builtin
	}
	needles := newNeedleSet(cfg.Causes)
	return &Correlator{cfg: cfg, out: out, sum: Summary{ByCause: map[string]int{}, ByHypothesis: map[string]int{}, Signs: map[string]int{}},
		needles: needles, scratch: needles.mask(), names: map[string]string{}, lastStats: map[string]time.Time{},
		votes: map[string]map[string]int{}}
}

// Waiting counts the requests assembled whose chains are not out yet:
// waiting for more of their reports (their response), or for their window
// to close.
func (c *Correlator) Waiting() int { return len(c.open) + len(c.done) }

// SetRange restricts anchors to [since, until), before any event is added.
func (c *Correlator) SetRange(since, until time.Time) {
	c.cfg.Since, c.cfg.Until = since, until
}

// Add takes one event, and returns the cause it shows when it is a cause
// line (nil for an anchor's report or any other event), so that callers
// counting cause lines need not look for it again.
func (c *Correlator) Add(ev parser.Event) *Cause { return c.add(&ev) }

// add is Add by reference: what the correlator keeps of ev (a request's
// report, a cause line), it copies.
func (c *Correlator) add(ev *parser.Event) *Cause {
	if c.cfg.Slow > 0 && ev.Duration > 0 && ev.IsResponse() && c.cfg.onPath(ev.Path) {
		c.addSpan(ev)
	}
	if ev.IsResponse() && c.cfg.wantsResponse(ev) {
		// A proxy's report says its cause in words (nginx's "upstream
		// timed out", Heroku's "code=H12"): joined to its request, it is
		// still a line that shows the cause. (The app's records show theirs
		// by their exception, counted with their chains.)
		if ev.Proxy && c.cfg.reaches(ev.Time) {
			if cause := c.signOf(ev); cause != nil {
				c.sum.Signs[cause.ID]++
			}
		}
		if g := c.assemble(ev); g != nil {
			c.retriesOf(g, ev)
		}
		return nil
	}
	if c.cfg.Slow > 0 && isTimed(ev) {
		c.addTimed(ev)
	}
	cause := c.signOf(ev)
	if cause != nil {
		if c.cfg.reaches(ev.Time) {
			c.sum.Signs[cause.ID]++
		}
		s := c.signSlab.New()
		*s = sign{ev: *ev, cause: cause, at: nanos(ev.Time), which: c.causeIndex(cause)}
		c.addSign(s)
	}
	return cause
}

// AddAt takes an event placed at key in the merged order (Merge.Key, Live),
// after Settle(key): every event still to come is placed at or after it.
// An event placed later than its time (it came late in its file: holder)
// makes the correlator wait that much longer before it closes windows
// (up to MaxWait), so that events that late are still in time for the
// chains they belong to. ev is not kept: it can be a merge's, valid until
// its next event.
func (c *Correlator) AddAt(ev *parser.Event, key time.Time) *Cause {
	c.Settle(key)
	if late := key.Sub(ev.Time); late > c.sum.Wait {
		grown := (late + waitStep - 1) / waitStep * waitStep
		c.sum.Wait = min(grown, MaxWait)
	}
	return c.add(ev)
}

// Settle tells the correlator that no event still to come is placed before
// key; it moves on to just before key less its wait. What an event that
// came late finds (a chain out already, or not yet) thus depends on the
// order of events alone, never on how often a caller settles, and analyze
// and tail agree.
func (c *Correlator) Settle(key time.Time) {
	c.Advance(key.Add(-c.sum.Wait - time.Nanosecond))
}

// MaxWait bounds how long chains wait past their window for events that
// files wrote late: a file minutes out of order would otherwise hold every
// chain, and its evidence in memory, that long.
const MaxWait = 15 * time.Second

// waitStep rounds a grown wait up, so that lateness creeping up a few
// milliseconds at a time does not find each chain out already.
const waitStep = 250 * time.Millisecond

func (c *Correlator) addSign(s *sign) {
	n := len(c.signs)
	if n == 0 || !s.ev.Time.Before(c.signs[n-1].ev.Time) {
		c.signs = append(c.signs, s)
		return
	}
	i := sort.Search(n, func(i int) bool { return c.signs[i].ev.Time.After(s.ev.Time) })
	c.signs = append(c.signs, nil)
	copy(c.signs[i+1:], c.signs[i:])
	c.signs[i] = s
}

// assemble files a report under the request it belongs to: the oldest open
// request of the same path and status that has no report of this kind from
// this log yet, whose exception (if both are known) is the same, and that
// started within SameRequest. Requests are matched first come, first served
// because the logs share no request id. It returns the request the report
// joined, nil when it came late for it.
func (c *Correlator) assemble(ev *parser.Event) *group {
	if ev.Duration > 0 {
		if g, placed := c.assembleTimed(ev); placed {
			return g
		}
	} else {
		if g := c.triedBefore(ev); g != nil {
			g.add(ev)
			c.noteDeadline(g)
			return g
		}
		key := c.clashBit(ev)
		for _, g := range c.open {
			if c.accepts(g, ev, key) {
				g.add(ev)
				c.noteDeadline(g)
				return g
			}
		}
	}
	c.seq++
	// Most requests are an access line and one more report: room for two
	// saves growing the slice of 288-byte events through one, then two.
	g := c.groupSlab.New()
	*g = group{seq: c.seq, path: ev.Path, status: ev.Status, first: ev.Time, reports: make([]parser.Event, 0, 2)}
	g.add(ev)
	c.open = append(c.open, g)
	c.noteDeadline(g)
	return g
}

// nginx tries the next upstream for a request whose upstream failed
// (proxy_next_upstream; ingress-nginx tries three times) and logs each
// failure with the worker, the client's connection and the request, and
// the request once, in its access log, with every try's upstream. Those
// failures are reports of one request, not a request each: a failure is
// another try of a request the access line of which lists more tries than
// the request has failures yet, of the same worker, connection and
// request, from no later than that line (retriesOf, triedBefore). The same
// connection's failures with no such access line are taken for requests
// of their own: a client sends its next request on a kept connection once
// the answer is out, a few seconds later as readily as a try comes.

// triedBefore finds the request, answered already, that a proxy's report
// of a failed upstream is one more try of (its failure logged in the
// second its answer was, and read after it).
func (c *Correlator) triedBefore(ev *parser.Event) *group {
	if !isProxyFailure(ev) {
		return nil
	}
	for _, g := range c.open {
		if g.path != ev.Path || g.status != ev.Status && !answerLists(g, ev.Status) {
			continue
		}
		answer, tries, failures := c.triesOf(g, ev)
		if answer != nil && tries > failures && failures > 0 && !ev.Time.After(answer.Time.Add(max(answer.Precision, time.Second))) {
			return g
		}
	}
	return nil
}

// answerLists reports whether g's proxy access line lists status among its
// tries': asked before the tries are counted, which reads each report's
// connection, for every request open on the path.
func answerLists(g *group, status int) bool {
	answer := proxyAnswer(g)
	return answer != nil && listsStatus(answer.Field("upstream_status"), status)
}

// proxyAnswer is g's proxy access line, if it has one.
func proxyAnswer(g *group) *parser.Event {
	for i := range g.reports {
		if r := &g.reports[i]; r.Proxy && r.Kind == parser.KindAccess {
			return r
		}
	}
	return nil
}

// listsStatus reports whether an access line's list of its upstream tries'
// statuses ("502, 504": the first refused, the next timed out) holds
// status, so that a failure of that status is one of its tries though the
// request's own status is the last try's.
func listsStatus(list string, status int) bool {
	want := strconv.Itoa(status)
	for list != "" {
		item, rest, _ := strings.Cut(list, ", ")
		if strings.TrimSpace(item) == want {
			return true
		}
		list = rest
	}
	return false
}

// retriesOf moves into g, which ev has just joined, the requests made of
// one failure each that are other tries of g's request: once g holds its
// proxy's access line and it lists several tries, and whichever of the
// two came last (a failure on the connection may come after the access
// line, and only then show whose tries the earlier ones were).
func (c *Correlator) retriesOf(g *group, ev *parser.Event) {
	if g.past || !ev.Proxy {
		return
	}
	answer := proxyAnswer(g)
	if answer == nil || upstreamTries(answer) < 2 {
		return
	}
	// Read before the loop: joining tries grows g's reports, and may move
	// them.
	statuses, until := answer.Field("upstream_status"), answer.Time.Add(max(answer.Precision, time.Second))
	keep := c.open[:0]
	for _, h := range c.open {
		if h != g && len(h.reports) == 1 && h.path == g.path && (h.status == g.status || listsStatus(statuses, h.status)) && isProxyFailure(&h.reports[0]) {
			if _, tries, failures := c.triesOf(g, &h.reports[0]); tries > failures && failures > 0 && !h.reports[0].Time.After(until) {
				g.add(&h.reports[0])
				continue
			}
		}
		keep = append(keep, h)
	}
	for i := len(keep); i < len(c.open); i++ {
		c.open[i] = nil
	}
	c.open = keep
	c.noteDeadline(g)
}

// triesOf says, of g, its proxy's access line and how many upstream tries
// it lists, and how many of its reports are failures ev is another try of.
func (c *Correlator) triesOf(g *group, ev *parser.Event) (answer *parser.Event, tries, failures int) {
	conn, worker := ev.Field("connection"), nginxWorker(ev.Text)
	if conn == "" || worker == "" {
		return nil, 0, 0
	}
	for i := range g.reports {
		r := &g.reports[i]
		switch {
		case !r.Proxy:
		case r.Kind == parser.KindAccess:
			answer, tries = r, upstreamTries(r)
		case isProxyFailure(r) && r.Method == ev.Method && r.Field("connection") == conn && r.Field("client") == ev.Field("client") &&
			nginxWorker(r.Text) == worker && c.sameLog(r.Source, ev.Source):
			failures++
		}
	}
	return answer, tries, failures
}

// isProxyFailure: a proxy's report of a request whose upstream failed.
func isProxyFailure(ev *parser.Event) bool {
	return proxyGaveUp(ev) && ev.Field("connection") != ""
}

// upstreamTries is how many upstreams a proxy's access line lists for its
// request ("10.0.0.5:8000, 10.0.0.6:8000" tried two), 1 when it lists none.
func upstreamTries(ev *parser.Event) int {
	for _, k := range []string{"upstream_addr", "urt", "upstream_response_time", "upstream_status"} {
		if v := ev.Field(k); v != "" {
			return strings.Count(v, ",") + 1
		}
	}
	return 1
}

// nginxWorker is the process (and thread) an nginx error line names before
// its client connection: "31#31" in "2023/03/08 16:02:40 [error] 31#31:
// *569 upstream timed out …". Connection numbers count per worker.
func nginxWorker(text string) string {
	end := strings.Index(text, ": *")
	if end < 0 {
		return ""
	}
	return text[strings.LastIndexByte(text[:end], ' ')+1 : end]
}

// assembleTimed files a report that states how long its request took: first
// come, first served as any report, but only under a request whose first
// report lies inside the interval the report states (an error is logged
// after its request began), and past its deadline too. Many requests of one
// path can be in flight at once, and the oldest open one is not the one a
// long request's response belongs to: that request's error record came
// more than SameRequest before its response.
//
// Joining a request past its deadline is joining it late: its chain is out,
// or will be as if the report had not come, so that live and saved logs
// give the same chains; the summary counts it.
func (c *Correlator) assembleTimed(ev *parser.Event) (joined *group, placed bool) {
	var best *group
	// confirmed: best holds a record written while the report's request
	// ran; such a request beats one that has none yet, whatever their
	// order (two failures of one second, whose app server's lines say
	// only the second, would otherwise swap their reports).
	confirmed := false
	// bestKill: best pairs a kill with its proxy's report, bestDist apart.
	var bestDist time.Duration
	var bestKill bool
	earliest := ev.Began().Add(-lateSlop)
	latest := ev.Time.Add(max(ev.Precision, lateSlop))
	key := c.clashBit(ev)
	consider := func(g *group) {
		// Whether or not past its deadline, a request takes only a report
		// of its status that does not clash with those it has: of the
		// requests open, most have this log's report already, and the
		// mask says so before any time is worked out.
		if !c.sameOutcome(g, ev) || c.clashesMasked(g, ev, key) {
			return
		}
		if g.firstExact().Before(earliest) || !c.reaches(ev, g.first) {
			return
		}
		// Django records a failure while the request runs, before the
		// response leaves: a request recorded after this report was
		// written is another one.
		rec, recorded := g.firstRecorded()
		if recorded && rec.After(latest) {
			return
		}
		dist, kill := killDistance(g, ev)
		switch {
		case best == nil:
		case kill && bestKill:
			// A worker's kill ends each request it ran: each kill goes with
			// the proxy's report whose request began nearest its own.
			if bestDist <= dist {
				return
			}
		case confirmed && !recorded || confirmed == recorded && best.seq < g.seq:
			return
		}
		if ev.Time.After(c.deadline(g)) {
			if g.path != ev.Path || !c.sameOutcome(g, ev) || g.method != "" && ev.Method != "" && g.method != ev.Method || !c.compatible(g, ev, key) {
				return
			}
		} else if !c.accepts(g, ev, key) {
			return
		}
		best, confirmed, bestDist, bestKill = g, recorded, dist, kill
	}
	for _, g := range c.open {
		consider(g)
	}
	for _, g := range c.done {
		consider(g)
	}
	// Past requests are kept in order of their first report: only those
	// whose first report lies in the report's interval are looked at.
	from := sort.Search(len(c.past), func(i int) bool { return !c.past[i].first.Before(earliest.Add(-time.Second)) })
	for _, g := range c.past[from:] {
		if g.first.After(ev.Time) {
			break
		}
		consider(g)
	}
	if best == nil {
		// No request inside its interval (its own record may be one no
		// log dated): first come, first served among the open ones.
		for _, g := range c.open {
			if c.accepts(g, ev, key) {
				best = g
				break
			}
		}
		if best == nil {
			return nil, false
		}
	}
	if ev.Time.After(c.deadline(best)) {
		best.late = append(best.late, *ev)
		if c.cfg.reaches(ev.Time) && c.isAnchor(best) {
			c.sum.Late++
		}
		return nil, true
	}
	best.add(ev)
	c.noteDeadline(best)
	return best, true
}

// sameOutcome reports whether a report tells of a request that ended as
// g's did: with its status; or killed by the app server where the proxy
// in front answered it as the worker died under it, either report first,
// when their times say one request (killPairs). A request already out of
// the window (past: its reports slimmed) takes no such pair.
func (c *Correlator) sameOutcome(g *group, ev *parser.Event) bool {
	switch {
	case g.status == ev.Status:
		return true
	case g.past:
		return false
	case ev.Killed():
		if g.killed || !answersAKill(&g.reports[g.anchor]) {
			return false
		}
		for i := range g.reports {
			if !g.reports[i].Proxy || !c.killPairs(&g.reports[i], ev) {
				return false
			}
		}
		return true
	case ev.Proxy && g.killed && answersAKill(ev):
		for i := range g.reports {
			if r := &g.reports[i]; r.Killed() && c.killPairs(ev, r) {
				return true
			}
		}
	}
	return false
}

// answersAKill reports whether a proxy's line is the answer it gives when
// the app's worker dies under a request: nginx's 502, Heroku's H13 (a
// 503). A 504, or Heroku's H12, is the proxy giving up first, long before
// the kill: its chain and the kill's tell two moments, and nothing but the
// path ties them.
func answersAKill(proxy *parser.Event) bool {
	switch proxy.Status {
	case 502:
		return true
	case 503:
		return proxy.Field("code") == "H13"
	}
	return false
}

// killPairs reports whether a proxy's report and a kill can be one
// request: the proxy answered as the worker died (within killSlop: the
// kill is dated to the second), on Heroku from the dyno that was killed,
// and had the request first, when it says how long it took (it waits in
// the app server's queue before a worker takes it, up to SameRequest).
func (c *Correlator) killPairs(proxy, kill *parser.Event) bool {
	// The kill is dated to the start of its second: the proxy's answer
	// can be up to that second later still.
	if d := proxy.Time.Sub(kill.Time); d < -killSlop || d > killSlop+kill.Precision {
		return false
	}
	if dyno := proxy.Field("dyno"); dyno != "" && !ofDyno(kill.Source, dyno) {
		return false
	}
	if proxy.Duration > 0 {
		pb, kb := proxy.Began(), kill.Began()
		if pb.After(kb.Add(killSlop+kill.Precision)) || kb.Sub(pb) > c.cfg.SameRequest {
			return false
		}
	}
	return true
}

// ofDyno reports whether a source is the log of a Heroku dyno: its label
// names it, as Heroku's drain does ("app[web.1]", "app[web.1]/gunicorn"
// when the dyno's stream holds several programs) or Papertrail
// ("app/web.1").
func ofDyno(source, dyno string) bool {
	_, label := parser.SplitLabel(source)
	for _, word := range strings.FieldsFunc(label, func(r rune) bool { return r == '[' || r == ']' || r == '/' }) {
		if word == dyno {
			return true
		}
	}
	return false
}

// killSlop is how far apart a kill and its proxy's answer are written: the
// kill's time is to the second, and a request stays open a second past its
// access line (deadline), in which the other must come.
const killSlop = time.Second

// killDistance is how far apart a proxy's and a kill's starts are, for
// pairing the closest when a worker's kill ends several requests at once.
func killDistance(g *group, ev *parser.Event) (time.Duration, bool) {
	for i := range g.reports {
		r := &g.reports[i]
		if ev.Killed() && r.Proxy || ev.Proxy && r.Killed() {
			d := r.Began().Sub(ev.Began())
			return max(d, -d), true
		}
	}
	return 0, false
}

func (c *Correlator) noteDeadline(g *group) {
	if d := c.deadline(g); c.nextFinal.IsZero() || d.Before(c.nextFinal) {
		c.nextFinal = d
	}
}

// key is ev's clashBit, found once for all the requests it is offered to.
func (c *Correlator) accepts(g *group, ev *parser.Event, key clashKey) bool {
	// The oldest open requests have their reports from most logs: the
	// clash mask turns them away before their paths and times are
	// compared (a report is set against 73 open requests on average on the
	// 1 GB corpus, nearly all of one path).
	if !c.sameOutcome(g, ev) || c.clashesMasked(g, ev, key) {
		return false
	}
	if g.path != ev.Path || g.method != "" && ev.Method != "" && g.method != ev.Method {
		return false
	}
	// Nothing joins a request after its deadline, whether or not the
	// watermark has closed it yet: that keeps the result independent of
	// how often the watermark moves (live and saved logs agree). A report
	// that comes later still can join it late (assembleTimed).
	if d := ev.Time.Sub(g.first); d < -c.cfg.SameRequest || ev.Time.After(c.deadline(g)) {
		return false
	}
	return c.compatible(g, ev, key)
}

// reaches reports whether a report that states its request's duration
// covers a time: the request ran from Duration before the report (less
// the report's resolution) to the report.
func (c *Correlator) reaches(ev *parser.Event, t time.Time) bool {
	if ev.Duration <= 0 {
		return false
	}
	began := ev.Began().Add(-max(ev.Precision, time.Second))
	return !t.Before(began) && !t.After(ev.Time)
}

// compatible reports whether a report can be another of a request's: one
// report of each kind per log (its rotated files included), one access line
// per tier (the app's, a proxy's), and the same exception where both say.
func (c *Correlator) compatible(g *group, ev *parser.Event, key clashKey) bool {
	if c.clashesMasked(g, ev, key) {
		return false
	}
	if pid := processOf(ev); pid != "" {
		// Reports that name their process are one request's only if it
		// is one process: a worker handles a request whole.
		for _, other := range g.pids {
			if other != pid {
				return false
			}
		}
	}
	return ev.Exc == nil || g.exc == nil || sameException(ev.Exc, ev.Root, g.exc, g.root)
}

// clashesMasked is clashes, by the mask when it covers ev (key) and the
// request.
func (c *Correlator) clashesMasked(g *group, ev *parser.Event, key clashKey) bool {
	if key.ok && c.maskClashes(g) {
		return g.clashes&key.bit != 0 || ev.Kind == parser.KindAccess && g.clashes&tierBit(ev.Proxy) != 0
	}
	return c.clashes(g, ev)
}

// clashKey is a report's bit in the clash mask, if it has one (ok).
type clashKey struct {
	bit uint64
	ok  bool
}

// clashes reports whether a request has a report ev cannot go with: one of
// its kind from its log, or an access line of its tier.
func (c *Correlator) clashes(g *group, ev *parser.Event) bool {
	clash := func(r *parser.Event) bool {
		return r.Kind == ev.Kind && (ev.Kind == parser.KindAccess && r.Proxy == ev.Proxy || c.sameLog(r.Source, ev.Source))
	}
	for i := range g.reports {
		if clash(&g.reports[i]) {
			return true
		}
	}
	for i := range g.late {
		if clash(&g.late[i]) {
			return true
		}
	}
	return false
}

// Each open request is asked, for every report that comes, whether it
// already has one of the report's kind from the report's log: the oldest
// requests, complete but for a late line, are asked again and again. A
// mask answers at once: a bit for each kind (6) and log (the first 9
// met), and one for each access tier.
const (
	maskKinds = 6
	maskLogs  = 9
	appTier   = uint64(1) << (maskKinds * maskLogs)
	proxyTier = appTier << 1
)

// clashBit is the mask's bit of a report's kind and log, if it has one.
// A report offered to every open request has it found once, before: it
// walks the file list, which cost more than the rest of the comparison.
func (c *Correlator) clashBit(ev *parser.Event) clashKey {
	li := c.logIndex(ev.Source)
	if li < 0 || li >= maskLogs || int(ev.Kind) >= maskKinds {
		return clashKey{}
	}
	return clashKey{bit: 1 << (int(ev.Kind)*maskLogs + li), ok: true}
}

func tierBit(proxy bool) uint64 {
	if proxy {
		return proxyTier
	}
	return appTier
}

// maskClashes brings a request's mask up to its reports, and reports
// whether it covers them all.
func (c *Correlator) maskClashes(g *group) bool {
	mark := func(r *parser.Event) {
		key := c.clashBit(r)
		if !key.ok {
			g.unmasked = true
			return
		}
		g.clashes |= key.bit
		if r.Kind == parser.KindAccess {
			g.clashes |= tierBit(r.Proxy)
		}
	}
	for ; g.maskedReports < len(g.reports); g.maskedReports++ {
		mark(&g.reports[g.maskedReports])
	}
	for ; g.maskedLate < len(g.late); g.maskedLate++ {
		mark(&g.late[g.maskedLate])
	}
	return !g.unmasked
}

// logIndex is the place of a file's log among those met, -1 past the
// files logOf lists.
func (c *Correlator) logIndex(file string) int { return c.fileLogOf(file).index }

// processOf is the process a report says wrote it: Python logging's
// %(process)d, uWSGI's pid, a collector's pid.
func processOf(ev *parser.Event) string {
	if p := ev.Field("process"); p != "" {
		return p
	}
	return ev.Field("pid")
}

// sameLog reports whether two files are the same log: x.log and the x.log.1
// that rotation made of it are.
func (c *Correlator) sameLog(a, b string) bool {
	return a == b || c.logOf(a) == c.logOf(b)
}

// fileLog is a file, the log it belongs to and that log's place among
// logNames; known marks one filled in.
type fileLog struct {
	file, log string
	index     int
	known     bool
}

// logOf names the log a file belongs to.
func (c *Correlator) logOf(file string) string { return c.fileLogOf(file).log }

// fileLogOf is what is remembered of a file: it is asked for every pair of
// reports compared while requests are assembled, and for one report
// against every open request (the last answer is kept). A run mostly
// reads a handful of files, and their events share each file's name, so a
// look along a short list, where names compare equal at their first
// byte's address, beats hashing the name in a map; a folder of many files
// puts the rest in a map, outside the clash mask (index -1).
func (c *Correlator) fileLogOf(file string) fileLog {
	if c.lastFile.known && file == c.lastFile.file {
		return c.lastFile
	}
	for i := range c.logs {
		if c.logs[i].file == file {
			c.lastFile = c.logs[i]
			return c.lastFile
		}
	}
	if fl, ok := c.manyLogs[file]; ok {
		return fl
	}
	log, _ := parser.RotatedFrom(file)
	fl := fileLog{file: file, log: log, index: -1, known: true}
	if len(c.logs) < 16 {
		fl.index = slices.Index(c.logNames, log)
		if fl.index < 0 {
			fl.index = len(c.logNames)
			c.logNames = append(c.logNames, log)
		}
		c.logs = append(c.logs, fl)
		return fl
	}
	if c.manyLogs == nil {
		c.manyLogs = map[string]fileLog{}
	}
	c.manyLogs[file] = fl
	return fl
}

// sameException reports whether two reports' tracebacks can be the same: one
// final exception is the other's final or first one, since a log can keep a
// traceback only in part (a file rotated in the middle of a record).
func sameException(exc, root, gexc, groot *parser.Exception) bool {
	same := func(a, b *parser.Exception) bool {
		return a != nil && b != nil && a.Class == b.Class && a.FirstLine() == b.FirstLine()
	}
	return same(exc, gexc) || same(exc, groot) || same(root, gexc)
}

func (g *group) add(ev *parser.Event) {
	g.dueKnown, g.exactKnown = false, false
	if ev.Killed() {
		g.killed = true
	} else if g.killed && g.status == 0 && ev.Proxy {
		g.status = ev.Status
	}
	if p := processOf(ev); p != "" && !slices.Contains(g.pids, p) {
		g.pids = append(g.pids, p)
	}
	if g.method == "" {
		g.method = ev.Method
	}
	// Keep the fullest traceback the logs have of the request.
	if ev.Exc != nil && (g.exc == nil || ev.Chains > g.chains) {
		g.exc, g.root, g.chains = ev.Exc, ev.Root, ev.Chains
	}
	if ev.Time.Before(g.first) {
		g.first = ev.Time
	}
	g.reports = append(g.reports, *ev)
	if anchorRank(ev) > anchorRank(&g.reports[g.anchor]) {
		g.anchor = len(g.reports) - 1
	}
}

// anchorRank prefers, as the report that dates an anchor, the app's access
// line (written when the response went out), then a proxy's, then a
// response line with its own time, then an error record with its own time,
// then one with a borrowed time.
func anchorRank(ev *parser.Event) int {
	switch {
	case ev.Kind == parser.KindAccess && !ev.Proxy:
		return 5
	case ev.Kind == parser.KindAccess:
		return 4
	case ev.TimeInferred():
		return 1
	case ev.Kind != parser.KindRequestLog:
		return 3
	}
	return 2
}

func (g *group) anchorTime() time.Time { return g.reports[g.anchor].Time }

// firstExact is the time of the request's earliest report that has a time
// of its own to the millisecond, else the latest its first report can
// stand for (a record dated by a whole second's access line can lie up to a
// second before its request began). A collector's stamp is when it read a
// line, which can be a batch later than when it was written: not exact.
func (g *group) firstExact() time.Time {
	if !g.exactKnown {
		g.exact, g.exactKnown = g.findExact(), true
	}
	return g.exact
}

func (g *group) findExact() time.Time {
	var t time.Time
	for i := range g.reports {
		r := &g.reports[i]
		if r.TimeInferred() || r.Stamped || r.Precision >= time.Second {
			continue
		}
		if t.IsZero() || r.Time.Before(t) {
			t = r.Time
		}
	}
	if t.IsZero() {
		return g.first.Add(time.Second)
	}
	return t
}

// firstRecorded is the time of the request's earliest record written while
// it ran (Django's "Internal Server Error: /path") that has a time of its
// own to the millisecond; false when it has none.
func (g *group) firstRecorded() (time.Time, bool) {
	var t time.Time
	for i := range g.reports {
		r := &g.reports[i]
		if r.Kind != parser.KindRequestLog || r.Proxy || r.TimeInferred() || r.Stamped || r.Precision >= time.Second {
			continue
		}
		if t.IsZero() || r.Time.Before(t) {
			t = r.Time
		}
	}
	return t, !t.IsZero()
}

// Advance tells the correlator that no event earlier than wm will come
// (except stragglers); chains whose window closed are handed out.
func (c *Correlator) Advance(wm time.Time) {
	if !wm.After(c.wm) {
		return
	}
	c.wm = wm
	c.closeGroups(false)
	c.emitReady(false)
	c.evict()
}

// EndRequests completes every request still waiting for reports and hands
// out every chain, as the end of input does (one the server never answered
// has no more coming), without waiting for lines written late: for when
// every log has been quiet for longer than After, so that every window has
// closed and nothing is being written. Evidence is kept for what may come
// after all.
func (c *Correlator) EndRequests() {
	c.closeGroups(true)
	c.emitReady(true)
}

// Close hands out every chain left, as if event time had run to the end.
func (c *Correlator) Close() {
	c.closeGroups(true)
	c.emitReady(true)
	c.signs, c.past, c.timed, c.spans = nil, nil, nil, nil
}

// deadline is when no more reports can join a request: once its access
// line is in (written last, after the response went out; other logs'
// reports of the same second may sort after it, hence its precision), or
// SameRequest after its first report.
func (c *Correlator) deadline(g *group) time.Time {
	if !g.dueKnown {
		g.due, g.dueKnown = c.findDeadline(g), true
	}
	return g.due
}

func (c *Correlator) findDeadline(g *group) time.Time {
	d := g.first.Add(c.cfg.SameRequest)
	if a := &g.reports[g.anchor]; a.Kind == parser.KindAccess {
		ad := a.Time.Add(max(a.Precision, time.Second))
		if g.killed && g.status == 0 {
			// Its proxy's answer, if one is in front, can come up to
			// killSlop after the second the kill is dated to.
			ad = ad.Add(killSlop)
		}
		if ad.Before(d) {
			d = ad
		}
	}
	// A request assembled for its time alone (--slow) ends with the report
	// that states its duration, written when its response went out: it
	// must not hold every chain a minute for an access line that states
	// none and will not join it.
	if c.cfg.Slow > 0 && !c.cfg.WantsStatus(g.status) {
		for i := range g.reports {
			if r := &g.reports[i]; r.Duration > 0 {
				if rd := r.Time.Add(max(r.Precision, time.Second)); rd.Before(d) {
					d = rd
				}
			}
		}
	}
	return d
}

func (c *Correlator) closeGroups(all bool) {
	if !all && (c.nextFinal.IsZero() || c.wm.Before(c.nextFinal)) {
		return
	}
	c.nextFinal = time.Time{}
	keep := c.open[:0]
	for _, g := range c.open {
		if all || !c.wm.Before(c.deadline(g)) {
			heap.Push(&c.done, g)
		} else {
			keep = append(keep, g)
			c.noteDeadline(g)
		}
	}
	for i := len(keep); i < len(c.open); i++ {
		c.open[i] = nil
	}
	c.open = keep
}

// emitReady builds the chains of finished requests whose window has closed,
// strictly in anchor order: a request still open can end with an anchor as
// early as its first report, so a chain waits for every open request that
// began before its anchor. Claims thus go first come, first served in the
// same order whatever the watermark's steps.
func (c *Correlator) emitReady(all bool) {
	for len(c.done) > 0 {
		g := c.done[0]
		if !all {
			at := g.anchorTime()
			if at.Add(c.after(g)).After(c.wm) {
				return
			}
			for _, o := range c.open {
				if !o.first.After(at) {
					return
				}
			}
		}
		heap.Pop(&c.done)
		if !c.isAnchor(g) {
			if began, took, _ := g.took(); took > 0 {
				c.claimTimed(g.path, began, began.Add(took))
			}
			c.keepPast(g)
			continue
		}
		if ch := c.build(g); c.cfg.InRange(ch.Time) {
			c.count(&ch)
			c.out(ch)
		}
		c.keepPast(g)
	}
}

// evict drops cause events no window can reach any more. An open request
// began at most SameRequest ago; a finished one waits for those at most
// SameRequest more, and its first report can be SameRequest before its
// anchor; its window reaches Before further back.
func (c *Correlator) evict() {
	// Each queue is cut from its front by reslicing, not by moving what
	// is left to the start: this runs for nearly every event, and the
	// 15 minutes of requests kept for late reports are thousands long.
	// append copies the rest once the array's end is reached.
	horizon := c.wm.Add(-2*c.cfg.SameRequest - c.cfg.Before - DefaultSlack)
	i := 0
	for i < len(c.signs) && c.signs[i].ev.Time.Before(horizon) {
		c.signs[i] = nil
		i++
	}
	c.signs = c.signs[i:]
	// A late report reaches back by the duration it states; requests are
	// kept for LateHorizon of event time.
	drop := 0
	for drop < len(c.past) && c.past[drop].first.Before(c.wm.Add(-LateHorizon)) {
		c.past[drop] = nil
		drop++
	}
	c.past = c.past[drop:]
	// A slow request reaches back by its duration, at most LateHorizon.
	old := c.wm.Add(-LateHorizon - c.statsPeriod - c.cfg.After)
	drop = 0
	for drop < len(c.timed) && c.timed[drop].ev.Time.Before(old) {
		c.timed[drop] = nil
		drop++
	}
	c.timed = c.timed[drop:]
	drop = 0
	for drop < len(c.spans) && c.spans[drop].to.Before(old) {
		c.spans[drop] = span{}
		drop++
	}
	c.spans = c.spans[drop:]
}

// keepPast keeps a request whose chain is out, in order of its first
// report (chains come out in anchor order, which is nearly that), with no
// more of its reports than a late one is matched against.
//
// What it keeps of their text is copied: an event's strings share memory
// with a whole block of its file (source.LineReader), and LateHorizon of
// requests would otherwise hold that much of the input.
func (c *Correlator) keepPast(g *group) {
	g.path, g.method = strings.Clone(g.path), strings.Clone(g.method)
	g.exc, g.root = keptException(g.exc), keptException(g.root)
	for i := range g.reports {
		r := &g.reports[i]
		slim := parser.Event{Source: r.Source, Kind: r.Kind, Proxy: r.Proxy, Time: r.Time, Precision: r.Precision,
			TimeFrom: r.TimeFrom, Stamped: r.Stamped}
		if p := processOf(r); p != "" {
			slim.Fields = parser.Fields{{Key: "process", Value: strings.Clone(p)}}
		}
		g.reports[i] = slim
	}
	g.dueKnown, g.exactKnown, g.past = false, false, true
	for i, p := range g.pids {
		g.pids[i] = strings.Clone(p)
	}
	i := len(c.past)
	for i > 0 && c.past[i-1].first.After(g.first) {
		i--
	}
	c.past = append(c.past, nil)
	copy(c.past[i+1:], c.past[i:])
	c.past[i] = g
}

func keptException(e *parser.Exception) *parser.Exception {
	if e == nil {
		return nil
	}
	return &parser.Exception{Class: strings.Clone(e.Class), Message: strings.Clone(e.Message)}
}

// LateHorizon is how long after a request began a report stating its
// duration can still join it (assembleTimed): longer than any proxy's or app
// server's timeout lets a request run.
const LateHorizon = 15 * time.Minute

// lateSlop is how far before a report's stated start its request's first
// report may lie and still count as after it: the two logs' clocks and
// the point where the duration is measured differ by that much.
const lateSlop = 10 * time.Millisecond

// intern returns the correlator's own copy of a string it keeps for the
// run (a count's key, a path): an event's strings share memory with a
// block of the input (source.LineReader).
func (c *Correlator) intern(s string) string {
	kept, ok := c.names[s]
	if !ok {
		kept = strings.Clone(s)
		c.names[kept] = kept
	}
	return kept
}

// Summary returns the counts so far.
func (c *Correlator) Summary() Summary { return c.sum }

// signOf returns the cause an event shows, if any. A PgBouncer close or
// pooler error counts by its reason; any other line by naming the cause in
// its text or traceback, or by ending in one of its exceptions.
func (c *Correlator) signOf(ev *parser.Event) *Cause {
	if ev.Kind == parser.KindPgBouncer && (ev.Tag == parser.TagClosing || ev.Tag == parser.TagPoolerError) {
		for i := range c.cfg.Causes {
			cc := &c.cfg.Causes[i]
			for _, r := range cc.PgBouncerReasons {
				if strings.HasPrefix(ev.Reason, r) {
					return cc
				}
			}
		}
		return nil
	}
	named := c.needles.named(ev, c.scratch)
	for i := range c.cfg.Causes {
		if cc := &c.cfg.Causes[i]; named.has(i) || cc.raised(ev) {
			return cc
		}
	}
	return nil
}

// namedBy finds the catalogued cause a request's own reports show: a text
// that names it (byText), or its traceback ending or starting with one of
// its exceptions. Catalogue order decides between several.
func (c *Correlator) namedBy(g *group) (cause *Cause, byText bool) {
	byReports := c.needles.mask()
	for j := range g.reports {
		for w, x := range c.needles.named(&g.reports[j], c.scratch) {
			byReports[w] |= x
		}
	}
	for i := range c.cfg.Causes {
		cc := &c.cfg.Causes[i]
		if byReports.has(i) {
			return cc, true
		}
		for _, x := range cc.Exceptions {
			if g.exc != nil && g.exc.Class == x || g.root != nil && g.root.Class == x {
				return cc, false
			}
		}
	}
	return nil, false
}

func (c *Correlator) build(g *group) Chain {
	a := g.reports[g.anchor]
	ch := Chain{Anchor: a, Time: a.Time, Method: g.method, Path: g.path, Status: g.status, Exc: g.exc, Root: g.root}
	ch.Began, ch.Duration, ch.proxy = g.took()
	// The window runs from Before ahead of the request's first report (its
	// error record is logged when it failed, which can be long before its
	// access line) to After past its anchor; the cause is looked for nearest
	// before that first report.
	ref := g.first
	// Room for the other reports and a cause with a sibling line, so that
	// the links, each holding a whole event, are not moved as they come.
	if len(g.reports) > 1 {
		ch.Evidence = make([]Link, 0, len(g.reports)+1)
	}
	for i := range g.reports {
		if i == g.anchor {
			continue
		}
		r := g.reports[i]
		ch.Evidence = append(ch.Evidence, Link{Event: r, Offset: r.Time.Sub(a.Time), Role: RoleRequest, Why: whyReport(&r)})
	}

	named, byText := c.namedBy(g)
	lo, hi := g.first.Add(-c.cfg.Before), a.Time.Add(c.cfg.After)
	if c.cfg.Slow > 0 && !c.slowOnly(g) && ch.Duration > 0 {
		// An anchor of its status claims its statements too, so that a
		// slow request beside it is not given them.
		c.claimTimed(g.path, ch.Began, ch.Began.Add(ch.Duration))
	}
	switch {
	case c.slowOnly(g):
		c.explainTime(&ch)
		if ch.Basis == BasisNone && named != nil && byText {
			// Where its time went is unknown; its own line says how it
			// ended (a harakiri's kill).
			ch.Cause, ch.Hypothesis, ch.Basis = named.ID, named.ID, BasisNamed
		}
	case named != nil && byText:
		ch.Cause, ch.Hypothesis, ch.Basis = named.ID, named.ID, BasisNamed
		for k := range ch.Evidence {
			if named.namedIn(&ch.Evidence[k].Event) {
				ch.Evidence[k].Why += "; its text names " + named.ID
			}
		}
		if s := c.pick(lo, hi, ref, func(cause *Cause) bool { return cause == named }); s != nil {
			ch.Evidence = c.claim(ch.Evidence, s, a.Time)
		}
		if slices.Contains(named.Shows, "proxy") {
			// A proxy that gave up on the app or lost it names its side
			// only; the app server's own line of a worker it killed then
			// (gunicorn's WORKER TIMEOUT, uWSGI's HARAKIRI) is the next
			// link, what the request was doing when the proxy saw it fail.
			if s := c.pickKill(&a); s != nil {
				n := len(ch.Evidence)
				ch.Evidence = c.claim(ch.Evidence, s, a.Time)
				ch.Evidence[n].Why = "the app server, behind the proxy: " + ch.Evidence[n].Why
			}
		}
	case named != nil:
		// A cause known by its exception goes by its catalogue id like any
		// other (one name for one cause everywhere); the exception's class
		// stays in Exc.
		ch.Cause, ch.Hypothesis, ch.Basis = named.ID, named.ID, BasisException
	default:
		if s := c.pick(lo, hi, ref, func(cause *Cause) bool { return cause.CanExplain(g.exc) }); s != nil {
			ch.Cause, ch.Hypothesis, ch.Basis = s.cause.ID, s.cause.ID, BasisNearby
			ch.Evidence = c.claim(ch.Evidence, s, a.Time)
		} else if g.exc != nil && g.exc.Class != "" {
			ch.Cause, ch.Basis = g.exc.Class, BasisException
		} else {
			ch.Cause, ch.Basis = Unknown, BasisNone
		}
	}
	sortLinks(ch.Evidence)
	return ch
}

// sortLinks orders a chain's links by offset, then file and line: a total
// order (no two links are one line), so any sort gives it. A chain has a
// handful, which sort.Slice swapped through reflection, each link whole.
func sortLinks(links []Link) {
	before := func(a, b *Link) bool {
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		if a.Event.Source != b.Event.Source {
			return a.Event.Source < b.Event.Source
		}
		return a.Event.Line < b.Event.Line
	}
	if len(links) > 12 {
		sort.Slice(links, func(i, j int) bool { return before(&links[i], &links[j]) })
		return
	}
	for i := 1; i < len(links); i++ {
		for j := i; j > 0 && before(&links[j], &links[j-1]); j-- {
			links[j], links[j-1] = links[j-1], links[j]
		}
	}
}

func (c *Correlator) count(ch *Chain) {
	c.sum.Anchors++
	// Keys are the correlator's own copies: an event's strings share memory
	// with a block of the input (source.LineReader), and a map keeps the key
	// of each assignment.
	bump := func(m map[string]int, k string) { m[c.intern(k)]++ }
	bump(c.sum.ByCause, ch.Cause)
	if ch.Hypothesis != "" {
		bump(c.sum.ByHypothesis, ch.Hypothesis)
	}
	if ch.Basis == BasisNone {
		c.sum.Unexplained++
	}
	if c.sum.First.IsZero() || ch.Time.Before(c.sum.First) {
		c.sum.First = ch.Time
	}
	if ch.Time.After(c.sum.Last) {
		c.sum.Last = ch.Time
	}
}

// pick chooses the unclaimed cause event in [lo, hi] nearest before ref (the
// request's own line is usually a few seconds before its error), else the
// nearest after it.
func (c *Correlator) pick(lo, hi, ref time.Time, ok func(*Cause) bool) *sign {
	// Whether ok holds for each cause of the catalogue, asked once: 0 not
	// yet, 1 yes, 2 no.
	var known [64]uint8
	okOf := func(s *sign) bool {
		if s.which >= len(known) {
			return ok(s.cause)
		}
		if known[s.which] == 0 {
			known[s.which] = 2
			if ok(s.cause) {
				known[s.which] = 1
			}
		}
		return known[s.which] == 1
	}
	hiN, refN := nanos(hi), nanos(ref)
	// Looked for outward from ref, the nearest usable sign ends the search:
	// a window holds hundreds of signs, and the ones nearest a request are
	// mostly claimed by the requests before it.
	first := c.firstAtOrAfter(lo)
	split := first + sort.Search(len(c.signs)-first, func(i int) bool { return c.signs[first+i].at > min(refN, hiN) })
	for i := split - 1; i >= first; i-- {
		if s := c.signs[i]; !s.claimed && okOf(s) {
			return s
		}
	}
	for _, s := range c.signs[split:] {
		if s.at > hiN {
			break
		}
		if !s.claimed && okOf(s) {
			return s
		}
	}
	return nil
}

// pickKill chooses the unclaimed line of a worker killed (a cause that
// explains a request without a traceback) nearest a proxy's anchor, within
// killNear of it: the proxy answers as the worker dies, or gives up at the
// same timeout. Where the proxy names the dyno it sent the request to
// (Heroku's router), the kill must be that dyno's.
func (c *Correlator) pickKill(a *parser.Event) *sign {
	dyno := a.Field("dyno")
	hi := nanos(a.Time.Add(killNear))
	var best *sign
	var bestOff time.Duration
	for _, s := range c.signs[c.firstAtOrAfter(a.Time.Add(-killNear)):] {
		if s.at > hi {
			break
		}
		if s.claimed || s.cause.Explains != ExplainsNoTraceback || dyno != "" && !ofDyno(s.ev.Source, dyno) {
			continue
		}
		off := s.ev.Time.Sub(a.Time)
		off = max(off, -off)
		if best == nil || off < bestOff {
			best, bestOff = s, off
		}
	}
	return best
}

// killNear is how far from a proxy's anchor the worker's kill is looked
// for.
const killNear = 2 * time.Second

// nanos is a time as Unix nanoseconds, in the same order as the times,
// which UnixNano keeps only from 1678 to 2262: a time outside them (a
// zero time, a year a log wrote wrong) is held at the nearest end.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minNanos):
		return math.MinInt64
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var minNanos, maxNanos = time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)

// causeIndex is a cause's place in the catalogue.
func (c *Correlator) causeIndex(cause *Cause) int {
	for i := range c.cfg.Causes {
		if &c.cfg.Causes[i] == cause {
			return i
		}
	}
	return len(c.cfg.Causes)
}

// firstAtOrAfter is the index of the first cause event not before t.
func (c *Correlator) firstAtOrAfter(t time.Time) int {
	return sort.Search(len(c.signs), func(i int) bool { return !c.signs[i].ev.Time.Before(t) })
}

// claim marks a cause event as this anchor's, with the lines that are the
// same event written twice (PgBouncer logs a timed-out client as a
// "closing because" LOG and a "pooler error" WARNING in the same
// millisecond), so no other anchor cites them; it appends their links.
func (c *Correlator) claim(links []Link, s *sign, at time.Time) []Link {
	s.claimed = true
	links = append(links, Link{Event: s.ev, Offset: s.ev.Time.Sub(at), Role: RoleCause, Why: whySign(s)})
	conn := s.connection()
	if !conn.ok {
		return links
	}
	end := s.ev.Time.Add(time.Second)
	for _, o := range c.signs[c.firstAtOrAfter(s.ev.Time.Add(-time.Second)):] {
		if o.ev.Time.After(end) {
			break
		}
		if o.claimed || o.cause != s.cause || !c.sameLog(o.ev.Source, s.ev.Source) {
			continue
		}
		if other := o.connection(); !other.ok || other.ptr != conn.ptr || other.port != conn.port {
			continue
		}
		o.claimed = true
		links = append(links, Link{Event: o.ev, Offset: o.ev.Time.Sub(at), Role: RoleCause, Why: whySign(o)})
	}
	return links
}

func whyReport(ev *parser.Event) string {
	// Most reports are an access line with a time of its own: one string
	// for all of them, rather than one built per chain.
	if ev.Kind == parser.KindAccess && !ev.TimeInferred() {
		return "access line of this request"
	}
	var b strings.Builder
	switch ev.Kind {
	case parser.KindAccess:
		b.WriteString("access line of this request")
	case parser.KindRequestLog:
		b.WriteString("error record of this request")
		if ev.Exc != nil {
			b.WriteString(": ")
			writeException(&b, ev.Exc)
			if ev.Root != nil && ev.Root.FirstLine() != ev.Exc.FirstLine() {
				b.WriteString(" (first exception ")
				writeException(&b, ev.Root)
				b.WriteByte(')')
			}
		}
	default:
		b.WriteString("response logged for this request")
		if u := ev.Field("user"); u != "" {
			b.WriteString(", user=")
			b.WriteString(u)
		}
	}
	if ev.TimeInferred() {
		b.WriteString("; no time of its own, dated by line ")
		b.WriteString(strconv.Itoa(ev.TimeFrom))
	}
	return b.String()
}

// writeException writes e as e.String() reads, without making that string
// first: every chain's error record says its exception.
func writeException(b *strings.Builder, e *parser.Exception) {
	b.WriteString(e.Class)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.FirstLine())
	}
}

func whySign(s *sign) string {
	ev := &s.ev
	if ev.Kind == parser.KindPgBouncer && ev.Tag == parser.TagClosing {
		if conn := s.connection(); conn.ok {
			return s.cause.Meaning + " (client port " + strconv.Itoa(conn.port) + ")"
		}
	}
	switch {
	case ev.Kind == parser.KindPgBouncer && ev.Tag == parser.TagPoolerError:
		return "the error PgBouncer sent that client: " + ev.Reason
	case ev.Kind == parser.KindPgBouncer:
		return "PgBouncer: " + s.cause.Meaning
	case ev.Kind == parser.KindPostgres:
		return "PostgreSQL: " + s.cause.Meaning
	}
	if ev.Kind == parser.KindRequestLog {
		return "names " + s.cause.ID + ", in another request's record (" + s.cause.Meaning + ")"
	}
	return "names " + s.cause.ID + ": " + s.cause.Meaning
}

type groupHeap []*group

func (h groupHeap) Len() int { return len(h) }
func (h groupHeap) Less(i, j int) bool {
	ti, tj := h[i].anchorTime(), h[j].anchorTime()
	if !ti.Equal(tj) {
		return ti.Before(tj)
	}
	return h[i].seq < h[j].seq
}
func (h groupHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *groupHeap) Push(x any)   { *h = append(*h, x.(*group)) }
func (h *groupHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}
